#!/usr/bin/env python3
"""A loopback AWS Sign-In for tests (what `aws login` talks to): the authorize page of the OAuth 2.0
authorization-code flow with PKCE, the cross-device confirmation page, and the token API
(CreateOAuth2Token with the authorization-code and refresh-token grants) in the wire protocol the
AWS SDKs speak (restJson1: JSON bodies, the error's type in the x-amzn-ErrorType header). moto has
none of it.

It checks what the real service checks: the PKCE verifier against the challenge (SHA-256), the
redirect URI and client of the code, codes used once, and a DPoP proof (RFC 9449) on every token
call — an ES256 JSON Web Token verified here with the P-256 public key in its header, for this
method and URL, fresh, never replayed, and for refreshes made by the key the sign-in started with.

The page stands in for the console's sign-in with a passkey: one button. A browser (headless
Chromium in the end-to-end test) clicks it; tests without a browser POST /_control/browse
{"url": authorize URL, "action": "approve"|"deny", "state": optional forged state} and this server
plays the browser: it follows the redirect to the client's loopback address itself. Other test
controls under /_control/: revoke every refresh token, read the counters.

Usage: signin_fake.py --port N [--user-arn ARN] [--credential-seconds S]. Prints
"ready http://127.0.0.1:N" once it listens.
"""

import argparse
import base64
import hashlib
import html
import json
import secrets
import threading
import time
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
STATE = {
    "requests": {},  # request id -> the authorize parameters
    "codes": {},  # code -> {"client_id", "redirect_uri", "challenge", "used"}
    "refresh": {},  # refresh token -> {"client_id", "jwk", "revoked"}
    "jtis": set(),
    "counts": {},
}
ARGS = None
CLIENTS = ("arn:aws:signin:::devtools/same-device", "arn:aws:signin:::devtools/cross-device")

# P-256 (FIPS 186-4 D.1.2.3), for checking the DPoP proofs' ES256 signatures.
P = 0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF
A = P - 3
B = 0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B
N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
G = (0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296,
     0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5)


def add(p1, p2):
    if p1 is None:
        return p2
    if p2 is None:
        return p1
    if p1[0] == p2[0] and (p1[1] + p2[1]) % P == 0:
        return None
    if p1 == p2:
        lam = (3 * p1[0] * p1[0] + A) * pow(2 * p1[1], -1, P) % P
    else:
        lam = (p2[1] - p1[1]) * pow(p2[0] - p1[0], -1, P) % P
    x = (lam * lam - p1[0] - p2[0]) % P
    return (x, (lam * (p1[0] - x) - p1[1]) % P)


def mul(k, point):
    out = None
    while k:
        if k & 1:
            out = add(out, point)
        point = add(point, point)
        k >>= 1
    return out


def es256_ok(message, signature, x, y):
    if len(signature) != 64 or (y * y - (x * x * x + A * x + B)) % P != 0:
        return False
    r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    if not (0 < r < N and 0 < s < N):
        return False
    e = int.from_bytes(hashlib.sha256(message).digest(), "big")
    w = pow(s, -1, N)
    point = add(mul(e * w % N, G), mul(r * w % N, (x, y)))
    return point is not None and point[0] % N == r


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def count(op):
    STATE["counts"][op] = STATE["counts"].get(op, 0) + 1


class Refused(Exception):
    def __init__(self, status, error_type, error, message):
        super().__init__(message)
        self.status, self.error_type, self.error, self.message = status, error_type, error, message


def check_dpop(header_value, url):
    """The proof's public key (x, y) when it is a valid proof for POST `url`."""
    if not header_value:
        raise Refused(400, "ValidationException", "invalid_request", "DPoP proof missing")
    try:
        head, body, sig = header_value.split(".")
        header = json.loads(unb64url(head))
        claims = json.loads(unb64url(body))
        jwk = header["jwk"]
        x, y = int.from_bytes(unb64url(jwk["x"]), "big"), int.from_bytes(unb64url(jwk["y"]), "big")
    except (ValueError, KeyError, TypeError):
        raise Refused(400, "ValidationException", "invalid_request", "DPoP proof malformed")
    if header.get("typ") != "dpop+jwt" or header.get("alg") != "ES256" or jwk.get("crv") != "P-256":
        raise Refused(400, "ValidationException", "invalid_request", "DPoP proof header wrong")
    if not es256_ok(f"{head}.{body}".encode(), unb64url(sig), x, y):
        raise Refused(400, "ValidationException", "invalid_request", "DPoP proof signature invalid")
    if claims.get("htm") != "POST" or claims.get("htu") != url:
        raise Refused(400, "ValidationException", "invalid_request",
                      f"DPoP proof names {claims.get('htm')} {claims.get('htu')}, not POST {url}")
    if abs(time.time() - int(claims.get("iat", 0))) > 300:
        raise Refused(400, "ValidationException", "invalid_request", "DPoP proof is stale")
    if claims.get("jti") in STATE["jtis"]:
        raise Refused(400, "ValidationException", "invalid_request", "DPoP proof replayed")
    STATE["jtis"].add(claims.get("jti"))
    return (jwk["x"], jwk["y"])


