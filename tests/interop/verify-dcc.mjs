#!/usr/bin/env node
// Verify a credential with the Digital Credentials Consortium's verifier,
// @digitalcredentials/verifier-core (behind the Learner Credential Wallet and VerifierPlus), as
// it is used: its own document loader, its own suites. Run by
// tests/integration/test_interop_signatures.py.
//
// Usage: node tests/interop/verify-dcc.mjs [CREDENTIAL.json] [--did-document DID.json ...]
// Prints {verified, errors} as JSON; exit code 0 when the signature is valid, 1 when not.
//
// verifier-core takes no document loader: it resolves did:key itself, reads its bundled contexts
// and fetches did:web documents and JSON schemas over HTTPS. No network here: globalThis.fetch is
// replaced by one that answers a did:web's did.json URL with a document given on the command line
// and refuses everything else. Its issuer-registry and schema checks are not signature checks and
// are left out of the verdict (no registries are given; the OB 3.0 schema cannot be fetched).
import {readFileSync} from 'node:fs';

const didDocuments = new Map();
let credentialPath = null;
const argv = process.argv.slice(2);
for(let i = 0; i < argv.length; i++) {
  if(argv[i] === '--did-document') {
    const doc = JSON.parse(readFileSync(argv[++i], 'utf8'));
    didDocuments.set(didWebUrl(doc.id), doc);
  } else {
    credentialPath = argv[i];
  }
}

function didWebUrl(did) {
  // did:web:HOST[%3APORT][:PATH...] -> https://HOST[:PORT]/(PATH|.well-known)/did.json
  const [host, ...path] = did.replace(/^did:web:/, '').split(':');
  const location = path.length ? path.map(decodeURIComponent).join('/') : '.well-known';
  return `https://${decodeURIComponent(host)}/${location}/did.json`;
}

globalThis.fetch = async input => {
  const url = typeof input === 'string' ? input : input.url ?? String(input);
  if(didDocuments.has(url)) {
    return new Response(JSON.stringify(didDocuments.get(url)),
      {status: 200, headers: {'content-type': 'application/json'}});
  }
  throw new TypeError(`fetch failed: no network (${url})`);
};
// The schema check logs its failed fetch on the console; the verdict is on stdout alone.
console.error = () => {};
console.log = () => {};

const {verifyCredential} = await import('@digitalcredentials/verifier-core');
const credential = JSON.parse(readFileSync(credentialPath ?? 0, 'utf8'));
const result = await verifyCredential({credential, knownDIDRegistries: []});
const signature = (result.log || []).find(step => step.id === 'valid_signature');
const verified = !result.errors && signature?.valid === true;
const errors = verified ? [] : (result.errors || [{message: 'no valid_signature step'}]).map(e => e.message);
process.stdout.write(JSON.stringify({verified, errors}) + '\n');
process.exitCode = verified ? 0 : 1;
