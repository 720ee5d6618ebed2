#!/usr/bin/env node
// Verify credentials with the Digital Credentials Consortium's verifier,
// @digitalcredentials/verifier-core (behind the Learner Credential Wallet and VerifierPlus), as
// it is used: its own document loader, its own suites. Run by
// tests/integration/test_interop_signatures.py and, on many credentials at once, tests/ecosystem.py.
//
// Usage: node tests/interop/verify-dcc.mjs [CREDENTIAL.json] [--did-document DID.json ...]
//          [--serve PREFIX=BASE ...]
//        node tests/interop/verify-dcc.mjs --many FILE_OR_DIR... [--did-document DID.json ...]
//          [--serve PREFIX=BASE ...]
// Prints {verified, errors} as JSON; exit code 0 when the signature is valid (with --serve: and the
// credential's status checked and not revoked), 1 when not. With
// --many, every credential file named (a directory: every *.json directly in it) is verified in
// this one process and a JSON array of {file, verified, errors} is printed, in order; exit code 0
// when all are verified, 1 when any is not, 2 for a usage error.
//
// verifier-core takes no document loader: it resolves did:key itself, reads its bundled contexts
// and fetches did:web documents and JSON schemas over HTTPS. No network here: globalThis.fetch is
// replaced by one that answers a did:web's did.json URL with a document given on the command line
// and refuses everything else. Its issuer-registry and schema checks are not signature checks and
// are left out of the verdict (no registries are given; the OB 3.0 schema cannot be fetched).
// Without --serve, credentialStatus is left out of the verdict too: verifier-core tries to fetch the
// status list, is refused, and logs a revocation_status error that the verdict does not read.
//
// --serve PREFIX=BASE (repeatable, e.g. --serve https://academy.example/=http://127.0.0.1:8123/):
// the fetch replacement reads a URL starting with PREFIX over HTTP from BASE + the rest (a
// `credreg serve --public DIR` or any static server): the status list credential and, when no
// --did-document gives it, a did:web's did.json. verifier-core then checks credentialStatus itself
// (@digitalcredentials/vc-bitstring-status-list through its own loader and suites; it passes
// verifyMatchingIssuers: false, so the list's issuer is not compared with the credential's, but
// the list's proof must verify). Each result gains `revoked` (true: the list was read and has the
// revocation bit set; false: clear; null: not checked or not checkable) and `status` (a short text
// of what verifier-core logged), and the verdict requires the revocation_status step to be valid.
//
// How revocation is told from a bad signature: verifier-core checks the proof first and, when it
// fails, answers with errors ("The signature is not valid.") and no log, so no status step
// (revoked null). A revoked credential has a valid_signature step valid and a revocation_status step
// {valid: false} without an error (its fork of the library answers a set bit with verified false);
// a list that cannot be fetched or does not verify gives a revocation_status step with an error
// {name, message} (revoked null).
//
// verifier-core gives @digitalcredentials/vc two suites, Ed25519Signature2020 and DataIntegrityProof
// with eddsa-rdfc-2022; its jsonld-signatures ProofSet passes over a proof neither matches
// (credreg's credreg-merkle-2026 anchor proof, for one) and the credential is verified when one
// matching proof verifies.
import {readFileSync} from 'node:fs';

import {credentialFiles, didWebUrl, parseServe, servedUrl} from './common.mjs';

const didDocuments = new Map();
const serves = [];
let credentialPath = null;
const paths = [];
let many = false;
const argv = process.argv.slice(2);
for(let i = 0; i < argv.length; i++) {
  if(argv[i] === '--did-document') {
    const doc = JSON.parse(readFileSync(argv[++i], 'utf8'));
    didDocuments.set(didWebUrl(doc.id), doc);
  } else if(argv[i] === '--serve') {
    try {
      serves.push(parseServe(argv[++i]));
    } catch(e) {
      process.stderr.write(`verify-dcc: ${e.message}\n`);
      process.exit(2);
    }
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

const withStatus = serves.length > 0;
const realFetch = globalThis.fetch;

globalThis.fetch = async (input, init) => {
  const url = typeof input === 'string' ? input : input.url ?? String(input);
  if(didDocuments.has(url)) {
    return new Response(JSON.stringify(didDocuments.get(url)),
      {status: 200, headers: {'content-type': 'application/json'}});
  }
  const local = servedUrl(serves, url);
  if(local !== null) {
    const method = init?.method ?? (typeof input === 'string' ? 'GET' : input.method ?? 'GET');
    return realFetch(local, {method, headers: {accept: 'application/json'}, redirect: 'error'});
  }
  throw new TypeError(`fetch failed: no network (${url})`);
};
// The schema check logs its failed fetch on the console; the verdict is on stdout alone.
console.error = () => {};
console.log = () => {};

const {verifyCredential} = await import('@digitalcredentials/verifier-core');

// {revoked, status} from verifier-core's log: what its revocation_status step says, if there is one.
function statusOf(credential, result, signatureValid) {
  if(!credential.credentialStatus) {
    return {revoked: null, status: 'no credentialStatus'};
  }
  const step = (result.log || []).find(s => s.id === 'revocation_status');
  if(!step) {
    return {revoked: null, status: signatureValid ? 'not checked: no revocation_status step' :
      'not checked: the credential\'s proof did not verify'};
  }
  if(step.error) {
    return {revoked: null, status: `status check failed: ${step.error.name}: ${step.error.message}`};
  }
  const {statusListIndex, statusListCredential} = [credential.credentialStatus].flat()[0];
  return {revoked: step.valid === false,
    status: `revocation bit ${statusListIndex} of ${statusListCredential} ${step.valid ? 'clear' : 'set'}`};
}

// The verdict on one credential: {verified, errors}, and with --serve {revoked, status}.
async function verify(credential) {
  const result = await verifyCredential({credential, knownDIDRegistries: []});
  const signature = (result.log || []).find(step => step.id === 'valid_signature');
  const signatureValid = !result.errors && signature?.valid === true;
  if(!withStatus) {
    const errors = signatureValid ? [] : (result.errors || [{message: 'no valid_signature step'}]).map(e => e.message);
    return {verified: signatureValid, errors};
  }
  const status = statusOf(credential, result, signatureValid);
  const statusValid = !credential.credentialStatus || status.revoked === false;
  const verified = signatureValid && statusValid;
  const errors = signatureValid ? [] : (result.errors || [{message: 'no valid_signature step'}]).map(e => e.message);
  if(signatureValid && !statusValid) {
    errors.push(`credentialStatus: ${status.status}`);
  }
  return {verified, errors, ...status};
}

if(files) {
  const results = [];
  for(const file of files) {
    let credential;
    try {
      credential = JSON.parse(readFileSync(file, 'utf8'));
    } catch(e) {
      results.push({file, verified: false, errors: [e.message],
        ...(withStatus ? {revoked: null, status: 'not checked: unreadable'} : {})});
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
