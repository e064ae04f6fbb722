"""Which credential provider botocore's default chain picks for each profile.

    which_provider.py PROFILE...

AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE name the files. Prints one JSON
object per profile: {"method": <Credentials.method>} for the provider that answered
(botocore's names: "custom-process", "assume-role", "shared-credentials-file", ...),
or {"error": <exception class>} when the chain refuses the profile. Providers that
defer (assume-role, web identity) are not asked to fetch anything: no network.
"""
import json
import sys

import botocore.session

for profile in sys.argv[1:]:
    session = botocore.session.Session(profile=profile)
    resolver = session.get_component("credential_provider")
    try:
        creds = resolver.load_credentials()
        print(json.dumps({"method": creds.method if creds else None}))
    except Exception as e:  # the class is the answer
        print(json.dumps({"error": type(e).__name__}))
