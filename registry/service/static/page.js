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

// What the credential is and whom it was awarded to: shown only once the document is known to be
// unchanged since it was issued (the integrity check passed), never for an edited one.
function describe(doc) {
  const subject = (doc && typeof doc.credentialSubject === "object" && doc.credentialSubject) || {};
  const achievement = (typeof subject.achievement === "object" && subject.achievement) || {};
  const named = Array.isArray(subject.identifier) &&
    subject.identifier.find((i) => i && i.identityType === "name" && i.hashed === false);
  const rows = [];
  const add = (label, value) => { if (value) rows.push(el("dt", {}, label), el("dd", {}, value)); };
  add("Credential", str(achievement.name) || str(doc.name));
  add("Awarded to", str(subject.name) || (named && str(named.identityHash)));
  add("Valid from", str(doc.validFrom) && fmtDate(doc.validFrom));
  add("Valid until", str(doc.validUntil) && fmtDate(doc.validUntil));
  return rows;
}

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
      el("span", { class: "name" }, LABELS[c.name] || c.name), el("span", { class: "detail" }, c.detail)));
  }
  const unchanged = verdict.checks.some((c) => c.name === "integrity" && c.passed);
  const about = unchanged ? describe(doc) : [];
  if (about.length) out.append(el("div", { class: "card", id: "credential" }, el("h3", {}, "The credential"), el("dl", {}, ...about)));
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
}

let checking = 0;  // only the latest check may paint its answer
async function check(text) {
  const run = ++checking;
  $("error").textContent = "";
  $("share").replaceChildren();
  $("result").replaceChildren();  // never leave an earlier verdict next to a new input
  $("copy").hidden = true;
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
  } catch (e) {
    if (run !== checking) return;
    $("result").replaceChildren();
    $("error").textContent = `The verifier could not be reached: ${e.message}`;
    return;
  }
  const link = `${location.origin}${location.pathname}#c=${b64url.encode(JSON.stringify(doc))}`;
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

function readFile(file) {
  file.text().then((text) => { $("json").value = text; check(text); },
                   (e) => { $("error").textContent = `This file cannot be read: ${e.message}`; });
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
