#!/usr/bin/env bash
# Builds sso-helper (release) and installs it to ${PREFIX:-$HOME/.local}/bin.
#
#   ./install.sh           build and install
#   ./install.sh --demo    build, install, then run scripts/demo (no AWS account needed)
#   PREFIX=/opt/sso ./install.sh
#
# Needs only cargo; no sudo, no terminal. Works from any directory.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"

usage() {
    cat <<'EOF'
usage: install.sh [--demo] [--help]

Builds the release binary of sso-helper and installs it to ${PREFIX:-$HOME/.local}/bin.

  --demo    after installing, run scripts/demo: the whole login / cache / consumer
            flow against a local IAM Identity Center stand-in, in a throwaway HOME
  --help    show this help

environment:
  PREFIX    install prefix (default: $HOME/.local); the binary goes to $PREFIX/bin
EOF
}

demo=0
for arg in "$@"; do
    case "$arg" in
        --demo) demo=1 ;;
        -h | --help)
            usage
            exit 0
            ;;
        *)
            echo "install.sh: unknown argument: $arg" >&2
            usage >&2
            exit 2
            ;;
    esac
done

if ! command -v cargo >/dev/null 2>&1; then
    echo "install.sh: cargo not found; install Rust from https://rustup.rs and try again" >&2
    exit 1
fi

# Git Bash, MSYS2 and Cygwin on Windows: cargo builds sso-helper.exe.
exe=""
case "$(uname -s)" in
    MINGW* | MSYS* | CYGWIN*) exe=".exe" ;;
esac

prefix="${PREFIX:-$HOME/.local}"
bindir="$prefix/bin"
dest="$bindir/sso-helper$exe"

# A static musl binary when this machine can build one (scripts/release-target).
triple="$("$repo/scripts/release-target")"
echo "==> building sso-helper (release${triple:+, $triple})"
if ! (cd "$repo" && cargo build --release --locked -p sso-helper ${triple:+--target "$triple"}); then
    echo "install.sh: the build failed (cargo's messages above); nothing was installed" >&2
    exit 1
fi

target_dir="$(cd "$repo" && cargo metadata --no-deps --format-version 1 2>/dev/null \
    | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
target_dir="${target_dir:-$repo/target}"

echo "==> installing to $dest"
mkdir -p "$bindir"
install -m 0755 "$target_dir/${triple:+$triple/}release/sso-helper$exe" "$dest"
echo "installed: $dest ($("$dest" --version))"

# A word for a POSIX shell and for botocore's shlex.split: bare when it is
# plain, else in single quotes ('\'' for a quote).
sh_word() {
    case "$1" in
        "" | *[!A-Za-z0-9/._+@%=:,-]*) printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")" ;;
        *) printf '%s' "$1" ;;
    esac
}
# Text made safe inside double quotes: \ $ ` " escaped.
dq_text() {
    printf '%s' "$1" | sed 's/[\\$`"]/\\&/g'
}

case ":${PATH}:" in
    *":$bindir:"*) ;;
    *)
        line="export PATH=$(sh_word "$bindir"):\$PATH"
        printf 'note: %s is not on your PATH; add it: echo "%s" >> ~/.profile  (then open a new shell)\n' \
            "$bindir" "$(dq_text "$line")"
        ;;
esac

# The program as credential_process needs it. Unix: a shell word (botocore
# splits the line with shlex, the JS, Rust and Go SDKs run it with sh -c).
# Windows: the C:\ path, bare, since the Rust and Go SDKs cannot run a quoted
# one; double quotes only around a path that botocore's split or cmd.exe would
# otherwise cut (a space, & | < > ^ , ; =: characters configure quotes too).
command="$(sh_word "$dest")"
if [ -n "$exe" ] && command -v cygpath >/dev/null 2>&1; then
    command="$(cygpath -w "$dest")"
    # What sso-helper configure refuses there, or quotes (which the Rust and Go
    # SDKs cannot run): said, with the way out.
    problem=""
    if printf '%s' "$command" | LC_ALL=C grep -q '[^ -~]'; then
        problem="it has characters outside ASCII (botocore reads the config in the system code page)"
    fi
    case "$command" in
        *[%\"]*) problem="it has % or \" (cmd.exe, which the JS, Rust and Go SDKs run it through, would change it)" ;;
        *[" &|<>^,;="]*)
            [ -n "$problem" ] || problem="it needs quotes, which the Rust and Go SDKs cannot run"
            command="\"$command\""
            ;;
    esac
    if [ -n "$problem" ]; then
        echo "note: $command is a poor credential_process path: $problem; install where the path is plain instead: PREFIX=/c/Tools ./install.sh" >&2
    fi
fi

cat <<EOF

Minimal ~/.aws/config (use your own start URL, region, account and role):

    [sso-session corp]
    sso_start_url = https://d-1234567890.awsapps.com/start
    sso_region = us-east-1
    sso_registration_scopes = sso:account:access

    [profile dev]
    credential_process = $command --profile dev
    sso_helper_session = corp
    sso_helper_account_id = 111111111111
    sso_helper_role_name = ReadOnly
    region = us-east-1

Then: aws sts get-caller-identity --profile dev   (the first call opens the browser sign-in)
More: $command --help
EOF

if [ "$demo" = 1 ]; then
    echo
    echo "==> running scripts/demo with the installed binary"
    SSO_HELPER_BIN="$dest" exec "$repo/scripts/demo"
fi
