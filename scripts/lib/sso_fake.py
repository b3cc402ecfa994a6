#!/usr/bin/env python3
"""A loopback IAM Identity Center for tests: the OIDC API (RegisterClient, StartDeviceAuthorization,
CreateToken with the device-code and refresh-token grants) and the access portal's API (ListAccounts,
ListAccountRoles, GetRoleCredentials, Logout), on one port, in the wire protocol the AWS SDKs speak
(restJson1: JSON bodies, the error's type in the x-amzn-ErrorType header). moto has neither.

The authorization-code sign-in (what `aws sso login` does by default): GET /authorize checks the
client's registration (grant type, redirect URI), PKCE (S256) and state and shows an Allow button;
POST /authorize redirects to the client's loopback address with a code, which CreateToken takes
once, for that client and redirect URI, with the verifier of the challenge. /_control/browse plays
the browser for tests that have none.

The device approval page stands in for the browser step: GET /device?user_code=… shows the code and a form,
POST /device (user_code=…&action=approve|deny) approves or denies it. Test controls, never part of
the AWS API, live under /_control/: revoke every token, remove a role, read the counters.

Usage: sso_fake.py --port N [--accounts N] [--token-seconds S] [--role-seconds S]
       [--device-seconds S]. Prints "ready http://127.0.0.1:N" once it listens.
"""

import argparse
import base64
import hashlib
import json
import secrets
import sys
import threading
import time
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
STATE = {
    "clients": {},  # client_id -> {"secret": …, "expires": epoch}
    "devices": {},  # device_code -> {"user_code", "client_id", "state", "expires", "start_url"}
    "tokens": {},  # access_token -> {"expires", "refresh"}
    "refresh": {},  # refresh_token -> client_id
    "accounts": {},  # account_id -> {"name", "email", "roles": [...]}
    "counts": {},  # operation -> calls
    "authorizations": {},  # authorize page request id -> its query
    "codes": {},  # authorization code -> {"client_id", "redirect_uri", "challenge", "used"}
}
ARGS = None


def count(op):
    STATE["counts"][op] = STATE["counts"].get(op, 0) + 1