def issue(client_id, jwk):
    refresh = "rt-" + secrets.token_urlsafe(40)
    STATE["refresh"][refresh] = {"client_id": client_id, "jwk": jwk, "revoked": False}
    now = int(time.time())
    claims = {"sub": ARGS.user_arn, "iss": "https://signin.aws.amazon.com", "aud": client_id,
              "iat": now, "exp": now + ARGS.credential_seconds}
    id_token = ".".join([b64url(b'{"alg":"ES256","kid":"fake"}'), b64url(json.dumps(claims).encode()),
                         b64url(b"not-checked-by-clients")])
    # The body is the operation's payload (tokenOutput) itself.
    return {
        "accessToken": {"accessKeyId": "ASIA" + secrets.token_hex(8).upper(),
                        "secretAccessKey": secrets.token_urlsafe(30),
                        "sessionToken": "IQoJ" + secrets.token_urlsafe(100)},
        "tokenType": "aws_sigv4",
        "expiresIn": ARGS.credential_seconds,
        "refreshToken": refresh,
        "idToken": id_token}


def token(body, dpop, url):
    jwk = check_dpop(dpop, url)
    grant = body.get("grantType")
    client_id = body.get("clientId")
    if grant == "authorization_code":
        count("CreateOAuth2Token:authorization_code")
        code = STATE["codes"].get(body.get("code"))
        if code is None or code["used"]:
            raise Refused(400, "AccessDeniedException", "AUTHCODE_EXPIRED", "Authorization code expired or used")
        code["used"] = True
        if code["client_id"] != client_id or code["redirect_uri"] != body.get("redirectUri"):
            raise Refused(400, "AccessDeniedException", "invalid_grant", "Client or redirect URI does not match")
        verifier = body.get("codeVerifier") or ""
        if b64url(hashlib.sha256(verifier.encode()).digest()) != code["challenge"]:
            raise Refused(400, "AccessDeniedException", "invalid_grant", "PKCE verifier does not match")
        return issue(client_id, jwk)
    if grant == "refresh_token":
        count("CreateOAuth2Token:refresh_token")
        old = STATE["refresh"].get(body.get("refreshToken"))
        if old is None or old["revoked"]:
            raise Refused(400, "AccessDeniedException", "TOKEN_EXPIRED", "Session expired")
        if old["jwk"] != jwk or old["client_id"] != client_id:
            raise Refused(400, "AccessDeniedException", "invalid_grant", "Refresh from another key")
        old["revoked"] = True  # rotated: each refresh token works once
        return issue(client_id, jwk)
    raise Refused(400, "ValidationException", "unsupported_grant_type", f"grant {grant}")


def start_authorize(q):
    count("authorize")
    needed = ("response_type", "client_id", "state", "code_challenge", "code_challenge_method",
              "redirect_uri", "scope")
    missing = [k for k in needed if not q.get(k)]
    if missing:
        raise Refused(400, "Page", "invalid_request", f"missing {', '.join(missing)}")
    if q["response_type"] != "code" or q["code_challenge_method"] != "SHA-256" or q["client_id"] not in CLIENTS:
        raise Refused(400, "Page", "invalid_request", "unsupported request")
    cross = q["client_id"].endswith("cross-device")
    ok_redirect = (q["redirect_uri"] == f"http://127.0.0.1:{ARGS.port}/v1/sessions/confirmation" if cross
                   else q["redirect_uri"].startswith("http://127.0.0.1:"))
    if not ok_redirect:
        raise Refused(400, "Page", "invalid_request", "redirect_uri not allowed for this client")
    req = secrets.token_urlsafe(12)
    STATE["requests"][req] = q
    return req


