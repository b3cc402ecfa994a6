"""Starts N keyfob calls for one profile at once and reports what they got.

Usage: callers.py KEYFOB PROFILE N OUT_JSON

Half are `keyfob credential-process --profile P`, half `keyfob exec --profile P -- sh -c ...`
printing the access key id the child got; all are started before any is waited for. Each call's
wall time (from its own start to its exit), exit code, the access key id it got (or its stderr's
last line) and its debug log (KEYFOB_LOG) are written to OUT_JSON. A session is told by its key id
and its end together: moto's GetSessionToken gives every session the same key id.
"""

import json
import subprocess
import sys
import time

keyfob, profile, n, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
calls = []
for i in range(n):
    if i % 2 == 0:
        argv = [keyfob, "credential-process", "--profile", profile]
    else:
        argv = [keyfob, "exec", "--profile", profile, "--", "sh", "-c",
                'printf "%s@%s" "$AWS_ACCESS_KEY_ID" "$AWS_CREDENTIAL_EXPIRATION"']
    started = time.monotonic()
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    calls.append((argv[1], started, p))

results = []
pending = {id(p): (kind, started, p) for kind, started, p in calls}
# Reap in exit order (a poll loop), so each call's end is taken when it ends, not when its turn
# in a list comes.
outputs = {}
while pending:
    for key, (kind, started, p) in list(pending.items()):
        if p.poll() is not None:
            ended = time.monotonic()
            stdout, stderr = p.communicate()
            outputs[key] = (kind, started, ended, p.returncode, stdout.decode(), stderr.decode())
            del pending[key]
    time.sleep(0.002)
for kind, started, ended, code, stdout, stderr in outputs.values():
    key = None
    if code == 0 and kind == "credential-process":
        got = json.loads(stdout)
        key = f'{got["AccessKeyId"]}@{got["Expiration"]}'
    elif code == 0:
        key = stdout.strip()
    lines = [l for l in stderr.splitlines() if l.strip()]
    said = [l for l in lines if l.startswith("keyfob:")]
    results.append({"kind": kind, "wall": ended - started, "end": ended, "code": code, "key": key,
                    "said": said[-1] if said else None, "log": stderr})
json.dump(results, open(out, "w"))
