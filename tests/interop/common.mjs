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

// --serve PREFIX=BASE: a URL starting with PREFIX is read over HTTP from BASE + the rest, the way a
// verifier would read it from the issuer's site, but from a local folder's server. Repeatable; the
// longest matching PREFIX wins. Nothing else is fetched.
export function parseServe(spec) {
  const at = spec === undefined ? -1 : spec.indexOf('=');
  if(at <= 0 || at === spec.length - 1) {
    throw new Error(`--serve needs PREFIX=BASE, e.g. https://academy.example/=http://127.0.0.1:8123/ (got ${spec})`);
  }
  const prefix = spec.slice(0, at);
  const base = spec.slice(at + 1);
  for(const url of [prefix, base]) {
    if(!/^https?:\/\//.test(url)) {
      throw new Error(`--serve ${spec}: ${url} is not an http(s) URL`);
    }
  }
  return {prefix, base};
}

// The local URL `url` is read from under the --serve mappings, or null when none covers it.
export function servedUrl(serves, url) {
  let best = null;
  for(const serve of serves) {
    if(url.startsWith(serve.prefix) && (best === null || serve.prefix.length > best.prefix.length)) {
      best = serve;
    }
  }
  return best === null ? null : best.base + url.slice(best.prefix.length);
}

// did:web:HOST[%3APORT][:PATH...] -> https://HOST[:PORT]/(PATH|.well-known)/did.json (did:web spec).
export function didWebUrl(did) {
  const [host, ...path] = did.replace(/^did:web:/, '').split(':');
  const location = path.length ? path.map(decodeURIComponent).join('/') : '.well-known';
  return `https://${decodeURIComponent(host)}/${location}/did.json`;
}
