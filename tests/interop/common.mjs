// What the interop scripts share: the JSON-LD contexts credreg ships, served offline, and the
// credential files a many-credentials run names.
//
// CONTEXTS is the URL -> file map of registry/credentials/signing.py's CONTEXTS (the files are in
// registry/credentials/contexts/); tests/integration/test_ecosystem_checks.py checks the two agree.
import {readdirSync, readFileSync, statSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CONTEXT_DIR = join(ROOT, 'registry', 'credentials', 'contexts');

export const CONTEXTS = {
  'https://www.w3.org/ns/credentials/v2': 'credentials-v2.json',
  'https://www.w3.org/ns/credentials/examples/v2': 'credentials-examples-v2.json',
  'https://w3id.org/security/data-integrity/v2': 'data-integrity-v2.json',
  'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json': 'ob-v3p0-context-3.0.3.json',
  'https://purl.imsglobal.org/spec/ob/v3p0/extensions.json': 'ob-v3p0-extensions.json',
};

// A fresh copy per load: a JSON-LD processor must not be able to change the next one's context.
export function shippedContext(url) {
  if(!Object.hasOwn(CONTEXTS, url)) {
    return null;
  }
  const document = JSON.parse(readFileSync(join(CONTEXT_DIR, CONTEXTS[url]), 'utf8'));
  return {contextUrl: null, documentUrl: url, document};
}

// The credential files named by `paths`, in order: a file as given, a directory as every *.json
// directly in it, sorted. A path that is neither, or no file at all, is a usage error: a check
// over no credential must not pass.
export function credentialFiles(paths) {
  const files = [];
  for(const path of paths) {
    let stat;
    try {
      stat = statSync(path);
    } catch {
      throw new Error(`${path}: no such file or directory`);
    }
    if(stat.isDirectory()) {
      files.push(...readdirSync(path).filter(name => name.endsWith('.json')).sort().map(name => join(path, name)));
    } else {
      files.push(path);
    }
  }
  if(files.length === 0) {
    throw new Error(`no credential files in ${paths.join(' ') || '(nothing given)'}`);
  }
  return files;
}