def new_token(client_id):
    access = "aoa" + secrets.token_urlsafe(48)
    refresh = "aor" + secrets.token_urlsafe(48)
    STATE["tokens"][access] = {"expires": time.time() + ARGS.token_seconds}
    STATE["refresh"][refresh] = client_id
    return {
        "accessToken": access,
        "tokenType": "Bearer",
        "expiresIn": ARGS.token_seconds,
        "refreshToken": refresh,
    }


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # quiet: the tests print what matters
        pass

    def send(self, status, body, error_type=None, content_type="application/json"):
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        if error_type:
            self.send_header("x-amzn-ErrorType", error_type)
        self.end_headers()
        self.wfile.write(data)

    def oidc_error(self, status, error_type, code, description):
        self.send(status, {"error": code, "error_description": description}, error_type)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def json_body(self):
        raw = self.body()
        try:
            return json.loads(raw or b"{}")
        except ValueError:
            return None

    # The OIDC API and the approval page.
    def do_POST(self):
        path = urllib.parse.urlparse(self.path).path
        if path == "/device":
            return self.approval_form_posted()
        if path == "/authorize":
            form = {k: v[0] for k, v in urllib.parse.parse_qs(self.body().decode()).items()}
            with LOCK:
                try:
                    location = self.approve(form.get("req", ""), form.get("action", ""))
                except ValueError as e:
                    return self.send(400, f"<p id='error'>{e}</p>", content_type="text/html")
            self.send_response(302)
            self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        if path == "/_control/browse":
            # Plays the browser on the authorize page (outside the lock: the client's loopback
            # listener answers the redirect).
            args = self.json_body() or {}
            try:
                with LOCK:
                    q = {k: v[0] for k, v in urllib.parse.parse_qs(urllib.parse.urlsplit(args["url"]).query).items()}
                    location = self.approve(self.authorize(q), args.get("action", "approve"))
            except (ValueError, KeyError) as e:
                return self.send(400, {"error": str(e)})
            if "state" in args:
                parts = urllib.parse.urlsplit(location)
                params = {k: v[0] for k, v in urllib.parse.parse_qs(parts.query).items()}
                params["state"] = args["state"]
                location = urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(params)))
            with urllib.request.urlopen(location, timeout=10) as reply:
                return self.send(200, {"location": location, "status": reply.status,
                                       "page": reply.read().decode()})
        if path.startswith("/_control/"):
            return self.control(path)
        if path == "/logout":
            with LOCK:
                count("Logout")
                STATE["tokens"].pop(self.headers.get("x-amz-sso_bearer_token", ""), None)
            return self.send(200, {})
        req = self.json_body()
        if req is None:
            return self.oidc_error(400, "InvalidRequestException", "invalid_request", "not JSON")
        with LOCK:
            if path == "/client/register":
                count("RegisterClient")
                if not req.get("clientName") or req.get("clientType") != "public":
                    return self.oidc_error(400, "InvalidClientMetadataException",
                                           "invalid_client_metadata", "clientName and clientType")
                cid = "cid-" + secrets.token_hex(8)
                csec = "csec-" + secrets.token_urlsafe(32)
                now = int(time.time())
                STATE["clients"][cid] = {"secret": csec, "expires": now + 90 * 86400,
                                         "grants": req.get("grantTypes") or [],
                                         "redirects": req.get("redirectUris") or [],
                                         "issuer": req.get("issuerUrl")}
                return self.send(200, {"clientId": cid, "clientSecret": csec,
                                       "clientIdIssuedAt": now,
                                       "clientSecretExpiresAt": now + 90 * 86400})
            if path == "/device_authorization":
                count("StartDeviceAuthorization")
                if not self.client_ok(req):
                    return self.oidc_error(400, "InvalidClientException", "invalid_client", "unknown client")
                device = "dc-" + secrets.token_urlsafe(32)
                user = "-".join(secrets.token_hex(2).upper() for _ in range(2))
                STATE["devices"][device] = {"user_code": user, "client_id": req["clientId"],
                                            "state": "pending", "start_url": req.get("startUrl"),
                                            "expires": time.time() + ARGS.device_seconds}
                base = f"http://127.0.0.1:{self.server.server_port}/device"
                return self.send(200, {"deviceCode": device, "userCode": user,
                                       "verificationUri": base,
                                       "verificationUriComplete": f"{base}?user_code={user}",
                                       "expiresIn": ARGS.device_seconds, "interval": 1})
            if path == "/token":
                count("CreateToken")
                return self.create_token(req)
        return self.send(404, {"message": f"no such operation: POST {path}"}, "UnknownOperationException")

    def client_ok(self, req):
        c = STATE["clients"].get(req.get("clientId"))
        return c is not None and c["secret"] == req.get("clientSecret")

    def create_token(self, req):
        if not self.client_ok(req):
            return self.oidc_error(400, "InvalidClientException", "invalid_client", "unknown client")
        grant = req.get("grantType")
        if grant == "urn:ietf:params:oauth:grant-type:device_code":
            d = STATE["devices"].get(req.get("deviceCode"))
            if d is None or d["client_id"] != req["clientId"]:
                return self.oidc_error(400, "InvalidGrantException", "invalid_grant", "unknown device code")
            if time.time() > d["expires"]:
                return self.oidc_error(400, "ExpiredTokenException", "expired_token", "device code expired")
            if d["state"] == "pending":
                return self.oidc_error(400, "AuthorizationPendingException", "authorization_pending", "pending")
            if d["state"] == "denied":
                return self.oidc_error(400, "AccessDeniedException", "access_denied", "denied by the user")
            if d["state"] == "used":
                return self.oidc_error(400, "InvalidGrantException", "invalid_grant", "code already used")
            d["state"] = "used"
            return self.send(200, new_token(req["clientId"]))
        if grant == "authorization_code":
            c = STATE["codes"].get(req.get("code"))
            if c is None or c["used"]:
                return self.oidc_error(400, "InvalidGrantException", "invalid_grant", "code unknown or used")
            c["used"] = True
            if c["client_id"] != req["clientId"] or c["redirect_uri"] != req.get("redirectUri"):
                return self.oidc_error(400, "InvalidGrantException", "invalid_grant", "client or redirect differs")
            verifier = (req.get("codeVerifier") or "").encode()
            challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=").decode()
            if challenge != c["challenge"]:
                return self.oidc_error(400, "InvalidGrantException", "invalid_grant", "PKCE verifier does not match")
            return self.send(200, new_token(req["clientId"]))
        if grant == "refresh_token":
            owner = STATE["refresh"].pop(req.get("refreshToken"), None)
            if owner != req["clientId"]:
                return self.oidc_error(400, "InvalidGrantException", "invalid_grant", "refresh token refused")
            return self.send(200, new_token(req["clientId"]))
        return self.oidc_error(400, "UnsupportedGrantTypeException", "unsupported_grant_type", str(grant))

    def authorize(self, q):
        """The authorization-code sign-in's page: checks the request, keeps it, shows Allow."""
        count("Authorize")
        c = STATE["clients"].get(q.get("client_id"))
        if c is None or "authorization_code" not in c["grants"]:
            raise ValueError("client unknown or not registered for the authorization code grant")
        if q.get("redirect_uri") not in c["redirects"]:
            raise ValueError("redirect_uri was not registered")
        if q.get("response_type") != "code" or q.get("code_challenge_method") != "S256":
            raise ValueError("response_type or code_challenge_method")
        for k in ("state", "code_challenge", "scopes"):
            if not q.get(k):
                raise ValueError(f"{k} missing")
        req = secrets.token_urlsafe(12)
        STATE["authorizations"][req] = q
        return req

    def approve(self, req, action):
        q = STATE["authorizations"].pop(req, None)
        if q is None:
            raise ValueError("no such sign-in (already answered?)")
        if action != "approve":
            return q["redirect_uri"] + "?" + urllib.parse.urlencode(
                {"error": "access_denied", "error_description": "The user denied the request", "state": q["state"]})
        code = "ac-" + secrets.token_urlsafe(24)
        STATE["codes"][code] = {"client_id": q["client_id"], "redirect_uri": q["redirect_uri"],
                                "challenge": q["code_challenge"], "used": False}
        return q["redirect_uri"] + "?" + urllib.parse.urlencode({"code": code, "state": q["state"]})

    def approval_form_posted(self):
        form = urllib.parse.parse_qs(self.body().decode())
        user = form.get("user_code", [""])[0]
        action = form.get("action", ["approve"])[0]
        with LOCK:
            for d in STATE["devices"].values():
                if d["user_code"] == user and d["state"] == "pending":
                    d["state"] = "approved" if action == "approve" else "denied"
                    return self.send(200, f"<h1>Request {d['state']}</h1>", content_type="text/html")
        return self.send(404, "<h1>No such code</h1>", content_type="text/html")

    def control(self, path):
        req = self.json_body() or {}
        with LOCK:
            if path == "/_control/revoke":
                STATE["tokens"].clear()
                STATE["refresh"].clear()
                return self.send(200, {"revoked": True})
            if path == "/_control/remove-role":
                acct = STATE["accounts"].get(req.get("accountId"), {"roles": []})
                acct["roles"] = [r for r in acct["roles"] if r != req.get("roleName")]
                return self.send(200, {"roles": acct["roles"]})
            if path == "/_control/counts":
                return self.send(200, STATE["counts"])
        return self.send(404, {"message": "no such control"})

    # The approval page and the portal API.
    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        q = {k: v[0] for k, v in urllib.parse.parse_qs(url.query).items()}
        if url.path == "/authorize":
            with LOCK:
                try:
                    req = self.authorize(q)
                except ValueError as e:
                    return self.send(400, f"<p id='error'>{e}</p>", content_type="text/html")
            page = ("<html><body><h1>Allow keyfob to access your data?</h1>"
                    f"<form method='post' action='/authorize'><input type='hidden' name='req' value='{req}'>"
                    "<button name='action' value='approve' id='approve'>Allow access</button>"
                    "<button name='action' value='deny' id='deny'>Deny</button></form></body></html>")
            return self.send(200, page, content_type="text/html")
        if url.path == "/device":
            user = q.get("user_code", "")
            page = (f"<html><body><h1>Approve keyfob</h1><p id='code'>{user}</p>"
                    f"<form method='post' action='/device'><input type='hidden' name='user_code' value='{user}'>"
                    "<button name='action' value='approve' id='approve'>Allow</button>"
                    "<button name='action' value='deny' id='deny'>Deny</button></form></body></html>")
            return self.send(200, page, content_type="text/html")
        with LOCK:
            token = STATE["tokens"].get(self.headers.get("x-amz-sso_bearer_token", ""))
            if token is None or token["expires"] < time.time():
                count("Unauthorized")
                return self.send(401, {"message": "Session token not found or invalid"}, "UnauthorizedException")
            if url.path == "/assignment/accounts":
                count("ListAccounts")
                ids = sorted(STATE["accounts"])
                start = int(q.get("next_token") or 0)
                size = int(q.get("max_result") or 100)
                page = ids[start:start + size]
                body = {"accountList": [{"accountId": a, "accountName": STATE["accounts"][a]["name"],
                                         "emailAddress": STATE["accounts"][a]["email"]} for a in page]}
                if start + size < len(ids):
                    body["nextToken"] = str(start + size)
                return self.send(200, body)
            acct = STATE["accounts"].get(q.get("account_id"))
            if url.path == "/assignment/roles":
                count("ListAccountRoles")
                roles = acct["roles"] if acct else []
                return self.send(200, {"roleList": [{"roleName": r, "accountId": q.get("account_id")} for r in roles]})
            if url.path == "/federation/credentials":
                count("GetRoleCredentials")
                if acct is None or q.get("role_name") not in acct["roles"]:
                    return self.send(404, {"message": "No access"}, "ResourceNotFoundException")
                return self.send(200, {"roleCredentials": {
                    "accessKeyId": "ASIA" + secrets.token_hex(8).upper(),
                    "secretAccessKey": secrets.token_urlsafe(30),
                    "sessionToken": "IQoJ" + secrets.token_urlsafe(120),
                    "expiration": int((time.time() + ARGS.role_seconds) * 1000)}})
        return self.send(404, {"message": f"no such operation: GET {url.path}"}, "UnknownOperationException")


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--accounts", type=int, default=2)
    p.add_argument("--token-seconds", type=int, default=8 * 3600)
    p.add_argument("--role-seconds", type=int, default=3600)
    p.add_argument("--device-seconds", type=int, default=600)
    ARGS = p.parse_args()
    for i in range(ARGS.accounts):
        acct = f"{111111111111 * (i + 1) if i < 9 else 100000000000 + i:012d}"
        STATE["accounts"][acct] = {"name": f"account-{i + 1}", "email": f"aws+{i + 1}@example.com",
                                   "roles": ["AdministratorAccess", "ReadOnlyAccess"]}
    server = ThreadingHTTPServer(("127.0.0.1", ARGS.port), Handler)
    print(f"ready http://127.0.0.1:{ARGS.port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
