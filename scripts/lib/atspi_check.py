#!/usr/bin/python3
"""What a screen reader gets from the real keyfob window, read through AT-SPI (pyatspi).

Run by scripts/e2e-atspi inside its D-Bus session, with the accessibility bus enabled and keyfob
started on a seeded session that crosses the 15-minute band about 25 s after start. Each check
prints one line; the first failure ends the run with what was found instead.
"""

import os
import re
import subprocess
import sys
import time

import gi

gi.require_version("Atspi", "2.0")
from gi.repository import GLib  # noqa: E402
import pyatspi  # noqa: E402

R = pyatspi


def ok(text):
    print(f"atspi: ok   {text}", flush=True)


def fail(text):
    print(f"atspi: FAIL {text}", file=sys.stderr, flush=True)
    sys.exit(1)


def pump(seconds):
    """Lets AT-SPI events arrive for `seconds`."""
    deadline = time.time() + seconds
    ctx = GLib.MainContext.default()
    while time.time() < deadline:
        while ctx.pending():
            ctx.iteration(False)
        time.sleep(0.05)


def walk(node, depth=0):
    if node is None or depth > 60:
        return
    yield node
    try:
        children = list(node)
    except Exception:  # a node that went away while walking: skip it
        return
    for child in children:
        yield from walk(child, depth + 1)


def nm(node):
    """A node's name, or "" for a node that went away (the tree is rebuilt when the view changes)."""
    try:
        return node.name or ""
    except Exception:
        return ""


def role_name(node):
    try:
        return node.getRoleName()
    except Exception:
        return "?"


def describe(nodes):
    return "; ".join(f"{role_name(n)} {nm(n)!r}" for n in nodes[:40])


def wait_for(what, find, timeout=20):
    """Polls `find()` until it returns something; fails naming `what`."""
    deadline = time.time() + timeout
    while True:
        found = find()
        if found:
            return found
        if time.time() > deadline:
            fail(f"{what}: not found within {timeout} s")
        pump(0.3)


def app_and_frame():
    desktop = R.Registry.getDesktop(0)
    for app in desktop:
        if app is None:
            continue
        for child in app:
            if child is not None and child.getRole() == R.ROLE_FRAME and child.name.startswith("keyfob"):
                return app, child
    return None


def all_of(root, role, name=None, prefix=None):
    out = []
    for n in walk(root):
        try:
            if n.getRole() != role:
                continue
            if name is not None and nm(n) != name:
                continue
            if prefix is not None and not nm(n).startswith(prefix):
                continue
            out.append(n)
        except Exception:
            continue
    return out


def one(root, role, name):
    found = wait_for(f"{R.Atspi.Role(role).value_nick if hasattr(R, 'Atspi') else role} {name!r}",
                     lambda: all_of(root, role, name))
    return found[0]


def states(node):
    return node.getState()


