# Shared set-up for scripts/demo, scripts/test and scripts/bench: installs what is missing
# (Debian packages, a Python venv with moto and the AWS CLI) and offers small helpers.
# Source it; it does not change the caller's shell options.

KEYFOB_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
KEYFOB_VENV="${KEYFOB_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/keyfob/venv}"
MOTO_VERSION="5.2.1"
AWSCLI_VERSION="1.45.11"

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

# Packages to build keyfob and to run its window (X11 or Wayland, OpenGL through Mesa).
ensure_build_and_runtime_deps() {
    ensure_apt ca-certificates gcc libc6-dev pkg-config mold \
        libgl1 libegl1 libgl1-mesa-dri libxkbcommon-x11-0 libxcursor1 libxrandr2 libxi6 libx11-xcb1
    if ! command -v cargo >/dev/null; then
        log "cargo not found: keyfob needs Rust 1.95 or newer (rustup: https://rustup.rs)"
        return 1
    fi
}

# The pinned moto server and AWS CLI in a venv of their own (reused across runs).
ensure_python_tools() {
    if ! "$KEYFOB_VENV/bin/python" -c "import moto, awscli" 2>/dev/null \
        || [ "$("$KEYFOB_VENV/bin/python" -c 'import moto; print(moto.__version__)' 2>/dev/null)" != "$MOTO_VERSION" ]; then
        log "creating a Python venv with moto $MOTO_VERSION and awscli $AWSCLI_VERSION in $KEYFOB_VENV"
        command -v python3 >/dev/null || ensure_apt python3
        python3 -m venv "$KEYFOB_VENV" 2>/dev/null || { ensure_apt python3-venv && python3 -m venv "$KEYFOB_VENV"; }
        "$KEYFOB_VENV/bin/pip" install -q --disable-pip-version-check \
            "moto[server]==$MOTO_VERSION" "awscli==$AWSCLI_VERSION"
    fi
    export PATH="$KEYFOB_VENV/bin:$PATH"
    export MOTO_SERVER="$KEYFOB_VENV/bin/moto_server"
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
target_dir() {
    cargo metadata --format-version 1 --no-deps --manifest-path "$KEYFOB_ROOT/Cargo.toml" \
        | "$KEYFOB_VENV/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])'
}

# start_xvfb — starts a virtual X server on a free display, sets DISPLAY and XVFB_PID.
start_xvfb() {
    ensure_apt xvfb xauth x11-utils xdotool imagemagick xclip
    local n=90
    while [ -e "/tmp/.X$n-lock" ] || [ -e "/tmp/.X11-unix/X$n" ]; do n=$((n + 1)); done
    Xvfb ":$n" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
    XVFB_PID=$!
    export DISPLAY=":$n"
    unset WAYLAND_DISPLAY
    local i
    for i in $(seq 1 50); do xdpyinfo >/dev/null 2>&1 && return 0; sleep 0.1; done
    log "Xvfb did not start"; return 1
}

# wait_window REGEX [SECONDS] — prints the id of the first window whose name matches.
wait_window() {
    local i w
    for i in $(seq 1 $(( ${2:-30} * 5 ))); do
        w="$(xdotool search --name "$1" 2>/dev/null | head -n 1 || true)"
        [ -n "$w" ] && { echo "$w"; return 0; }
        sleep 0.2
    done
    return 1
}

# wait_title WINDOW REGEX [SECONDS] — waits until the window's title matches.
wait_title() {
    local i
    for i in $(seq 1 $(( ${3:-30} * 5 ))); do
        xdotool getwindowname "$1" 2>/dev/null | grep -Eq "$2" && return 0
        sleep 0.2
    done
    return 1
}

# ensure_cargo_deb — cargo-deb (pinned) in keyfob's tool cache; sets CARGO_DEB.
ensure_cargo_deb() {
    local root="${XDG_CACHE_HOME:-$HOME/.cache}/keyfob/tools"
    CARGO_DEB="$root/bin/cargo-deb"
    if ! "$CARGO_DEB" --version 2>/dev/null | grep -q "3.8.0"; then
        log "installing cargo-deb 3.8.0 (about a minute, once)"
        # A packaging tool needs no optimised build: without LTO and at opt-level 1 it compiles in
        # a third of the time its own release profile takes.
        CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_OPT_LEVEL=1 \
            CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 CARGO_PROFILE_RELEASE_DEBUG=false \
            cargo install --quiet cargo-deb --version 3.8.0 --locked --root "$root"
    fi
    ensure_apt dpkg-dev # dpkg-shlibdeps works out the library dependencies
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
