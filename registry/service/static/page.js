// The verification page's script (index.html): a file of its own, so the page's CSP needs no
// 'unsafe-inline'. It writes text only with textContent, append and setAttribute (never style):
// nothing a credential holds is ever parsed as HTML.
"use strict";
const SUMMARY = {
  valid: ["Valid", "This credential is genuine, unchanged, not revoked and currently valid."],
  invalid: ["Not valid", "Do not rely on this credential: one of the checks below failed."],
  revoked: ["Revoked", "The issuer has withdrawn this credential."],
  expired: ["Expired", "This credential was genuine but its validity period has ended."],
  unverifiable: ["Cannot check right now", "The registry could not be reached. This is not a verdict on the credential: try again later."],
};
const LABELS = { format: "Format", integrity: "Unchanged", inclusion: "In its batch", anchor: "Registered",
  issuer: "Issuer", revocation: "Revocation", status: "Status list", validity: "Dates" };
const $ = (id) => document.getElementById(id);
const el = (tag, attrs = {}, ...kids) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  for (const kid of kids) node.append(kid);
  return node;
};
const b64url = {
  encode: (text) => {  // in chunks: spreading a large credential into one call overflows the stack
    const bytes = new TextEncoder().encode(text);
    let binary = "";
    for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  },
  decode: (s) => new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(atob(s.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0))),
};

const fmtTime = (iso) => {
  const d = new Date(iso);
  return isNaN(d) ? iso : d.toLocaleString(undefined, { dateStyle: "long", timeStyle: "long" });
};
const fmtDate = (iso) => {
  const d = new Date(iso);
  return isNaN(d) ? String(iso) : d.toLocaleDateString(undefined, { dateStyle: "long" });
};
const str = (v) => (typeof v === "string" && v.trim() ? v : null);

function render(verdict, doc) {
  const [title, text] = SUMMARY[verdict.status] || [verdict.status, ""];
  const out = $("result");
  out.replaceChildren();
  out.append(el("div", { class: `banner ${verdict.status}`, id: "status", "data-status": verdict.status },
    el("h2", {}, title), el("p", {}, text)));
  const list = el("ul", { class: "checks" });
  for (const c of verdict.checks) {
    list.append(el("li", { class: c.passed ? "pass" : "fail", "data-check": c.name },
      el("span", { class: "mark", "aria-label": c.passed ? "passed" : "failed" }, c.passed ? "✓" : "✗"),
      el("span", { class: "name" }, LABELS[c.name] || c.name),
      el("span", { class: "detail" }, c.detail, el("span", { class: "why" }, explainCheck(c.name)))));
  }
  const unchanged = verdict.checks.some((c) => c.name === "integrity" && c.passed);
  // What it says (credential-view.js), only once the document is known to be unchanged since it
  // was issued (the integrity check passed), never for an edited one.
  const view = unchanged && doc ? credentialView(verdict, doc) : null;
  if (view) out.append(view.summary);
  out.append(el("div", { class: "card" }, el("h3", {}, "What we checked"), list));
  if (verdict.issuer) {
    out.append(el("div", { class: "card", id: "issuer" }, el("h3", {}, "Issuer"),
      el("dl", {}, el("dt", {}, "Name"), el("dd", {}, verdict.issuer.name), el("dt", {}, "Identifier"), el("dd", {}, verdict.issuer.did))));
  }
  if (verdict.anchor) {
    const a = verdict.anchor;
    out.append(el("div", { class: "card", id: "anchor" }, el("h3", {}, "Registered on the blockchain"),
      el("dl", {}, el("dt", {}, "When"), el("dd", {}, el("time", { datetime: a.anchoredAt }, fmtTime(a.anchoredAt))),
        el("dt", {}, "Block"), el("dd", {}, String(a.blockNumber)),
        el("dt", {}, "Transaction"), el("dd", { class: "hash" }, a.transactionHash),
        el("dt", {}, "Registry"), el("dd", {}, el("span", { class: "hash" }, a.registry), ` (chain ${a.chainId})`))));
  }
  if (view) out.append(...view.details);
}