def click(node):
    """Clicks a node: its AT-SPI action if it has one, else the middle of its box."""
    try:
        action = node.queryAction()
        if action.nActions > 0:
            action.doAction(0)
            return
    except NotImplementedError:
        pass
    x, y, w, h = node.queryComponent().getExtents(R.DESKTOP_COORDS)
    subprocess.run(["xdotool", "mousemove", str(x + w // 2), str(y + h // 2), "click", "1"], check=True)


def main():
    announcements = []

    def on_announcement(event):
        announcements.append(str(event.any_data))

    R.Registry.registerEventListener(on_announcement, "object:announcement")

    app, frame = wait_for("the keyfob application on the accessibility bus", app_and_frame, 30)
    ok(f"application found; window named {frame.name!r}")
    # The session's end above 15 minutes left ("signed in until 14:32"), the minutes below.
    if not re.search(r"( left| signed in until \d\d:\d\d)$", frame.name):
        fail(f"the window's name says nothing of the session's time: {frame.name!r}")
    ok("the window's name carries the session's end or its minutes")

    headings = wait_for("headings", lambda: all_of(frame, R.ROLE_HEADING))
    names = {h.name for h in headings}
    for want in ("Sign in", "Session", "Use the session"):
        if want not in names:
            fail(f"no heading {want!r}; headings: {sorted(names)}")
    ok(f"headings: {sorted(names)}")

    # Who you are, in full: the seeded identity is longer than the card is wide.
    arn = os.environ["KEYFOB_E2E_ARN"]
    texts = [n for n in walk(frame) if arn in nm(n)]
    if not texts:
        near = sorted({nm(n) for n in walk(frame) if "assumed-role" in nm(n)})
        fail(f"the identity is not read in full; read instead: {near!r}")
    ok(f"the identity read in full ({len(arn)} characters)")

    panels = {p.name for p in all_of(frame, R.ROLE_PANEL) if p.name}
    for want in ("Sign in and sessions", "Status"):
        if want not in panels:
            fail(f"no panel named {want!r}; named panels: {sorted(panels)}")
    landmarks = {p.name for p in all_of(frame, R.ROLE_LANDMARK) if p.name}
    for want in ("Sign in", "Session", "Use the session"):
        if want not in landmarks:
            fail(f"no region named {want!r}; regions: {sorted(landmarks)}")
    ok(f"named panels {sorted(panels)} and regions {sorted(landmarks)}")

    # The band change: the seeded session crosses 15 minutes while we watch.
    wait_for("an announcement of the 15-minute band",
             lambda: [a for a in announcements if a.startswith("Ends soon")], 90)
    ok(f"announced: {announcements!r}")

    # A bad MFA device: the entry says why in its description, and Sign in says why it is off.
    entry = one(frame, R.ROLE_ENTRY, "MFA device")
    entry.queryComponent().grabFocus()
    pump(0.5)
    if not states(entry).contains(R.STATE_FOCUSED):
        click(entry)
        pump(0.5)
    subprocess.run(["xdotool", "key", "--clearmodifiers", "ctrl+a", "BackSpace"], check=True)
    subprocess.run(["xdotool", "type", "--delay", "30", "arn:aws:iam::123456789012:mfa/"], check=True)

    # The app takes the typed keys a frame at a time: wait until the field holds all of them,
    # then for its description to be the message shown next to it.
    typed = "arn:aws:iam::123456789012:mfa/"
    wait_for("the typed ARN in the field",
             lambda: entry.queryText().getText(0, -1) == typed or None, 10)

    def described():
        message = entry.description
        shown = [n for n in walk(frame) if message and nm(n) == message and n.getRole() != R.ROLE_ENTRY]
        return message if shown else None

    message = wait_for("the MFA device entry described by the message shown next to it", described, 10)
    ok(f"the MFA device entry is described by its message: {message!r}")
    sign_in = one(frame, R.ROLE_PUSH_BUTTON, "Sign in")
    if states(sign_in).contains(R.STATE_SENSITIVE):
        fail("Sign in is enabled with a bad MFA device")
    why = sign_in.description
    if not why.startswith("MFA device") or message not in why:
        fail(f"the disabled Sign in's description does not say why: {why!r}")
    ok(f"the disabled Sign in is described by why: {why!r}")

    # The S3 browser: a table of rows and cells, folders told apart, the selection stated.
    click(one(frame, R.ROLE_PUSH_BUTTON, "Browse S3"))
    bucket = wait_for("the bucket keyfob-demo-reports",
                      lambda: [n for n in walk(frame) if nm(n) == "keyfob-demo-reports"], 30)[0]
    click(bucket)
    table = one(frame, R.ROLE_TABLE, "Objects")
    rows = wait_for("the table's rows", lambda: [r for r in all_of(table, R.ROLE_TABLE_ROW)
                                                 if nm(r) not in ("Columns", "")] or None, 30)
    row_names = [nm(r) for r in rows]
    if "2026/, Folder" not in row_names or "README.txt, Text" not in row_names:
        fail(f"rows should name the folder and the text file with their kinds: {row_names}")
    headers = all_of(table, R.ROLE_COLUMN_HEADER)
    if len(headers) != 4:
        fail(f"4 column headers expected: {describe(headers)}")
    readme = next(r for r in rows if nm(r) == "README.txt, Text")
    cells = all_of(readme, R.ROLE_TABLE_CELL)
    if len(cells) != 4:
        fail(f"the README.txt row should have 4 cells: {describe(cells)}")
    if states(readme).contains(R.STATE_SELECTED):
        fail("README.txt is selected before it was clicked")
    # The row (a layout node) has no box of its own: click its name.
    name = [n for n in walk(readme) if nm(n) == "README.txt"]
    if not name:
        fail(f"no README.txt text in its row: {describe(list(walk(readme)))}")
    click(name[0])
    wait_for("README.txt's row selected", lambda: states(readme).contains(R.STATE_SELECTED) or None, 10)
    ok(f"a table of {len(rows)} rows ({row_names}), 4 column headers, 4 cells a row; the clicked row is selected")
    ok("all checks passed")


if __name__ == "__main__":
    main()
