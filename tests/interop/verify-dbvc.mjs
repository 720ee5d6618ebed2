#!/usr/bin/env node
// Verify a credential with Digital Bazaar's own verifier: @digitalbazaar/vc's verifyCredential
// with a DataIntegrityProof over the eddsa-rdfc-2022 cryptosuite. An interoperability check of
// credreg's signatures (registry/credentials/signing.py), run by
// tests/integration/test_interop_signatures.py.
//
// Usage: node tests/interop/verify-dbvc.mjs [CREDENTIAL.json] [--did-document DID.json ...]
// The credential comes from the file, or from stdin without one. Prints {verified, errors} as
// JSON; exit code 0 when verified, 1 when not, 2 for a usage error.
//
// No network: the document loader serves only the JSON-LD contexts credreg ships (read from
// registry/credentials/contexts/, the same URL -> file map as signing.py's CONTEXTS), did:key
// documents (resolved locally by did-method-key's driver) and the DID documents given with
// --did-document (a did:web's did.json). Any other URL is an error naming it. No checkStatus is
// given, so credentialStatus is not checked.
import {readFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';

import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {driver as didKeyDriver} from '@digitalbazaar/did-method-key';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {cryptosuite as eddsaRdfc2022} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {verifyCredential} from '@digitalbazaar/vc';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CONTEXT_DIR = join(ROOT, 'registry', 'credentials', 'contexts');
// Keep in step with registry/credentials/signing.py's CONTEXTS.
const CONTEXTS = {
  'https://www.w3.org/ns/credentials/v2': 'credentials-v2.json',
  'https://www.w3.org/ns/credentials/examples/v2': 'credentials-examples-v2.json',
  'https://w3id.org/security/data-integrity/v2': 'data-integrity-v2.json',
  'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json': 'ob-v3p0-context-3.0.3.json',
  'https://purl.imsglobal.org/spec/ob/v3p0/extensions.json': 'ob-v3p0-extensions.json',
};

function parseArgs(argv) {
  const didDocuments = [];
  let credentialPath = null;
  for(let i = 0; i < argv.length; i++) {
    if(argv[i] === '--did-document') {
      if(i + 1 >= argv.length) {
        throw new Error('--did-document needs a file');
      }
      didDocuments.push(JSON.parse(readFileSync(argv[++i], 'utf8')));
    } else if(credentialPath === null) {
      credentialPath = argv[i];
    } else {
      throw new Error(`unexpected argument ${argv[i]}`);
    }
  }
  return {credentialPath, didDocuments};
}

function makeDocumentLoader(didDocuments) {
  const keys = didKeyDriver();
  keys.use({multibaseMultikeyHeader: 'z6Mk', fromMultibase: Ed25519Multikey.from});
  const dids = new Map(didDocuments.map(doc => [doc.id, doc]));
  return async url => {
    if(Object.hasOwn(CONTEXTS, url)) {
      const document = JSON.parse(readFileSync(join(CONTEXT_DIR, CONTEXTS[url]), 'utf8'));
      return {contextUrl: null, documentUrl: url, document};
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

async function main() {
  let args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch(e) {
    process.stderr.write(`verify-dbvc: ${e.message}\n`);
    return 2;
  }
  const text = readFileSync(args.credentialPath ?? 0, 'utf8');
  let output;
  try {
    const credential = JSON.parse(text);
    const suite = new DataIntegrityProof({cryptosuite: eddsaRdfc2022});
    const documentLoader = makeDocumentLoader(args.didDocuments);
    const result = await verifyCredential({credential, suite, documentLoader});
    output = {verified: result.verified === true, errors: result.verified ? [] : errorsOf(result)};
  } catch(e) {
    output = {verified: false, errors: [e.message || String(e)]};
  }
  process.stdout.write(JSON.stringify(output) + '\n');
  return output.verified ? 0 : 1;
}

process.exitCode = await main();