let checking = 0;  // only the latest check may paint its answer
async function check(text, shortLink = null) {
  const run = ++checking;
  $("error").textContent = "";
  $("share").replaceChildren();
  $("result").replaceChildren();  // never leave an earlier verdict next to a new input
  $("copy").hidden = true;
  hideShort();
  let doc;
  try { doc = JSON.parse(text); } catch (e) { $("error").textContent = `This is not a credential file (not JSON): ${e.message}`; return; }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) { $("error").textContent = "This is not a credential: expected one JSON object."; return; }
  $("result").replaceChildren(el("p", {}, "Checking…"));
  try {
    const res = await fetch("/v1/verify", { method: "POST", headers: { "Content-Type": "application/json" }, body: text });
    let body;
    try { body = await res.json(); } catch (_) { body = { detail: `HTTP ${res.status}` }; }
    if (run !== checking) return;
    if (!body || !("status" in body)) {
      $("result").replaceChildren();
      $("error").textContent = `The verifier refused it: ${typeof body.detail === "string" ? body.detail : `HTTP ${res.status}`}`;
      return;
    }
    render(body, doc);
    if (body.status === "valid") offerShort(text);
  } catch (e) {
    if (run !== checking) return;
    $("result").replaceChildren();
    $("error").textContent = `The verifier could not be reached: ${e.message}`;
    return;
  }
  const link = `${location.origin}/#c=${b64url.encode(JSON.stringify(doc))}`;  // at / (on /s/<id> the fragment is a key)
  // A QR code, LinkedIn and the certificate's link (when valid): the short link when there is one.
  renderShareExtras(shortLink || link, doc);
  $("copy").hidden = false;
  $("copy").onclick = async () => {
    let copied = false;
    try { await navigator.clipboard.writeText(link); copied = true; } catch (_) { /* no clipboard: show it to copy */ }
    const field = el("input", { readonly: "", "aria-label": "Shareable link", value: link });
    field.addEventListener("focus", () => field.select());
    $("share").replaceChildren(copied ? "Link copied. Anyone who opens it sees this check:" : "Copy this link to share the check:", field);
    if (!copied) field.focus();
  };
}

// A baked badge (a PNG or SVG with the credential inside, Open Badges 3.0) is read out by the
// verifier (POST /v1/unbake, the reader held to hostile images), then checked as a file is.
async function badgeType(file) {
  const head = new Uint8Array(await file.slice(0, 1024).arrayBuffer());
  if (head[0] === 0x89 && head[1] === 0x50 && head[2] === 0x4e && head[3] === 0x47) return "image/png";
  const start = new TextDecoder().decode(head).replace(/^\uFEFF/, "").trimStart();
  return start.startsWith("<") && /<svg[\s>]/.test(start) ? "image/svg+xml" : null;
}

async function readFile(file) {
  $("error").textContent = "";
  let type, text;
  try {
    type = await badgeType(file);
    if (type === null) { text = await file.text(); }
    else {
      const res = await fetch("/v1/unbake", { method: "POST", headers: { "Content-Type": type }, body: file });
      text = await res.text();
      if (res.status !== 200) {
        let detail = `HTTP ${res.status}`;
        try { detail = JSON.parse(text).detail || detail; } catch (_) { /* not JSON: the status says it */ }
        $("result").replaceChildren();
        $("error").textContent = `No credential could be read from this badge image: ${detail}`;
        return;
      }
    }
  } catch (e) { $("error").textContent = `This file cannot be read: ${e.message}`; return; }
  $("json").value = text;
  await check(text);
  if (type !== null && $("result").firstChild) {
    $("result").prepend(el("p", { class: "small", id: "unbaked" }, `Read out of the badge image ${file.name}.`));
  }
}
const drop = $("drop");
drop.addEventListener("click", () => $("file").click());
drop.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") $("file").click(); });
$("file").addEventListener("change", (e) => { if (e.target.files[0]) readFile(e.target.files[0]); e.target.value = ""; });
drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (e) => { e.preventDefault(); drop.classList.remove("over"); if (e.dataTransfer.files[0]) readFile(e.dataTransfer.files[0]); });
$("check").addEventListener("click", () => check($("json").value));
function openShared() {
  const shared = new URLSearchParams(location.hash.slice(1)).get("c");
  if (!shared) return;
  let text;
  try { text = b64url.decode(shared); JSON.parse(text); }
  catch (e) { $("error").textContent = "The shared link is damaged: it does not hold a credential."; return; }
  $("json").value = text;
  check(text);
}
window.addEventListener("hashchange", openShared);
openShared();

