"""Expands file names the way botocore expands AWS_CONFIG_FILE and
AWS_SHARED_CREDENTIALS_FILE, for the differential test of sso-helper's home and
expansion rules (tests/it/home_diff.rs).

usage: expand_path.py < CASES

CASES is a JSON list of {"flavour": "posix" or "nt", "environ": {NAME: VALUE},
"uid": N, "users": [[NAME, UID, HOME], ...], "paths": [PATH, ...]}. Prints one
JSON list with, for each case, the list of expanded paths.

posix: botocore's own configloader.raw_config_parse (os.path.expandvars, then
os.path.expanduser) with os.environ, os.getuid and the pwd module replaced by the
case's; the expanded name is the one in the ConfigNotFound it raises. nt: Python's
ntpath.expanduser(ntpath.expandvars(PATH)), the same order, with os.environ
replaced by one whose names are case-insensitive, as os.environ is on Windows
(ntpath reads os.environ when called, so this is what it does on Windows).
"""

import json
import ntpath
import os
import sys
import types

try:
    from botocore import configloader
    from botocore.exceptions import ConfigNotFound
except ImportError as e:
    sys.exit(f"expand_path: {e} in {sys.executable}: run scripts/setup-test-env")


class WindowsEnviron(dict):
    """os.environ on Windows: names are upper-cased on the way in and out."""

    def __init__(self, pairs):
        super().__init__((k.upper(), v) for k, v in pairs.items())

    def __getitem__(self, key):
        return super().__getitem__(key.upper())

    def __contains__(self, key):
        return super().__contains__(key.upper())

    def get(self, key, default=None):
        return super().get(key.upper(), default)


def fake_pwd(users):
    def find(pred):
        for name, uid, home in users:
            if pred(name, uid):
                return types.SimpleNamespace(pw_name=name, pw_uid=uid, pw_dir=home)
        raise KeyError("not in the test's password database")

    return types.SimpleNamespace(
        getpwuid=lambda uid: find(lambda _n, u: u == uid),
        getpwnam=lambda name: find(lambda n, _u: n == name),
    )


def posix(path):
    try:
        configloader.raw_config_parse(path)
    except ConfigNotFound as e:
        return e.kwargs["path"]
    raise SystemExit(f"expand_path: {path!r} named a file that exists")


def nt(path):
    return ntpath.expanduser(ntpath.expandvars(path))


real_environ, real_getuid = os.environ, os.getuid
out = []
for case in json.load(sys.stdin):
    sys.modules["pwd"] = fake_pwd(case["users"])
    os.getuid = lambda uid=case["uid"]: uid
    if case["flavour"] == "nt":
        os.environ = WindowsEnviron(case["environ"])
        expand = nt
    else:
        os.environ = dict(case["environ"])
        expand = posix
    try:
        out.append([expand(p) for p in case["paths"]])
    finally:
        os.environ, os.getuid = real_environ, real_getuid
json.dump(out, sys.stdout)
