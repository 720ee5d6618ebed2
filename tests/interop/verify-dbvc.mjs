#!/usr/bin/env node
// Verify credentials with Digital Bazaar's own verifier: @digitalbazaar/vc's verifyCredential
// with a DataIntegrityProof over the eddsa-rdfc-2022 cryptosuite. An interoperability check of
// credreg's signatures (registry/credentials/signing.py), run by
// tests/integration/test_interop_signatures.py and, on many credentials at once, tests/ecosystem.py.
//
// Usage: node tests/interop/verify-dbvc.mjs [CREDENTIAL.json] [--did-document DID.json ...]
//          [--serve PREFIX=BASE ...]
//        node tests/interop/verify-dbvc.mjs --many FILE_OR_DIR... [--did-document DID.json ...]
//          [--serve PREFIX=BASE ...]
// The credential comes from the file, or from stdin without one. Prints {verified, errors} as
// JSON; exit code 0 when verified, 1 when not, 2 for a usage error. With --many, every credential
// file named (a directory: every *.json directly in it) is verified in this one process and a JSON
// array of {file, verified, errors} is printed, in order; exit code 0 when all are verified.
//
// No network: the document loader serves only the JSON-LD contexts credreg ships (read from
// registry/credentials/contexts/, common.mjs's CONTEXTS, the map of signing.py's CONTEXTS), did:key
// documents (resolved locally by did-method-key's driver) and the DID documents given with
// --did-document (a did:web's did.json). Any other URL is an error naming it. Without --serve no
// checkStatus is given, so a credential with credentialStatus does not verify (verifyCredential
// requires a checkStatus for one).
//
// --serve PREFIX=BASE (repeatable, e.g. --serve https://academy.example/=http://127.0.0.1:8123/):
// a URL starting with PREFIX is read over HTTP from BASE + the rest (a `credreg serve --public DIR`
// or any static server): the status list credential and, when no --did-document gives it, a
// did:web's did.json. credentialStatus is then checked by @digitalbazaar/vc-bitstring-status-list's
// checkStatus, which loads the status list credential through the same loader, verifies it with the
// same suite (its issuer must also equal the credential's) and returns, per entry, the bit at
// statusListIndex as `status`. A VC 2.0 list needs no context but the shipped VC 2.0 one, which
// defines the Bitstring Status List terms: the library asks for the separate BSL context only of a
// VC 1.1 list. A set bit of any purpose fails the credential; `revoked` reads the revocation
// entries. Each result gains
// `revoked` (true: a verified list has the revocation bit set; false: it has it clear; null: status
// not checked or not checkable) and `status` (a short text of what the library said).
//
// How revocation is told from a bad signature: verifyCredential checks the proof first and skips
// the status check when it fails (no statusResult: revoked null, the proof's error in errors). The
// library reports a revoked credential as {verified: true, results: [{status: true}]}: a checked
// list, a set bit, not a failure. This script's checkStatus turns a set bit into statusResult.verified
// false, so verifyCredential's verified is false for a revoked credential. A list that cannot be
// loaded or does not verify is statusResult {verified: false, error} (revoked null).
//
// Only proofs of type DataIntegrityProof with cryptosuite eddsa-rdfc-2022 are checked: jsonld-
// signatures' ProofSet passes over a proof no given suite matches (credreg's credreg-merkle-2026
// anchor proof, for one) and the credential is verified when one matching proof verifies.
import {readFileSync} from 'node:fs';

import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {driver as didKeyDriver} from '@digitalbazaar/did-method-key';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {cryptosuite as eddsaRdfc2022} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {verifyCredential} from '@digitalbazaar/vc';
import {checkStatus as checkBitstringStatus} from '@digitalbazaar/vc-bitstring-status-list';

import {credentialFiles, didWebUrl, parseServe, servedUrl, shippedContext} from './common.mjs';

