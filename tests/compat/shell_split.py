"""Splits credential_process lines with botocore's own compat_shell_split, as
botocore does before running them, for the differential test of sso-helper's
split (tests/it/process_line_diff.rs).

usage: shell_split.py < LINES.json

Reads a JSON list of strings on stdin and prints one JSON list with an entry per
line, in order: {"windows": WORDS, "linux": WORDS, "darwin": WORDS}, the words
compat_shell_split gives with that sys.platform ("win32": _windows_shell_split;
the others: shlex.split), or null where it raises ValueError.
"""

import json
import sys

try:
    from botocore.compat import compat_shell_split
except ImportError as e:
    sys.exit(f"shell_split: {e} in {sys.executable}: run scripts/setup-test-env")


def words(line, platform):
    try:
        return compat_shell_split(line, platform)
    except ValueError:
        return None


lines = json.load(sys.stdin)
json.dump(
    [
        {
            "windows": words(line, "win32"),
            "linux": words(line, "linux"),
            "darwin": words(line, "darwin"),
        }
        for line in lines
    ],
    sys.stdout,
)
