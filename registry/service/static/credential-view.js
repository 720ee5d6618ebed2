// What a verified credential says, for an HR person, in plain language: who earned it, what the
// achievement is (criteria, skills, results, evidence), who issued it and when it is valid; the
// checks explained; a QR code, an "Add to LinkedIn profile" link and a printable certificate for
// a share link. Used by page.js (render, check). Like page.js it writes text only with
// textContent, append and setAttribute: nothing a credential holds is ever parsed as HTML. Nothing
// a credential names is fetched: an image is shown only when it is a data: URI (the page's CSP,
// img-src 'self' data:, allows no other), anything else is a link the reader may follow.
"use strict";
(() => {
  const EXPLAIN = {
    format: "The file is an Open Badges 3.0 credential in a form this verifier can check.",
    integrity: "The file has not been changed since it was issued: not a word of it.",
    inclusion: "The credential is one of the batch its issuer registered.",
    anchor: "That batch is recorded on a public blockchain, which says when and cannot be altered afterwards.",
    issuer: "The issuer is accredited by the registry, and it was the issuer who recorded the batch.",
    revocation: "The issuer has not withdrawn (revoked) the credential.",
    status: "The credential's status entry is read; whether it is withdrawn is read from the blockchain.",
    validity: "Today is within the dates the credential is valid for.",
  };
  const LINKEDIN = "https://www.linkedin.com/profile/add";
  const IMAGE_DATA = /^data:image\/(png|jpeg|gif|webp|svg\+xml)[;,]/i;

  const el = (tag, attrs = {}, ...kids) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    for (const kid of kids) if (kid !== null && kid !== undefined) node.append(kid);
    return node;
  };
  const str = (v) => (typeof v === "string" && v.trim() ? v : null);
  const obj = (v) => (v && typeof v === "object" && !Array.isArray(v) ? v : {});
  const list = (v) => (Array.isArray(v) ? v.filter((x) => x && typeof x === "object") : []);
  const when = (iso) => {
    const d = new Date(iso);
    return isNaN(d) ? String(iso) : d.toLocaleDateString(undefined, { dateStyle: "long", timeZone: "UTC" });
  };
  // A link only for http(s): a URL of any other scheme from a credential is shown as text.
  const link = (url, text) => {
    const u = str(url);
    if (!u) return null;
    return /^https?:\/\//i.test(u) ? el("a", { href: u, rel: "noopener noreferrer nofollow", target: "_blank" }, text || u) : el("span", {}, u);
  };
  const rows = () => {
    const kids = [];
    const add = (label, value, key) => {
      if (value === null || value === undefined || value === "") return;
      kids.push(el("dt", {}, label), el("dd", key ? { "data-field": key } : {}, typeof value === "object" ? value : String(value)));
    };
    return { add, kids, dl: () => el("dl", {}, ...kids) };
  };
  const card = (id, title, ...kids) => el("div", { class: "card", id }, el("h3", {}, title), ...kids);

  function explainCheck(name) { return EXPLAIN[name] || ""; }

  // The parts of a credential the page shows, read defensively: a field of the wrong type is absent.
  function parts(doc, verdict) {
    const subject = obj(doc.credentialSubject);
    const achievement = obj(subject.achievement);
    const ids = list(subject.identifier);
    const named = ids.find((i) => i.identityType === "name" && i.hashed === false && str(i.identityHash));
    const issuer = obj(doc.issuer);
    return {
      subject, achievement, ids,
      recipient: str(subject.name) || (named && named.identityHash) || null,
      emails: ids.filter((i) => i.identityType === "emailAddress" && i.hashed === true && str(i.identityHash)),
      title: str(achievement.name) || str(doc.name) || "a credential",
      issuerName: (verdict && verdict.issuer && str(verdict.issuer.name)) || str(issuer.name) || str(doc.issuer) || "",
      issuer,
    };
  }

  function recipientCard(p) {
    const r = rows();
    r.add("Name", p.recipient, "recipient");
    if (str(p.subject.id)) r.add("Their identifier", p.subject.id, "subject-id");
    const kids = [r.dl()];
    if (!p.recipient) kids.unshift(el("p", {}, "The credential gives no name: check the person by their e-mail address below."));
    p.emails.forEach((ident, i) => kids.push(emailBox(ident, i)));
    return card("recipient", "Awarded to", ...kids);
  }

  // The credential holds only a salted hash of the address. Typed here, the address is hashed in
  // this browser (WebCrypto) the way the issuer did; it is never sent anywhere.
  function emailBox(ident, i) {
    const input = el("input", { type: "email", id: `email-check-${i}`, autocomplete: "off", placeholder: "candidate@example.org" });
    const button = el("button", { type: "button", class: "secondary", id: `email-check-button-${i}` }, "Check e-mail");
    const answer = el("p", { class: "email-answer", id: `email-result-${i}`, role: "status" });
    const run = async () => {
      answer.removeAttribute("data-match");
      const [algorithm, expected] = ident.identityHash.split("$");
      if (algorithm !== "sha256") { answer.textContent = `This credential hashes the address with ${algorithm}, which this page cannot check.`; return; }
      if (!crypto.subtle) { answer.textContent = "This browser can check the address only on a secure (https) page."; return; }
      const typed = input.value.trim().toLowerCase();
      if (!typed) { answer.textContent = "Type the candidate's e-mail address first."; return; }
      const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(typed + (typeof ident.salt === "string" ? ident.salt : "")));
      const hex = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
      const match = hex === expected.toLowerCase();
      answer.setAttribute("data-match", String(match));
      answer.className = `email-answer ${match ? "match" : "no-match"}`;
      answer.textContent = match ? `✓ Match: this credential was awarded to ${typed}.`
        : `✗ No match: this credential was not awarded to ${typed} (check the spelling, or ask which address they used).`;
    };
    button.addEventListener("click", run);
    input.addEventListener("keydown", (e) => { if (e.key === "Enter") run(); });
    return el("div", { class: "email-check" },
      el("label", { for: `email-check-${i}` }, "Check the candidate's e-mail: the credential holds only a scrambled (hashed) form of their address. Type the address they gave you; it is checked here in your browser and sent nowhere."),
      el("div", { class: "row" }, input, button), answer);
  }

  function imageOf(achievement) {
    const image = typeof achievement.image === "string" ? { id: achievement.image } : obj(achievement.image);
    const src = str(image.id);
    if (!src) return null;
    const caption = str(image.caption) || "the achievement's image";
    if (IMAGE_DATA.test(src)) return el("img", { src, alt: caption, class: "achievement-image", id: "achievement-image" });
    return el("span", { id: "achievement-image-link" }, link(src, "Open the achievement's image"), " (on the issuer's site; this page does not load it)");
  }

  function achievementCard(p) {
    const a = p.achievement;
    const criteria = obj(a.criteria);
    const r = rows();
    r.add("Name", str(a.name), "achievement-name");
    r.add("What it means", str(a.description), "achievement-description");
    if (str(criteria.narrative)) r.add("How it was earned", el("span", { class: "narrative" }, criteria.narrative), "criteria-narrative");
    if (str(criteria.id)) r.add("Criteria", link(criteria.id), "criteria-id");
    r.add("Kind", str(a.achievementType), "achievement-type");
    r.add("Code", str(a.humanCode), "human-code");
    r.add("Field of study", str(a.fieldOfStudy), "field-of-study");
    if (typeof a.creditsAvailable === "number") r.add("Credits", String(a.creditsAvailable), "credits");
    const tags = Array.isArray(a.tag) ? a.tag.filter(str) : [];
    if (tags.length) r.add("Tags", el("span", {}, ...tags.map((t) => el("span", { class: "tag" }, t))), "tags");
    if (str(a.id)) r.add("Achievement page", link(a.id), "achievement-id");
    r.add("Image", imageOf(a), "image");
    return card("achievement", "The achievement", r.dl());
  }

  function alignmentCard(p) {
    const items = list(p.achievement.alignment);
    if (!items.length) return null;
    return card("alignments", "Skills and standards it is aligned to",
      el("p", { class: "small" }, "Frameworks the issuer says this achievement matches (a skills catalogue, a qualification level)."),
      el("ul", { class: "facts" }, ...items.map((al) => el("li", { "data-alignment": str(al.targetName) || "" },
        el("strong", {}, str(al.targetName) || "(unnamed)"),
        str(al.targetFramework) ? ` · ${al.targetFramework}` : null,
        str(al.targetCode) ? ` · code ${al.targetCode}` : null,
        str(al.targetDescription) ? el("div", {}, al.targetDescription) : null,
        str(al.targetUrl) ? el("div", {}, link(al.targetUrl)) : null))));
  }

  function resultCard(p) {
    const descriptions = list(p.achievement.resultDescription);
    const results = list(p.subject.result);
    if (!descriptions.length && !results.length) return null;
    const byId = new Map(descriptions.filter((d) => str(d.id)).map((d) => [d.id, d]));
    const levelName = (desc, id) => {
      const level = list(desc && desc.rubricCriterionLevel).find((l) => l.id === id);
      return (level && str(level.name)) || id;
    };
    const used = new Set();
    const items = results.map((res) => {
      const desc = byId.get(res.resultDescription);
      if (desc) used.add(desc);
      const bits = [];
      if (res.value !== undefined) bits.push(String(res.value));
      if (str(res.achievedLevel)) bits.push(levelName(desc, res.achievedLevel));
      if (str(res.status)) bits.push(res.status);
      const range = desc && (desc.valueMin !== undefined || desc.valueMax !== undefined) ? ` (scale ${desc.valueMin ?? "?"}–${desc.valueMax ?? "?"})` : "";
      const required = desc && (str(desc.requiredValue) || (str(desc.requiredLevel) && levelName(desc, desc.requiredLevel)));
      return el("li", { "data-result": (desc && str(desc.name)) || "" },
        el("strong", {}, (desc && str(desc.name)) || "Result"), `: ${bits.join(", ") || "(no value)"}${range}`,
        required ? el("div", { class: "small" }, `Needed to pass: ${required}`) : null);
    });
    for (const desc of descriptions) {
      if (used.has(desc)) continue;
      items.push(el("li", { "data-result": str(desc.name) || "" }, el("strong", {}, str(desc.name) || "Result"),
        `: measured${str(desc.resultType) ? ` as ${desc.resultType}` : ""}, no result given`));
    }
    return card("results", "Results", el("ul", { class: "facts" }, ...items));
  }

  function evidenceCard(doc) {
    const items = list(doc.evidence);
    if (!items.length) return null;
    return card("evidence", "Evidence",
      el("p", { class: "small" }, "Work the learner produced or the assessor recorded. Links open the issuer's or learner's site."),
      el("ul", { class: "facts" }, ...items.map((ev) => el("li", { "data-evidence": str(ev.name) || "" },
        el("strong", {}, str(ev.name) || "Evidence"),
        str(ev.description) ? el("div", {}, ev.description) : null,
        str(ev.narrative) ? el("div", { class: "narrative" }, ev.narrative) : null,
        str(ev.id) ? el("div", {}, link(ev.id)) : null))));
  }

  function issuerCard(p, verdict) {
    const r = rows();
    r.add("Name", str(p.issuer.name) || p.issuerName, "issuer-name");
    r.add("Identifier (DID)", str(p.issuer.id), "issuer-did");
    if (str(p.issuer.url)) r.add("Website", link(p.issuer.url), "issuer-url");
    if (str(p.issuer.email)) r.add("E-mail", p.issuer.email, "issuer-email");
    r.add("About", str(p.issuer.description), "issuer-description");
    const accredited = verdict.checks.some((c) => c.name === "issuer" && c.passed);
    return card("issuer-profile", "Who issued it",
      el("p", { class: "small" }, accredited ? "The registry lists this issuer as accredited." : "The registry does not vouch for this issuer."),
      r.dl());
  }

  function validityText(doc, now = new Date()) {
    const from = new Date(doc.validFrom);
    const until = str(doc.validUntil) ? new Date(doc.validUntil) : null;
    if (!isNaN(from) && now < from) return `Not yet valid: it becomes valid on ${when(doc.validFrom)}.`;
    if (until && !isNaN(until) && now > until) return `Expired: it was valid from ${when(doc.validFrom)} until ${when(doc.validUntil)}.`;
    return until ? `Valid from ${when(doc.validFrom)} until ${when(doc.validUntil)}.` : `Valid from ${when(doc.validFrom)}, with no end date.`;
  }

  function validityCard(doc) {
    const r = rows();
    r.add("Valid from", str(doc.validFrom) && when(doc.validFrom), "valid-from");
    r.add("Valid until", str(doc.validUntil) ? when(doc.validUntil) : "no end date", "valid-until");
    return card("validity", "When it is valid", el("p", { id: "validity-text" }, validityText(doc)), r.dl());
  }

  // The one-page certificate: on screen it is hidden; print.css prints it alone.
  function certificate(p, doc) {
    const recipient = p.recipient || (p.emails.length ? "the holder of the e-mail address this credential names" : str(p.subject.id) || "its holder");
    return el("section", { id: "certificate", class: "certificate", "aria-hidden": "true" },
      el("p", { class: "cert-issuer" }, p.issuerName),
      el("h2", { class: "cert-title" }, p.title),
      el("p", { class: "cert-line" }, "awarded to"),
      el("p", { class: "cert-recipient" }, recipient),
      str(p.achievement.description) ? el("p", { class: "cert-description" }, p.achievement.description) : null,
      el("p", { class: "cert-dates" }, `Issued by ${p.issuerName}${str(p.issuer.id) ? ` (${p.issuer.id})` : ""}. ${validityText(doc)}`),
      el("div", { class: "cert-share", id: "cert-share" }),
      el("p", { class: "cert-verify" }, `Verify at ${location.origin}: open the link or scan the code.`));
  }

  // The cards for a credential whose integrity check passed (page.js shows none for an edited one):
  // summary (the short card at the top), details (the rest) and, when it is valid, the share extras
  // (filled by renderShareExtras), a Print button and the certificate.
  function credentialView(verdict, doc) {
    const p = parts(doc, verdict);
    const s = rows();
    s.add("Credential", p.title);
    s.add("About it", str(doc.description), "credential-description");
    s.add("Awarded to", p.recipient || (p.emails.length ? "a person identified by e-mail (check below)" : null));
    s.add("Issued by", p.issuerName);
    s.add("Valid from", str(doc.validFrom) && when(doc.validFrom));
    s.add("Valid until", str(doc.validUntil) && when(doc.validUntil));
    const summary = card("credential", "The credential", s.dl());
    const details = [recipientCard(p), achievementCard(p), alignmentCard(p), resultCard(p), evidenceCard(doc),
      issuerCard(p, verdict), validityCard(doc)].filter(Boolean);
    if (verdict.status === "valid") {
      const print = el("button", { type: "button", id: "print", class: "secondary" }, "Print certificate");
      print.addEventListener("click", () => window.print());
      details.push(card("share-card", "Share and print",
        el("div", { id: "share-extras" }, el("p", { class: "small" }, "Check the credential to get a link.")),
        el("div", { class: "row" }, print)), certificate(p, doc));
    }
    return { summary, details };
  }

  // The LinkedIn "Add licence or certification" form, filled in: dates by the credential's UTC month.
  function linkedInUrl(link, doc) {
    const p = parts(doc, null);
    const q = new URLSearchParams({ startTask: "CERTIFICATION_NAME", name: p.title, organizationName: p.issuerName });
    const from = new Date(doc.validFrom);
    if (!isNaN(from)) { q.set("issueYear", String(from.getUTCFullYear())); q.set("issueMonth", String(from.getUTCMonth() + 1)); }
    const until = str(doc.validUntil) ? new Date(doc.validUntil) : null;
    if (until && !isNaN(until)) { q.set("expirationYear", String(until.getUTCFullYear())); q.set("expirationMonth", String(until.getUTCMonth() + 1)); }
    q.set("certUrl", link);
    if (str(doc.id)) q.set("certId", doc.id);
    return `${LINKEDIN}?${q}`;
  }

  function qrFigure(link, id) {
    const qr = qrSvg(link);
    if (!qr) {
      return { node: el("p", { class: "qr-too-long small", id, "data-link-length": String(link.length) },
        `This link is ${link.length} characters long, too long for a QR code (one holds at most ${QR_MAX_BYTES}). A short share link fits.`), qr };
    }
    qr.svg.setAttribute("aria-label", `QR code of the link ${link}`);
    return { node: el("figure", { class: "qr-figure", id, "data-qr-version": String(qr.version),
      "data-qr-modules": String(qr.modules), "data-link-length": String(link.length) }, qr.svg), qr };
  }

  // A QR code of `link` (in full, its #fragment too) and an "Add to LinkedIn profile" link, on the
  // page and on the certificate; the share link's maker (page.js) calls it with the best link it has.
  // Returns {version, length}; version is null when the link is too long for a QR code.
  function renderShareExtras(link, doc) {
    const box = document.getElementById("share-extras");
    if (!box) return null;
    const shown = qrFigure(link, "qr");
    const linkedin = el("a", { id: "linkedin", class: "button", href: linkedInUrl(link, doc), rel: "noopener noreferrer", target: "_blank" }, "Add to LinkedIn profile");
    box.replaceChildren(el("p", { class: "small" }, "Scan or open this link to see this check:"),
      el("input", { readonly: "", id: "share-extras-link", "aria-label": "Link to this credential", value: link }),
      shown.node, el("div", { class: "row" }, linkedin));
    const printed = document.getElementById("cert-share");
    if (printed) {
      const tooLong = link.length > 300;  // a fragment link of kilobytes would fill the page
      printed.replaceChildren(qrFigure(link, "cert-qr").node,
        el("p", { class: "cert-link" }, tooLong ? `${link.slice(0, 80)}… (a link of ${link.length} characters: ask for a short share link)` : link));
    }
    return { version: shown.qr ? shown.qr.version : null, length: link.length };
  }

  window.credentialView = credentialView;
  window.explainCheck = explainCheck;
  window.renderShareExtras = renderShareExtras;
  window.linkedInUrl = linkedInUrl;
})();