function parseArgs(argv) {
  const didDocuments = [];
  const serves = [];
  const paths = [];
  let many = false;
  for(let i = 0; i < argv.length; i++) {
    if(argv[i] === '--did-document') {
      if(i + 1 >= argv.length) {
        throw new Error('--did-document needs a file');
      }
      didDocuments.push(JSON.parse(readFileSync(argv[++i], 'utf8')));
    } else if(argv[i] === '--serve') {
      serves.push(parseServe(argv[++i]));
    } else if(argv[i] === '--many') {
      many = true;
    } else if(argv[i].startsWith('--')) {
      throw new Error(`unknown option ${argv[i]}`);
    } else {
      paths.push(argv[i]);
    }
  }
  if(many) {
    return {files: credentialFiles(paths), didDocuments, serves};
  }
  if(paths.length > 1) {
    throw new Error(`unexpected argument ${paths[1]}`);
  }
  return {credentialPath: paths[0] ?? null, didDocuments, serves};
}

// The JSON document at `url`, read through the --serve mappings; null when no mapping covers it.
async function fetchServed(serves, url) {
  const local = servedUrl(serves, url);
  if(local === null) {
    return null;
  }
  const response = await fetch(local, {headers: {accept: 'application/json'}, redirect: 'error'});
  if(!response.ok) {
    throw new Error(`${url} (served from ${local}): HTTP ${response.status}`);
  }
  return JSON.parse(await response.text());
}

function makeDocumentLoader(didDocuments, serves) {
  const keys = didKeyDriver();
  keys.use({multibaseMultikeyHeader: 'z6Mk', fromMultibase: Ed25519Multikey.from});
  const dids = new Map(didDocuments.map(doc => [doc.id, doc]));
  const didDocument = async did => {
    if(dids.has(did)) {
      return dids.get(did);
    }
    if(did.startsWith('did:web:')) {
      const doc = await fetchServed(serves, didWebUrl(did));
      if(doc !== null && doc.id !== did) {
        throw new Error(`document loader: ${didWebUrl(did)} is the DID document of ${doc.id}, not ${did}`);
      }
      return doc;
    }
    return null;
  };
  return async url => {
    const context = shippedContext(url);
    if(context !== null) {
      return context;
    }
    if(url.startsWith('did:key:')) {
      return {contextUrl: null, documentUrl: url, document: await keys.get({url})};
    }
    const [did, fragment] = url.split('#');
    const doc = await didDocument(did);
    if(doc !== null) {
      if(fragment === undefined) {
        return {contextUrl: null, documentUrl: url, document: doc};
      }
      const method = (doc.verificationMethod || []).find(m => m.id === url);
      if(method) {
        // A verification method stands alone with its DID document's contexts.
        return {contextUrl: null, documentUrl: url, document: {'@context': doc['@context'], ...method}};
      }
    }
    if(!url.startsWith('did:')) {
      const served = await fetchServed(serves, url);
      if(served !== null) {
        return {contextUrl: null, documentUrl: url, document: served};
      }
    }
    throw new Error(`document loader: ${url} is not served (no network: only credreg's contexts, ` +
      'did:key, the given DID documents and the --serve prefixes)');
  };
}

// verifyCredential's checkStatus: the library's check, with a set bit made a failure (the library
// reports a set bit as a verified check with status true).
async function checkStatus(options) {
  const result = await checkBitstringStatus(options);
  if(result.verified && result.results.some(r => r.status === true)) {
    return {...result, verified: false};
  }
  return result;
}

// An error with what it wraps: the status check's error has the list's verification error as its
// cause, and that one the proof's errors.
function describe(error) {
  const parts = [];
  const add = (e, depth) => {
    if(!e || depth > 4) {
      return;
    }
    const text = e.message || String(e);
    // The library repeats a cause's message in its own; each text once.
    if(!parts.some(part => part.includes(text))) {
      parts.push(text);
    }
    add(e.cause, depth + 1);
    for(const inner of Array.isArray(e.errors) ? e.errors : []) {
      add(inner, depth + 1);
    }
  };
  add(error, 0);
  return parts.join(' <- ');
}

