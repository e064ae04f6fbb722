"""Resolves a profile's credentials the way any boto3 program does and prints them
as one JSON object: {"method", "AccessKeyId", "SecretAccessKey", "SessionToken",
"AccountId"},
plus "caller" (GetCallerIdentity's UserId, Account, Arn) with --sts.

usage: credentials.py PROFILE [--sts]

--sts  also makes a signed STS GetCallerIdentity call with those credentials
       (endpoint from AWS_ENDPOINT_URL_STS, as boto3 reads it).

Run by tests/it/compat.rs with the venv of scripts/setup-test-env.
"""

import json
import sys

try:
    import boto3
except ImportError as e:
    sys.exit(f"compat: {e} in {sys.executable}: run scripts/setup-test-env")


def main(argv):
    if not argv or argv[0].startswith("-") or set(argv[1:]) - {"--sts"}:
        sys.exit(__doc__)
    profile = argv[0]
    session = boto3.Session(profile_name=profile, region_name="us-east-1")
    creds = session.get_credentials()
    if creds is None:
        sys.exit(f"compat: boto3 found no credentials for profile {profile}")
    frozen = creds.get_frozen_credentials()
    out = {
        "method": creds.method,
        "AccessKeyId": frozen.access_key,
        "SecretAccessKey": frozen.secret_key,
        "SessionToken": frozen.token,
        "AccountId": frozen.account_id,
    }
    if "--sts" in argv:
        ident = session.client("sts").get_caller_identity()
        out["caller"] = {k: ident[k] for k in ("UserId", "Account", "Arn")}
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1:])