// ---------------------------------------------------------------------------- short share links
// "Share as a short link" encrypts the checked text here (AES-256-GCM, WebCrypto, a fresh key and
// nonce), stores only version byte || nonce || ciphertext+tag on this verifier (POST /v1/shares)
// and shows <origin>/s/<id>#<key>. Opening such a link fetches the ciphertext, decrypts it with
// the fragment's key and checks it as if it had been dropped here. The key never leaves the
// browser: a fragment is not sent with any request. Same format as registry/sharing/links.py.
const SHARE_VERSION = 1;
const DAMAGED = "This link is damaged or its key is wrong: it cannot be opened. Ask the holder for the link again.";
const bytesB64url = (bytes) => {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
};
const b64urlBytes = (s) => {
  if (!/^[A-Za-z0-9_-]*$/.test(s) || s.length % 4 === 1) throw new Error("not base64url");
  return Uint8Array.from(atob(s.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
};

function hideShort() {
  $("shorten").hidden = true;
  $("short").hidden = true;
  $("short-out").replaceChildren();
}

function offerShort(text) {
  $("shorten").hidden = false;
  $("shorten").onclick = () => { $("short").hidden = false; $("short-out").replaceChildren(); $("short-days").focus(); };
  $("short-make").onclick = () => makeShort(text, Number($("short-days").value));
}

async function seal(text) {
  const key = crypto.getRandomValues(new Uint8Array(32));
  const nonce = crypto.getRandomValues(new Uint8Array(12));
  const aes = await crypto.subtle.importKey("raw", key, "AES-GCM", false, ["encrypt"]);
  const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv: nonce }, aes, new TextEncoder().encode(text)));
  const blob = new Uint8Array(1 + nonce.length + sealed.length);
  blob[0] = SHARE_VERSION; blob.set(nonce, 1); blob.set(sealed, 1 + nonce.length);
  return { blob: bytesB64url(blob), key: bytesB64url(key) };
}

async function unseal(blobText, keyText) {
  let key, blob;
  try { key = b64urlBytes(keyText); blob = b64urlBytes(blobText); } catch (_) { throw new Error(DAMAGED); }
  if (key.length !== 32 || blob.length < 29 || blob[0] !== SHARE_VERSION) throw new Error(DAMAGED);
  try {
    const aes = await crypto.subtle.importKey("raw", key, "AES-GCM", false, ["decrypt"]);
    const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: blob.subarray(1, 13) }, aes, blob.subarray(13));
    return new TextDecoder("utf-8", { fatal: true }).decode(plain);
  } catch (_) { throw new Error(DAMAGED); }
}

async function makeShort(text, days) {
  const out = $("short-out");
  if (!window.crypto || !crypto.subtle) {
    out.replaceChildren(el("p", { class: "error" }, "This browser cannot encrypt here (the page must be served over HTTPS)."));
    return;
  }
  out.replaceChildren(el("p", {}, "Encrypting and storing…"));
  let answer, res;
  try {
    const sealed = await seal(text);
    res = await fetch("/v1/shares", { method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ ciphertext: sealed.blob, expiresInDays: days }) });
    try { answer = await res.json(); } catch (_) { answer = {}; }
    if (res.status !== 201) {
      out.replaceChildren(el("p", { class: "error" }, `The verifier did not store it: ${typeof answer.detail === "string" ? answer.detail : `HTTP ${res.status}`}`));
      return;
    }
    answer.link = `${answer.url}#${sealed.key}`;
    renderShareExtras(answer.link, JSON.parse(text));  // the QR code, LinkedIn and certificate now carry it
  } catch (e) {
    out.replaceChildren(el("p", { class: "error" }, `The verifier could not be reached: ${e.message}`));
    return;
  }
  const field = el("input", { readonly: "", id: "short-link", "aria-label": "Short link", value: answer.link });
  field.addEventListener("focus", () => field.select());
  const copy = el("button", { type: "button", id: "short-copy", class: "secondary" }, "Copy link");
  const copied = el("span", { id: "short-copied", class: "small" });
  copy.addEventListener("click", async () => {
    try { await navigator.clipboard.writeText(answer.link); copied.textContent = " Copied."; }
    catch (_) { field.focus(); copied.textContent = " Select the link and copy it."; }
  });
  const token = el("input", { readonly: "", id: "short-token", "aria-label": "Delete token", value: answer.deleteToken });
  token.addEventListener("focus", () => token.select());
  out.replaceChildren(
    el("p", { class: "small" }, "Anyone with this link can see the credential and its check:"), field,
    el("div", { class: "row" }, copy, copied),
    el("p", { class: "small" }, "It works until ", el("time", { id: "short-expires", datetime: answer.expiresAt }, fmtDate(answer.expiresAt)),
      `. To delete it earlier, keep this delete token (shown only now): send DELETE /v1/shares/${answer.id} with “Authorization: Bearer <token>”.`),
    token);
}

