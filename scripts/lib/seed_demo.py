"""Seeds a moto server with keyfob's demo account and writes the AWS config files that use it.

Usage: seed_demo.py ENDPOINT_URL DIR

Creates the IAM user demo-user with access keys and an enabled virtual MFA device, the roles
demo-admin and demo-readonly (trusting the account, MFA required), and buckets with a few objects;
then writes DIR/config and DIR/credentials with the profiles `demo` (the user's keys and MFA
device) and `demo-admin` / `demo-readonly` (the roles, with `source_profile = demo`).
"""

import json
import os
import sys

import boto3

endpoint, out_dir = sys.argv[1], sys.argv[2]
ACCOUNT = "123456789012"
session = boto3.session.Session(
    aws_access_key_id="AKIASEEDSEEDSEEDSEED",
    aws_secret_access_key="seed",
    region_name="us-east-1",
)
iam = session.client("iam", endpoint_url=endpoint)
s3 = session.client("s3", endpoint_url=endpoint)

iam.create_user(UserName="demo-user")
iam.put_user_policy(
    UserName="demo-user",
    PolicyName="mfa-user",
    PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["sts:*", "s3:ListAllMyBuckets", "iam:ListMFADevices"], "Resource": "*"}],
    }),
)
key = iam.create_access_key(UserName="demo-user")["AccessKey"]
device = iam.create_virtual_mfa_device(VirtualMFADeviceName="demo-user")["VirtualMFADevice"]
serial = device["SerialNumber"]
iam.enable_mfa_device(UserName="demo-user", SerialNumber=serial, AuthenticationCode1="123456", AuthenticationCode2="654321")

trust = json.dumps({
    "Version": "2012-10-17",
    "Statement": [{
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
        "Action": "sts:AssumeRole",
        "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
    }],
})
roles = {}
for name in ("demo-admin", "demo-readonly"):
    roles[name] = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust, MaxSessionDuration=43200)["Role"]["Arn"]

for bucket, objects in {
    "keyfob-demo-reports": ["2026/q3/summary.pdf", "2026/q3/details.csv", "2026/q4/summary.pdf", "README.txt"],
    "keyfob-demo-logs": [f"app/2026-11-{day:02}.log" for day in range(1, 23)],
    "keyfob-demo-empty": [],
}.items():
    s3.create_bucket(Bucket=bucket)
    for k in objects:
        s3.put_object(Bucket=bucket, Key=k, Body=f"demo object {k}\n".encode())

os.makedirs(out_dir, exist_ok=True)
with open(os.path.join(out_dir, "config"), "w") as f:
    f.write(f"""# keyfob demo profiles (local moto server)
[default]
region = us-east-1

[profile demo]
region = us-east-1
mfa_serial = {serial}

[profile demo-admin]
role_arn = {roles["demo-admin"]}
source_profile = demo
mfa_serial = {serial}
role_session_name = demo-user
duration_seconds = 3600
region = us-east-1

[profile demo-readonly]
role_arn = {roles["demo-readonly"]}
source_profile = demo
mfa_serial = {serial}
role_session_name = demo-user
region = us-east-1
""")
with open(os.path.join(out_dir, "credentials"), "w") as f:
    f.write(f"[demo]\naws_access_key_id = {key['AccessKeyId']}\naws_secret_access_key = {key['SecretAccessKey']}\n")
os.chmod(os.path.join(out_dir, "credentials"), 0o600)
print(serial)