// {revoked, status} from verifyCredential's result: what the status check found, if it ran.
function statusOf(credential, result) {
  if(!credential.credentialStatus) {
    return {revoked: null, status: 'no credentialStatus'};
  }
  const statusResult = result.statusResult;
  if(!statusResult) {
    return {revoked: null, status: 'not checked: the credential\'s proof did not verify'};
  }
  if(statusResult.error) {
    return {revoked: null, status: `status check failed: ${describe(statusResult.error)}`};
  }
  const entries = statusResult.results.map(r => ({...r.credentialStatus, set: r.status === true}));
  const revocation = entries.filter(e => e.statusPurpose === 'revocation');
  const text = entries.map(e => `${e.statusPurpose} bit ${e.statusListIndex} of ${e.statusListCredential} ` +
    (e.set ? 'set' : 'clear')).join('; ');
  return {revoked: revocation.length ? revocation.some(e => e.set) : null, status: text};
}

function errorsOf(result) {
  // verifyCredential reports problems at the top, per proof, and per proof purpose.
  const seen = [];
  const add = error => {
    if(!error) {
      return;
    }
    for(const e of Array.isArray(error) ? error : [error]) {
      const message = e.message || String(e);
      const name = e.name && e.name !== 'Error' ? `${e.name}: ` : '';
      const text = name + message;
      if(!seen.includes(text)) {
        seen.push(text);
      }
      if(e.errors) {
        add(e.errors);
      }
    }
  };
  add(result.error);
  for(const r of result.results || []) {
    add(r.error);
    add(r.purposeResult && r.purposeResult.error);
  }
  return seen;
}

// The verdict on one credential's JSON text: {verified, errors}, and with --serve {revoked, status}.
async function verify(text, suite, documentLoader, withStatus) {
  try {
    const credential = JSON.parse(text);
    const result = await verifyCredential({credential, suite, documentLoader,
      ...(withStatus ? {checkStatus} : {})});
    const verified = result.verified === true;
    if(!withStatus) {
      return {verified, errors: verified ? [] : errorsOf(result)};
    }
    const status = statusOf(credential, result);
    const errors = verified ? [] : errorsOf(result);
    if(!verified && result.statusResult && !result.statusResult.error) {
      errors.push(`credentialStatus: ${status.status}`);
    } else if(result.statusResult?.error) {
      errors.push(status.status);
    }
    return {verified, errors, ...status};
  } catch(e) {
    return {verified: false, errors: [e.message || String(e)], ...(withStatus ?
      {revoked: null, status: `not checked: ${e.message || String(e)}`} : {})};
  }
}

async function main() {
  let args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch(e) {
    process.stderr.write(`verify-dbvc: ${e.message}\n`);
    return 2;
  }
  const suite = new DataIntegrityProof({cryptosuite: eddsaRdfc2022});
  const documentLoader = makeDocumentLoader(args.didDocuments, args.serves);
  const withStatus = args.serves.length > 0;
  if(args.files) {
    const results = [];
    for(const file of args.files) {
      let text;
      try {
        text = readFileSync(file, 'utf8');
      } catch(e) {
        results.push({file, verified: false, errors: [e.message],
          ...(withStatus ? {revoked: null, status: 'not checked: unreadable'} : {})});
        continue;
      }
      results.push({file, ...await verify(text, suite, documentLoader, withStatus)});
    }
    process.stdout.write(JSON.stringify(results) + '\n');
    return results.every(r => r.verified) ? 0 : 1;
  }
  const output = await verify(readFileSync(args.credentialPath ?? 0, 'utf8'), suite, documentLoader, withStatus);
  process.stdout.write(JSON.stringify(output) + '\n');
  return output.verified ? 0 : 1;
}

process.exitCode = await main();