async function openShort() {
  const match = /^\/s\/([^/]*)$/.exec(location.pathname);
  if (!match) return;
  const id = decodeURIComponent(match[1]);
  const key = location.hash.slice(1);
  $("result").replaceChildren(el("p", {}, "Opening the shared credential…"));
  let text;
  try {
    const res = await fetch(`/v1/shares/${encodeURIComponent(id)}`);
    let answer;
    try { answer = await res.json(); } catch (_) { answer = {}; }
    if (res.status !== 200) {
      throw new Error(`This link cannot be opened: ${typeof answer.detail === "string" ? answer.detail : `HTTP ${res.status}`}`);
    }
    if (!key) throw new Error("This link has lost its key (the part after #): copy the whole link again.");
    if (!window.crypto || !crypto.subtle) throw new Error("This browser cannot decrypt here (the page must be served over HTTPS).");
    text = await unseal(String(answer.ciphertext), key);
  } catch (e) {
    $("result").replaceChildren();
    $("error").textContent = e.message;
    return;
  }
  $("json").value = text;
  check(text, `${location.origin}${location.pathname}${location.hash}`);  // the link as shared: no ?paper=
}
openShort();

// ---------------------------------------------------------------------------- a stack against a pathway
// The documents to check: one pathway and any number of credentials, each with where it came from
// (a file's name, or "pasted"), sent together to POST /v1/verify/pathway. The answer is drawn as a
// tree: each requirement a box, filled with ✓ when met, outlined with ✗ when not; each met step
// links to the verdict of the credential that met it.
const STACK_SUMMARY = {
  complete: ["Complete", "Every requirement of this pathway is met by valid credentials of this learner."],
  incomplete: ["Not complete", "Some requirements are not met yet: see what is missing below."],
  invalid: ["The pathway is not valid", "Do not rely on this pathway: it failed its own checks, so no credential counts towards it."],
  unverifiable: ["Cannot check right now", "The registry could not be reached for some documents. This is not a verdict: try again later."],
};
const VERDICT_WORD = { valid: "Valid", invalid: "Not valid", revoked: "Revoked", expired: "Expired", unverifiable: "Cannot check right now" };
const isPathway = (doc) => doc && (doc.type === "CredregPathway" || (Array.isArray(doc.type) && doc.type.includes("CredregPathway")));
const stack = { pathway: null, credentials: [] };  // {doc, source}

function stackError(text) { $("stack-error").textContent = text; }

function addDocument(doc, source) {
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    stackError(`${source}: not a pathway or a credential (expected one JSON object).`);
    return;
  }
  if (isPathway(doc)) stack.pathway = { doc, source };
  else stack.credentials.push({ doc, source });
  drawList();
}

function addText(text, source) {
  let value;
  try { value = JSON.parse(text); } catch (e) { stackError(`${source}: not JSON (${e.message}).`); return; }
  if (value && typeof value === "object" && !Array.isArray(value) && "pathway" in value && Array.isArray(value.credentials)) {
    addDocument(value.pathway, `${source}: pathway`);  // a whole request, as the API takes it
    value.credentials.forEach((c, i) => addDocument(c, `${source}: credential ${i + 1}`));
  } else if (Array.isArray(value)) {
    value.forEach((d, i) => addDocument(d, `${source}: item ${i + 1}`));
  } else {
    addDocument(value, source);
  }
}

