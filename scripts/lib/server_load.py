"""Load on `keyfob exec --server`'s credential endpoint, run as exec's child.

Usage (as the command of `keyfob exec --server --profile P -- python server_load.py ...`):
    server_load.py REQUESTS CLIENTS RENEW_CMD SIGNOUT_CMD OUT_JSON

CLIENTS threads send REQUESTS requests in all, each on a connection of its own as the SDKs do,
to AWS_CONTAINER_CREDENTIALS_FULL_URI with AWS_CONTAINER_AUTHORIZATION_TOKEN. After a third of
them RENEW_CMD runs (a new session in the keyring), after two thirds SIGNOUT_CMD (no session);
each is a shell command, run while the clients go on (requests past two thirds wait for the
renewal to end, requests past four fifths for the sign-out). Every answer is kept with its start and end
times; the endpoint's process (this one's parent) has its resident memory, open descriptors and
threads read from /proc before, at four fifths (after the sign-out: every kind of answer has
been given) and after. OUT_JSON gets it all.
"""

import http.client
import json
import os
import subprocess
import sys
import threading
import time
from urllib.parse import urlparse

total, clients, renew_cmd, signout_cmd, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
url = urlparse(os.environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"])
token = os.environ["AWS_CONTAINER_AUTHORIZATION_TOKEN"]
assert url.hostname == "127.0.0.1", url
server = os.getppid()


def proc():
    rss = next(int(l.split()[1]) for l in open(f"/proc/{server}/status") if l.startswith("VmRSS:"))
    return {"rss_kb": rss, "fds": len(os.listdir(f"/proc/{server}/fd")),
            "threads": len(os.listdir(f"/proc/{server}/task"))}


def one():
    started = time.monotonic()
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=5)
    try:
        conn.request("GET", url.path, headers={"Authorization": token})
        r = conn.getresponse()
        body = r.read()
        status = r.status
    except Exception as e:  # a refused or dropped connection is an answer too: counted as such
        status, body = 0, str(e).encode()
    finally:
        conn.close()
    ended = time.monotonic()
    key = None
    if status == 200:
        got = json.loads(body)
        # Key id and end together: moto's GetSessionToken gives every session the same key id.
        key = f'{got["AccessKeyId"]}@{got["Expiration"]}'
    else:
        key = body.decode(errors="replace")[:200]
    return (started, ended, status, key)


# A warm-up request, then the endpoint's process as it idles with the connection gone.
one()
time.sleep(0.5)
before = proc()
lock = threading.Lock()
sent = 0
answers = []
events = {}
mid = {}
# The story keeps its order however fast the requests go: requests past two thirds (and the
# sign-out) wait for the renewal to end, requests past four fifths for the sign-out to end; a
# renewal slower than a third of the requests (a YubiKey's code takes a moment) would otherwise
# meet the sign-out. The memory at "four fifths" is read after the first answer that follows the
# sign-out, when every kind of answer has been given.
renewed = threading.Event()
signed_out = threading.Event()


def client():
    global sent
    while True:
        with lock:
            if sent >= total:
                return
            sent += 1
            n = sent
        if n >= 2 * total // 3:
            renewed.wait(120)
        if n >= total * 4 // 5:
            signed_out.wait(120)
        for mark, cmd in ((total // 3, renew_cmd), (2 * total // 3, signout_cmd)):
            if n == mark:
                name = "renew" if cmd is renew_cmd else "signout"
                events[name + "_start"] = time.monotonic()
                done = subprocess.run(cmd, shell=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                events[name + "_end"] = time.monotonic()
                if done.returncode != 0:
                    # What the endpoint answers now, beside what the command said.
                    events[name + "_failed"] = f"{done.stderr.strip()[-400:]} (the endpoint now: {one()[2:]})"
                (renewed if name == "renew" else signed_out).set()
        a = one()
        with lock:
            answers.append(a)
            if not mid and signed_out.is_set() and len(answers) >= total * 4 // 5:
                mid.update(proc())


threads = [threading.Thread(target=client) for _ in range(clients)]
t0 = time.monotonic()
for t in threads:
    t.start()
for t in threads:
    t.join()
elapsed = time.monotonic() - t0
time.sleep(1.0)  # the per-request threads end with their connections
after = proc()
json.dump({"answers": answers, "events": events, "before": before, "mid": mid, "after": after,
           "elapsed": elapsed, "clients": clients}, open(out, "w"))
