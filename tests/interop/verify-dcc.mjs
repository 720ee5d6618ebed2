#!/usr/bin/env node
// Verify credentials with the Digital Credentials Consortium's verifier,
// @digitalcredentials/verifier-core (behind the Learner Credential Wallet and VerifierPlus), as
// it is used: its own document loader, its own suites. Run by
// tests/integration/test_interop_signatures.py and, on many credentials at once, tests/ecosystem.py.
//
// Usage: node tests/interop/verify-dcc.mjs [CREDENTIAL.json] [--did-document DID.json ...]
//        node tests/interop/verify-dcc.mjs --many FILE_OR_DIR... [--did-document DID.json ...]
// Prints {verified, errors} as JSON; exit code 0 when the signature is valid, 1 when not. With
// --many, every credential file named (a directory: every *.json directly in it) is verified in
// this one process and a JSON array of {file, verified, errors} is printed, in order; exit code 0
// when all are verified, 1 when any is not, 2 for a usage error.
//
// verifier-core takes no document loader: it resolves did:key itself, reads its bundled contexts
// and fetches did:web documents and JSON schemas over HTTPS. No network here: globalThis.fetch is
// replaced by one that answers a did:web's did.json URL with a document given on the command line
// and refuses everything else. Its issuer-registry and schema checks are not signature checks and
// are left out of the verdict (no registries are given; the OB 3.0 schema cannot be fetched).
//
// verifier-core gives @digitalcredentials/vc two suites, Ed25519Signature2020 and DataIntegrityProof
// with eddsa-rdfc-2022; its jsonld-signatures ProofSet passes over a proof neither matches
// (credreg's credreg-merkle-2026 anchor proof, for one) and the credential is verified when one
// matching proof verifies.
import {readFileSync} from 'node:fs';

import {credentialFiles} from './common.mjs';

const didDocuments = new Map();
let credentialPath = null;
const paths = [];
let many = false;
const argv = process.argv.slice(2);
for(let i = 0; i < argv.length; i++) {
  if(argv[i] === '--did-document') {
    const doc = JSON.parse(readFileSync(argv[++i], 'utf8'));
    didDocuments.set(didWebUrl(doc.id), doc);
  } else if(argv[i] === '--many') {
    many = true;
  } else {
    credentialPath = argv[i];
    paths.push(argv[i]);
  }
}
let files = null;
if(many) {
  try {
    files = credentialFiles(paths);
  } catch(e) {
    process.stderr.write(`verify-dcc: ${e.message}\n`);
    process.exit(2);
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

// The verdict on one credential: {verified, errors}.
async function verify(credential) {
  const result = await verifyCredential({credential, knownDIDRegistries: []});
  const signature = (result.log || []).find(step => step.id === 'valid_signature');
  const verified = !result.errors && signature?.valid === true;
  const errors = verified ? [] : (result.errors || [{message: 'no valid_signature step'}]).map(e => e.message);
  return {verified, errors};
}

if(files) {
  const results = [];
  for(const file of files) {
    let credential;
    try {
      credential = JSON.parse(readFileSync(file, 'utf8'));
    } catch(e) {
      results.push({file, verified: false, errors: [e.message]});
      continue;
    }
    results.push({file, ...await verify(credential)});
  }
  process.stdout.write(JSON.stringify(results) + '\n');
  process.exitCode = results.every(r => r.verified) ? 0 : 1;
} else {
  const output = await verify(JSON.parse(readFileSync(credentialPath ?? 0, 'utf8')));
  process.stdout.write(JSON.stringify(output) + '\n');
  process.exitCode = output.verified ? 0 : 1;
}