function docName(doc) {
  const subject = (doc && typeof doc.credentialSubject === "object" && doc.credentialSubject) || {};
  const achievement = (typeof subject.achievement === "object" && subject.achievement) || {};
  return str(achievement.name) || str(doc && doc.name) || "";
}

function drawList() {
  const list = $("stack-list");
  list.replaceChildren();
  const item = (entry, kind, remove) => {
    const button = el("button", { type: "button", class: "link", "aria-label": `Remove ${entry.source}` }, "remove");
    button.addEventListener("click", () => { remove(); drawList(); });
    return el("li", { "data-kind": kind }, el("span", { class: "kind" }, kind === "pathway" ? "Pathway" : "Credential"),
      el("span", { class: "source" }, entry.source), button);
  };
  if (stack.pathway) list.append(item(stack.pathway, "pathway", () => { stack.pathway = null; }));
  stack.credentials.forEach((entry, i) => list.append(item(entry, "credential", () => { stack.credentials.splice(i, 1); })));
}

function subjectOf(text) {
  const given = text.trim();
  if (!given) return undefined;
  // An address with an @ and no scheme is an email; anything else is the id credentials name.
  return given.includes("@") && !/^[a-z][a-z0-9+.-]*:/i.test(given) ? { email: given } : { id: given };
}

