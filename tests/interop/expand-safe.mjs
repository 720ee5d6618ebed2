#!/usr/bin/env node
// Expand credentials as JSON-LD in jsonld.js's safe mode: the check a JSON-LD relying party runs
// before it trusts what a credential says. Safe mode turns every lossy step into an error: a term
// no context defines, a property or type that does not expand to an absolute IRI (and would be
// dropped), a relative @id or @type reference. Run by tests/ecosystem.py on the credentials
// credreg writes.
//
// Usage: node tests/interop/expand-safe.mjs FILE_OR_DIR...
// A directory stands for every *.json directly in it. Prints a JSON array of {file, ok, error}
// (error null when ok), one per credential in order; exit code 0 when all expand, 1 when any does
// not, 2 for a usage error (no argument, a path that does not exist, no credential file).
//
// No network: the document loader serves only the JSON-LD contexts credreg ships (read from
// registry/credentials/contexts/, common.mjs's CONTEXTS, the map of signing.py's CONTEXTS). Any
// other context URL is an error naming it.
import {readFileSync} from 'node:fs';

import jsonld from 'jsonld';

import {CONTEXTS, credentialFiles, shippedContext} from './common.mjs';

async function documentLoader(url) {
  const loaded = shippedContext(url);
  if(loaded === null) {
    throw new Error(`document loader: ${url} is not served (no network: only credreg's contexts, ` +
      `${Object.keys(CONTEXTS).join(', ')})`);
  }
  return loaded;
}

// Short JSON of an event's details: enough to name the term, not the whole document.
function brief(value) {
  const text = JSON.stringify(value);
  return text.length > 300 ? text.slice(0, 300) + '…' : text;
}

function errorText(error) {
  // jsonld.js nests the cause (a failed context load, the safe-mode event) in details.
  const parts = [];
  for(let e = error, depth = 0; e && depth < 8; e = e.details?.cause ?? e.cause, depth++) {
    const name = e.name && e.name !== 'Error' ? `${e.name}: ` : '';
    parts.push(name + (e.message || String(e)));
    const event = e.details?.event;
    if(event) {
      parts.push(`${event.code}: ${event.message} ${brief(event.details ?? {})}`);
    }
  }
  return parts.join(' <- ');
}

async function expandSafely(file) {
  try {
    const credential = JSON.parse(readFileSync(file, 'utf8'));
    await jsonld.expand(credential, {safe: true, documentLoader});
    return {file, ok: true, error: null};
  } catch(e) {
    return {file, ok: false, error: errorText(e)};
  }
}

async function main() {
  const argv = process.argv.slice(2);
  let files;
  try {
    if(argv.length === 0 || argv.some(a => a.startsWith('--'))) {
      throw new Error('usage: node tests/interop/expand-safe.mjs FILE_OR_DIR...');
    }
    files = credentialFiles(argv);
  } catch(e) {
    process.stderr.write(`expand-safe: ${e.message}\n`);
    return 2;
  }
  const results = [];
  for(const file of files) {
    results.push(await expandSafely(file));
  }
  process.stdout.write(JSON.stringify(results) + '\n');
  return results.every(r => r.ok) ? 0 : 1;
}

process.exitCode = await main();
