"""Reads AWS config files with botocore's own loader and prints what it made of
each, for the differential test of sso-helper's reader (tests/it/config_diff.rs).

usage: config_dump.py FILE...

Prints one JSON list with an entry per file, in order: {"error": "<exception
class>"} when botocore refuses the file, else {"profiles": ..., "sso_sessions":
..., "services": ...}, each a list of [name, [[key, value], ...]] in botocore's
order, where a nested block's value is {"nested": [[key, value], ...]}.

Run with the venv of scripts/setup-test-env, with PYTHONUTF8=1 (botocore reads the
file in the locale's encoding; UTF-8 is what sso-helper reads).
"""

import json
import sys

try:
    from botocore import configloader
except ImportError as e:
    sys.exit(f"config_dump: {e} in {sys.executable}: run scripts/setup-test-env")


def value(v):
    if isinstance(v, dict):
        return {"nested": [[k, x] for k, x in v.items()]}
    return v


def sections(d):
    return [[name, [[k, value(v)] for k, v in body.items()]] for name, body in d.items()]


out = []
for path in sys.argv[1:]:
    try:
        loaded = configloader.load_config(path)
    except Exception as e:  # noqa: BLE001 - any refusal counts; its class is reported
        out.append({"error": type(e).__name__})
        continue
    out.append(
        {
            "profiles": sections(loaded["profiles"]),
            "sso_sessions": sections(loaded["sso_sessions"]),
            "services": sections(loaded["services"]),
        }
    )
json.dump(out, sys.stdout)
