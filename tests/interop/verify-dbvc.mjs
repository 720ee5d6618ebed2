#!/usr/bin/env node
// Verify credentials with Digital Bazaar's own verifier: @digitalbazaar/vc's verifyCredential
// with a DataIntegrityProof over the eddsa-rdfc-2022 cryptosuite. An interoperability check of
// credreg's signatures (registry/credentials/signing.py), run by
// tests/integration/test_interop_signatures.py and, on many credentials at once, tests/ecosystem.py.
//
// Usage: node tests/interop/verify-dbvc.mjs [CREDENTIAL.json] [--did-document DID.json ...]
//        node tests/interop/verify-dbvc.mjs --many FILE_OR_DIR... [--did-document DID.json ...]
// The credential comes from the file, or from stdin without one. Prints {verified, errors} as
// JSON; exit code 0 when verified, 1 when not, 2 for a usage error. With --many, every credential
// file named (a directory: every *.json directly in it) is verified in this one process and a JSON
// array of {file, verified, errors} is printed, in order; exit code 0 when all are verified.
//
// No network: the document loader serves only the JSON-LD contexts credreg ships (read from
// registry/credentials/contexts/, common.mjs's CONTEXTS, the map of signing.py's CONTEXTS), did:key
// documents (resolved locally by did-method-key's driver) and the DID documents given with
// --did-document (a did:web's did.json). Any other URL is an error naming it. No checkStatus is
// given, so credentialStatus is not checked.
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

import {credentialFiles, shippedContext} from './common.mjs';

function parseArgs(argv) {
  const didDocuments = [];
  const paths = [];
  let many = false;
  for(let i = 0; i < argv.length; i++) {
    if(argv[i] === '--did-document') {
      if(i + 1 >= argv.length) {
        throw new Error('--did-document needs a file');
      }
      didDocuments.push(JSON.parse(readFileSync(argv[++i], 'utf8')));
    } else if(argv[i] === '--many') {
      many = true;
    } else if(argv[i].startsWith('--')) {
      throw new Error(`unknown option ${argv[i]}`);
    } else {
      paths.push(argv[i]);
    }
  }
  if(many) {
    return {files: credentialFiles(paths), didDocuments};
  }
  if(paths.length > 1) {
    throw new Error(`unexpected argument ${paths[1]}`);
  }
  return {credentialPath: paths[0] ?? null, didDocuments};
}

function makeDocumentLoader(didDocuments) {
  const keys = didKeyDriver();
  keys.use({multibaseMultikeyHeader: 'z6Mk', fromMultibase: Ed25519Multikey.from});
  const dids = new Map(didDocuments.map(doc => [doc.id, doc]));
  return async url => {
    const context = shippedContext(url);
    if(context !== null) {
      return context;
    }
    if(url.startsWith('did:key:')) {
      return {contextUrl: null, documentUrl: url, document: await keys.get({url})};
    }
    const [did, fragment] = url.split('#');
    if(dids.has(did)) {
      const doc = dids.get(did);
      if(fragment === undefined) {
        return {contextUrl: null, documentUrl: url, document: doc};
      }
      const method = (doc.verificationMethod || []).find(m => m.id === url);
      if(method) {
        // A verification method stands alone with its DID document's contexts.
        return {contextUrl: null, documentUrl: url, document: {'@context': doc['@context'], ...method}};
      }
    }
    throw new Error(`document loader: ${url} is not served (no network: only credreg's contexts, ` +
      'did:key and the given DID documents)');
  };
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

// The verdict on one credential's JSON text: {verified, errors}.
async function verify(text, suite, documentLoader) {
  try {
    const credential = JSON.parse(text);
    const result = await verifyCredential({credential, suite, documentLoader});
    return {verified: result.verified === true, errors: result.verified ? [] : errorsOf(result)};
  } catch(e) {
    return {verified: false, errors: [e.message || String(e)]};
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
  const documentLoader = makeDocumentLoader(args.didDocuments);
  if(args.files) {
    const results = [];
    for(const file of args.files) {
      let text;
      try {
        text = readFileSync(file, 'utf8');
      } catch(e) {
        results.push({file, verified: false, errors: [e.message]});
        continue;
      }
      results.push({file, ...await verify(text, suite, documentLoader)});
    }
    process.stdout.write(JSON.stringify(results) + '\n');
    return results.every(r => r.verified) ? 0 : 1;
  }
  const output = await verify(readFileSync(args.credentialPath ?? 0, 'utf8'), suite, documentLoader);
  process.stdout.write(JSON.stringify(output) + '\n');
  return output.verified ? 0 : 1;
}

process.exitCode = await main();