def approve(req, action):
    q = STATE["requests"].pop(req, None)
    if q is None:
        raise Refused(400, "Page", "invalid_request", "no such sign-in (already answered?)")
    sep = "&" if "?" in q["redirect_uri"] else "?"
    if action != "approve":
        return q["redirect_uri"] + sep + urllib.parse.urlencode(
            {"error": "access_denied", "error_description": "The user cancelled the sign-in", "state": q["state"]})
    code = "ac-" + secrets.token_urlsafe(24)
    STATE["codes"][code] = {"client_id": q["client_id"], "redirect_uri": q["redirect_uri"],
                            "challenge": q["code_challenge"], "used": False}
    return q["redirect_uri"] + sep + urllib.parse.urlencode({"code": code, "state": q["state"]})


def confirmation(location):
    q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))
    return base64.b64encode(urllib.parse.urlencode({"state": q.get("state", ""), "code": q.get("code", "")})
                            .encode()).decode()


PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Sign in - AWS (test)</title></head>
<body><h1>Sign in</h1><p>Signing in as <b>{user}</b> with a passkey.</p>
<form method="post" action="/v1/authorize/approve"><input type="hidden" name="req" value="{req}">
<button id="passkey" name="action" value="approve">Use passkey</button>
<button id="cancel" name="action" value="deny">Cancel</button></form></body></html>"""


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # quiet: the tests print what matters
        pass

    def send(self, status, body, error_type=None, content_type="application/json", location=None):
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        if error_type:
            self.send_header("x-amzn-ErrorType", error_type)
        if location:
            self.send_header("Location", location)
        self.end_headers()
        self.wfile.write(data)

    def refused(self, e):
        if e.error_type == "Page":
            return self.send(e.status, f"<p id='error'>{html.escape(e.message)}</p>", content_type="text/html")
        return self.send(e.status, {"error": e.error, "message": e.message}, e.error_type)

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(url.query))
        with LOCK:
            try:
                if url.path == "/v1/authorize":
                    req = start_authorize(q)
                    return self.send(200, PAGE.format(user=html.escape(ARGS.user_arn), req=req),
                                     content_type="text/html")
                if url.path == "/v1/sessions/confirmation":
                    code = confirmation(self.path)
                    return self.send(200, f"<p>Paste this code where you started the sign-in:</p>"
                                          f"<code id='code'>{code}</code>", content_type="text/html")
            except Refused as e:
                return self.refused(e)
        return self.send(404, "<p>not found</p>", content_type="text/html")

    def do_POST(self):
        url = urllib.parse.urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if url.path == "/_control/browse":
            # Outside the lock: the client's loopback answer may take a moment.
            args = json.loads(raw or b"{}")
            try:
                with LOCK:
                    q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(args["url"]).query))
                    req = start_authorize(q)
                    location = approve(req, args.get("action", "approve"))
                if "state" in args:
                    parts = urllib.parse.urlsplit(location)
                    params = dict(urllib.parse.parse_qsl(parts.query))
                    params["state"] = args["state"]
                    location = urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(params)))
                if location.startswith(f"http://127.0.0.1:{ARGS.port}/"):
                    return self.send(200, {"location": location, "code": confirmation(location)})
                with urllib.request.urlopen(location, timeout=10) as reply:
                    return self.send(200, {"location": location, "status": reply.status,
                                           "page": reply.read().decode()})
            except Refused as e:
                return self.send(400, {"error": e.message})
        with LOCK:
            try:
                if url.path == "/v1/authorize/approve":
                    form = dict(urllib.parse.parse_qsl(raw.decode()))
                    return self.send(302, "", content_type="text/html",
                                     location=approve(form.get("req", ""), form.get("action", "")))
                if url.path == "/v1/token":
                    host = f"http://127.0.0.1:{ARGS.port}"
                    return self.send(200, token(json.loads(raw or b"{}"), self.headers.get("DPoP"),
                                                host + url.path))
                if url.path == "/_control/revoke":
                    for r in STATE["refresh"].values():
                        r["revoked"] = True
                    return self.send(200, {"revoked": len(STATE["refresh"])})
                if url.path == "/_control/counts":
                    return self.send(200, STATE["counts"])
            except Refused as e:
                return self.refused(e)
            except (ValueError, KeyError) as e:
                return self.send(400, {"message": f"bad request: {e}"}, "ValidationException")
        return self.send(404, {"message": f"no such operation: POST {url.path}"}, "UnknownOperationException")


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--user-arn", default="arn:aws:iam::123456789012:user/passkey-user")
    p.add_argument("--credential-seconds", type=int, default=900)
    ARGS = p.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", ARGS.port), Handler)
    print(f"ready http://127.0.0.1:{ARGS.port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
