#!/usr/bin/python3
"""The real window's browser sign-in, pressed through AT-SPI as a screen-reader user would: the
profile chosen at start (AWS_PROFILE) signs in through the browser, so the window offers
"Sign in with AWS Sign-In"; pressing it opens $BROWSER (headless Chromium in scripts/e2e-login),
the browser comes back to the window's loopback listener, and the session card appears with its
kind. Each check prints one line; the first failure ends the run with what was found instead.
"""

import sys

from atspi_check import R, all_of, app_and_frame, click, describe, fail, ok, one, wait_for, walk


def main():
    _, frame = wait_for("the keyfob window", app_and_frame, timeout=60)
    button = one(frame, R.ROLE_PUSH_BUTTON, "Sign in with AWS Sign-In")
    if all_of(frame, R.ROLE_ENTRY, "MFA code") or all_of(frame, R.ROLE_TEXT, "MFA code"):
        fail("a browser profile still offers the MFA code field")
    ok("the profile offers 'Sign in with AWS Sign-In' and no code field")
    click(button)
    if all_of(frame, R.ROLE_LABEL, "AWS Sign-In (console sign-in)"):
        fail("a session is on screen before the sign-in")
    waiting = wait_for("the wait for the browser ('Finish signing in in your browser.')",
                       lambda: all_of(frame, R.ROLE_LABEL, "Finish signing in in your browser."))
    ok(f"the window waits for the browser: {waiting[0].name!r}")
    kind = "AWS Sign-In (console sign-in)"
    wait_for(f"the session card's kind {kind!r}", lambda: all_of(frame, R.ROLE_LABEL, kind), timeout=90)
    ok(f"signed in through the browser: the card's kind is {kind!r}")
    wait_for("the sign-in button back", lambda: all_of(frame, R.ROLE_PUSH_BUTTON, "Sign in with AWS Sign-In"))
    if all_of(frame, R.ROLE_LABEL, "Finish signing in in your browser."):
        fail(f"still waiting for the browser: {describe(list(walk(frame)))}")
    ok("the wait is over and the button is back")

if __name__ == "__main__":
    sys.exit(main())