let stackRun = 0;  // only the latest check may paint its answer
async function checkStack() {
  const run = ++stackRun;
  stackError("");
  $("stack-result").replaceChildren();
  $("stack-share").replaceChildren();
  $("stack-copy").hidden = true;
  if (!stack.pathway) { stackError("Add the pathway file first (a document of type CredregPathway)."); return; }
  const body = { pathway: stack.pathway.doc, credentials: stack.credentials.map((c) => c.doc) };
  const subject = subjectOf($("stack-subject").value);
  if (subject) body.subject = subject;
  const sources = stack.credentials.map((c) => c.source);
  const docs = stack.credentials.map((c) => c.doc);
  $("stack-result").replaceChildren(el("p", {}, "Checking…"));
  try {
    const res = await fetch("/v1/verify/pathway", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    let answer;
    try { answer = await res.json(); } catch (_) { answer = { detail: `HTTP ${res.status}` }; }
    if (run !== stackRun) return;
    if (!answer || !("status" in answer)) {
      $("stack-result").replaceChildren();
      stackError(`The verifier refused it: ${typeof answer.detail === "string" ? answer.detail : `HTTP ${res.status}`}`);
      return;
    }
    drawStack(answer, sources, docs);
    offerStackLink({ ...body, names: sources });
  } catch (e) {
    if (run !== stackRun) return;
    $("stack-result").replaceChildren();
    stackError(`The verifier could not be reached: ${e.message}`);
  }
}

function drawNode(node, sources) {
  const met = node.met;
  const box = el("div", { class: `node ${met ? "met" : "missing"} ${node.kind}`, "data-path": node.path,
    "data-met": String(met), "data-kind": node.kind });
  const head = el("div", { class: "node-head" },
    el("span", { class: "mark", "aria-label": met ? "met" : "not met" }, met ? "✓" : "✗"),
    el("span", { class: "node-name" }, node.name || node.achievement || node.path));
  box.append(head);
  if (node.kind === "achievement") {
    if (node.credential !== null && node.credential !== undefined) {
      box.append(el("div", { class: "node-detail" }, "Met by ",
        el("a", { href: `#stack-credential-${node.credential}`, class: "met-by" }, sources[node.credential] || `credential ${node.credential + 1}`)));
    } else {
      box.append(el("div", { class: "node-detail" }, "Missing: no valid credential of this learner for it"));
    }
    const who = node.issuers === "pathway" ? "from the pathway's issuer" : node.issuers === "accredited"
      ? "from any accredited issuer" : `from ${(node.issuers || []).join(", ")}`;
    box.append(el("div", { class: "node-rule" }, who));
  } else {
    const total = node.children.length;
    const rule = node.kind === "allOf" ? `All ${total} needed` : `${node.needed} of ${total} needed`;
    head.append(el("span", { class: "count" }, `${node.metCount} of ${total} met · ${rule}`));
    box.append(el("div", { class: "children" }, ...node.children.map((child) => drawNode(child, sources))));
  }
  return box;
}

// "requirement.allOf[0] is already met by credential 2" -> "“Introduction to SQL” is already met by sql.json"
function readable(text, names, sources) {
  return text.replace(/\brequirement(?:\.(?:allOf|nOf)\[\d+\])*/g, (path) => (names.has(path) ? `“${names.get(path)}”` : path))
    .replace(/\bcredential (\d+)/g, (whole, n) => sources[Number(n)] || `credential ${Number(n) + 1}`);
}

function drawStack(answer, sources, docs) {
  const [title, text] = STACK_SUMMARY[answer.status] || [answer.status, ""];
  const out = $("stack-result");
  out.replaceChildren();
  out.append(el("div", { class: `banner ${answer.status}`, id: "pathway-status", "data-status": answer.status },
    el("h2", {}, title), el("p", {}, text), el("p", { class: "small" }, answer.detail)));
  const p = answer.pathway;
  const pv = p.verdict;
  const rows = [];
  const add = (label, value) => { if (value) rows.push(el("dt", {}, label), el("dd", {}, value)); };
  add("Pathway", p.name);
  add("Version", p.version);
  add("Awards", p.completion && str(p.completion.name));
  add("Published by", pv.issuer ? `${pv.issuer.name} (${pv.issuer.did})` : p.issuer);
  add("Its own check", VERDICT_WORD[pv.status] || pv.status);
  const failedPathway = pv.checks.find((c) => !c.passed);
  if (failedPathway) add("Why", failedPathway.detail);
  out.append(el("div", { class: "card", id: "pathway" }, el("h3", {}, "The pathway"), el("dl", {}, ...rows)));
  if (answer.requirement) {
    out.append(el("div", { class: "card" }, el("h3", {}, "Requirements"), el("div", { id: "tree" }, drawNode(answer.requirement, sources))));
  }
  if (answer.missing.length) {
    out.append(el("div", { class: "card", id: "missing" }, el("h3", {}, "Still missing"),
      el("ul", {}, ...answer.missing.map((m) => el("li", {}, m)))));
  }
  const names = new Map();  // requirement path -> its name, so reasons speak of steps, not paths
  const walk = (node) => { names.set(node.path, node.name || node.achievement || node.path); (node.children || []).forEach(walk); };
  if (answer.requirement) walk(answer.requirement);
  const list = el("div", { id: "stack-credentials" });
  for (const use of answer.credentials) {
    const v = use.verdict;
    const unchanged = v.checks.some((c) => c.name === "integrity" && c.passed);
    const name = unchanged ? docName(docs[use.index]) : "";
    const failed = v.checks.find((c) => !c.passed);
    const card = el("div", { class: `credential ${use.counted ? "counted" : "not-counted"}`, id: `stack-credential-${use.index}`,
      "data-index": String(use.index), "data-counted": String(use.counted), "data-status": v.status },
      el("div", { class: "node-head" },
        el("span", { class: "mark", "aria-label": use.counted ? "counted" : "not counted" }, use.counted ? "✓" : "✗"),
        el("span", { class: "node-name" }, sources[use.index] || `credential ${use.index + 1}`),
        el("span", { class: `pill ${v.status}` }, VERDICT_WORD[v.status] || v.status)));
    if (name) card.append(el("div", { class: "node-detail" }, name));
    const reason = readable(use.reason.replace(/^not counted: /, ""), names, sources);
    card.append(el("div", { class: "reason" }, use.counted ? `Counts towards “${names.get(use.slot) || use.slot}”` : `Not counted: ${reason}`));
    if (failed) card.append(el("div", { class: "node-rule" }, `${LABELS[failed.name] || failed.name}: ${failed.detail}`));
    if (v.issuer) card.append(el("div", { class: "node-rule" }, `Issued by ${v.issuer.name} (${v.issuer.did})`));
    list.append(card);
  }
  out.append(el("div", { class: "card" }, el("h3", {}, "Each credential"),
    answer.credentials.length ? list : el("p", {}, "No credential was given.")));
}

function readFiles(files) {
  stackError("");
  Promise.all(Array.from(files, (f) => f.text().then((text) => [f.name, text])))
    .then((read) => { for (const [name, text] of read) addText(text, name); },
          (e) => stackError(`A file cannot be read: ${e.message}`));
}
const stackDrop = $("stack-drop");
stackDrop.addEventListener("click", () => $("stack-files").click());
stackDrop.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") $("stack-files").click(); });
$("stack-files").addEventListener("change", (e) => { if (e.target.files.length) readFiles(e.target.files); e.target.value = ""; });
stackDrop.addEventListener("dragover", (e) => { e.preventDefault(); stackDrop.classList.add("over"); });
stackDrop.addEventListener("dragleave", () => stackDrop.classList.remove("over"));
stackDrop.addEventListener("drop", (e) => { e.preventDefault(); stackDrop.classList.remove("over"); if (e.dataTransfer.files.length) readFiles(e.dataTransfer.files); });
let pasted = 0;
$("stack-add").addEventListener("click", () => {
  stackError("");
  const text = $("stack-json").value;
  if (!text.trim()) { stackError("Paste a pathway or a credential first."); return; }
  addText(text, `pasted ${++pasted}`);
  $("stack-json").value = "";
});
$("stack-check").addEventListener("click", checkStack);
$("stack-clear").addEventListener("click", () => {
  stack.pathway = null; stack.credentials = []; stackRun++;
  drawList(); stackError(""); $("stack-result").replaceChildren();
  $("stack-share").replaceChildren(); $("stack-copy").hidden = true;
});

// A shareable link to a stack check: the request (and each document's name) after "#s=", which
// the browser never sends, so it never reaches a log; opening it checks the stack again.
function offerStackLink(shared) {
  const link = `${location.origin}${location.pathname}#s=${b64url.encode(JSON.stringify(shared))}`;
  $("stack-copy").hidden = false;
  $("stack-copy").onclick = async () => {
    let copied = false;
    try { await navigator.clipboard.writeText(link); copied = true; } catch (_) { /* no clipboard: show it to copy */ }
    const field = el("input", { readonly: "", "aria-label": "Shareable link to this stack check", value: link });
    field.addEventListener("focus", () => field.select());
    $("stack-share").replaceChildren(copied ? "Link copied. Anyone who opens it sees this check:" : "Copy this link to share the check:", field);
    if (!copied) field.focus();
  };
}

function openSharedStack() {
  const shared = new URLSearchParams(location.hash.slice(1)).get("s");
  if (!shared) return;
  let value;
  try { value = JSON.parse(b64url.decode(shared)); } catch (_) { value = null; }
  if (!value || typeof value !== "object" || !value.pathway || !Array.isArray(value.credentials)) {
    stackError("The shared link is damaged: it does not hold a pathway and credentials.");
    return;
  }
  const names = Array.isArray(value.names) ? value.names : [];
  stack.pathway = { doc: value.pathway, source: "shared pathway" };
  stack.credentials = value.credentials.map((doc, i) => ({ doc, source: typeof names[i] === "string" ? names[i] : `shared credential ${i + 1}` }));
  const subject = value.subject && (value.subject.email || value.subject.id);
  $("stack-subject").value = typeof subject === "string" ? subject : "";
  drawList();
  $("stack").scrollIntoView();
  checkStack();
}
window.addEventListener("hashchange", openSharedStack);
openSharedStack();

// ---------------------------------------------------------------------------- the paper to print on
// ?paper=a4 or ?paper=letter (`credreg certificate` asks for one): the certificate's page size.
// A rule added to our own print style sheet through the CSSOM, which the CSP allows (no inline style).
(() => {
  const size = { a4: "A4", letter: "letter" }[new URLSearchParams(location.search).get("paper")];
  const sheet = [...document.styleSheets].find((s) => s.href && new URL(s.href).pathname === "/print.css");
  if (size && sheet) sheet.insertRule(`@page { size: ${size}; margin: 12mm; }`, sheet.cssRules.length);
})();
