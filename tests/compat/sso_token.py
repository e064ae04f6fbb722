"""Loads a profile's SSO token through botocore's own token provider chain
(Session.get_auth_token -> SSOTokenProvider), the path every bearer-token client
and the native SSO credential provider take. A cached token with under 15 minutes
left is refreshed (CreateToken, refresh_token grant) and botocore writes the new
one back to ~/.aws/sso/cache/<sha1>.json itself.

usage: sso_token.py PROFILE

Prints {"method", "expiration"}; never the token.
Run by tests/it/compat.rs with the venv of scripts/setup-test-env.
"""

import json
import sys

try:
    import botocore.session
except ImportError as e:
    sys.exit(f"compat: {e} in {sys.executable}: run scripts/setup-test-env")


def main(argv):
    if len(argv) != 1 or argv[0].startswith("-"):
        sys.exit(__doc__)
    session = botocore.session.Session(profile=argv[0])
    token = session.get_auth_token()
    if token is None:
        sys.exit(f"compat: botocore found no SSO token for profile {argv[0]}")
    frozen = token.get_frozen_token()
    print(json.dumps({
        "method": token.method,
        "expiration": frozen.expiration.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }))


if __name__ == "__main__":
    main(sys.argv[1:])
