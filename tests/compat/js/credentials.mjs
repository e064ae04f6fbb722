// Resolves a profile's credentials the way any JS SDK v3 program does (the
// default chain, fromNodeProviderChain) and prints them as one JSON object:
// {"AccessKeyId", "SecretAccessKey", "SessionToken", "AccountId", "source"},
// where source lists the chain's feature ids (e.g. CREDENTIALS_PROFILE_PROCESS).
//
// usage: node credentials.mjs PROFILE
//
// Run by tests/it/compat.rs with the packages scripts/setup-test-env installs.
import { fromNodeProviderChain } from "@aws-sdk/credential-providers";

const profile = process.argv[2];
if (!profile) {
  console.error("usage: node credentials.mjs PROFILE");
  process.exit(2);
}
try {
  const c = await fromNodeProviderChain({ profile })();
  console.log(
    JSON.stringify({
      AccessKeyId: c.accessKeyId,
      SecretAccessKey: c.secretAccessKey,
      SessionToken: c.sessionToken,
      AccountId: c.accountId,
      source: Object.keys(c.$source || {}),
    }),
  );
} catch (e) {
  console.error(`compat-js: ${e.name}: ${e.message}`);
  process.exit(1);
}
