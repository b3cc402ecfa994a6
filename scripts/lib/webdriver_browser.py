#!/usr/bin/env python3
"""A real browser for the end-to-end tests: headless Chromium driven through chromedriver's
WebDriver API (plain HTTP, no client library), standing in for the user at the AWS Sign-In page.

    webdriver_browser.py URL            open URL, press the passkey button ($KEYFOB_E2E_BUTTON, a CSS
                                        selector, else #passkey), follow the redirect back to the
                                        client's loopback address, check the page it shows
    webdriver_browser.py --code URL     the same on a cross-device page: print the code it shows

Set as BROWSER, keyfob runs it with the authorize URL. Every step's outcome is appended to
$KEYFOB_E2E_BROWSER_LOG (one line: "ok …" or "error: …"), so the test can say what went wrong.
"""

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

LOG = os.environ.get("KEYFOB_E2E_BROWSER_LOG")


def note(line):
    if LOG:
        with open(LOG, "a") as f:
            f.write(line + "\n")


def call(base, method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as reply:
            return json.loads(reply.read() or b"{}").get("value")
    except urllib.error.HTTPError as e:
        raise RuntimeError(f"{method} {path}: {e.code} {e.read().decode(errors='replace')[:300]}")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    want_code = sys.argv[1] == "--code"
    url = sys.argv[-1]
    port = free_port()
    driver = subprocess.Popen(["chromedriver", f"--port={port}"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    profile = tempfile.mkdtemp(prefix="keyfob-chromium-")
    session = None
    try:
        for _ in range(100):
            try:
                if call(base, "GET", "/status").get("ready"):
                    break
            except (OSError, RuntimeError):
                pass
            time.sleep(0.1)
        else:
            raise RuntimeError("chromedriver did not start")
        caps = {"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                     "--disable-dev-shm-usage", f"--user-data-dir={profile}"]}}}}
        session = call(base, "POST", "/session", caps)["sessionId"]
        s = f"/session/{session}"
        call(base, "POST", s + "/url", {"url": url})
        selector = os.environ.get("KEYFOB_E2E_BUTTON", "#passkey")
        button = call(base, "POST", s + "/element", {"using": "css selector", "value": selector})
        call(base, "POST", f"{s}/element/{list(button.values())[0]}/click", {})
        # The form posts, the page redirects; wait for where it lands.
        deadline = time.time() + 30
        while time.time() < deadline:
            here = call(base, "GET", s + "/url")
            if want_code and "/v1/sessions/confirmation" in here:
                code = call(base, "POST", s + "/element", {"using": "css selector", "value": "#code"})
                text = call(base, "GET", f"{s}/element/{list(code.values())[0]}/text")
                note(f"ok code shown at {here.split('?')[0]}")
                print(text, flush=True)
                return 0
            if not want_code and "/oauth/callback" in here:
                source = call(base, "GET", s + "/source")
                if "you can close this tab" not in source:
                    raise RuntimeError(f"the loopback page said: {source[:300]}")
                note(f"ok back at {here.split('?')[0]}")
                return 0
            time.sleep(0.2)
        raise RuntimeError(f"the browser stayed at {call(base, 'GET', s + '/url')}")
    except Exception as e:  # the log names the cause for the test
        note(f"error: {e}")
        print(f"webdriver_browser: {e}", file=sys.stderr)
        return 1
    finally:
        if session:
            try:
                call(base, "DELETE", f"/session/{session}")
            except (OSError, RuntimeError):
                pass
        driver.terminate()
        driver.wait(timeout=10)
        subprocess.run(["rm", "-rf", profile], check=False)


if __name__ == "__main__":
    sys.exit(main())
