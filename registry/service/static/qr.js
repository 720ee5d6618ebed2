// A QR code of a text as an SVG element, drawn in the browser from the vendored encoder
// (vendor/qrcode-generator.js, MIT): nothing is sent anywhere to make it. The SVG is built with
// createElementNS and setAttribute only (one <path> of the dark modules), never from markup.
"use strict";
(() => {
  qrcode.stringToBytes = qrcode.stringToBytesFuncs["UTF-8"];  // the default keeps only each char's low byte
  const QR_MAX_BYTES = 2953;  // version 40, error correction L, byte mode: the most a QR code holds
  const SVG_NS = "http://www.w3.org/2000/svg";

  // {svg, version, modules} for `text` (UTF-8, byte mode), or null when it is too long for any QR
  // code. Level M (15% of the code may be damaged) while it fits, else L: a printed CV gets creased.
  function qrSvg(text) {
    let code = null;
    for (const level of ["M", "L"]) {
      try {
        const candidate = qrcode(0, level);  // 0: the smallest version that holds the text
        candidate.addData(text, "Byte");
        candidate.make();
        code = candidate;
        break;
      } catch (_) { /* too long at this level: try the next */ }
    }
    if (!code) return null;
    const n = code.getModuleCount();
    const quiet = 4;  // the white border readers need, in modules
    let d = "";
    for (let r = 0; r < n; r++) {
      for (let c = 0; c < n; c++) if (code.isDark(r, c)) d += `M${c + quiet} ${r + quiet}h1v1h-1z`;
    }
    const size = n + 2 * quiet;
    const svg = document.createElementNS(SVG_NS, "svg");
    svg.setAttribute("viewBox", `0 0 ${size} ${size}`);
    svg.setAttribute("shape-rendering", "crispEdges");
    svg.setAttribute("role", "img");
    svg.setAttribute("class", "qr");
    const back = document.createElementNS(SVG_NS, "rect");
    back.setAttribute("width", String(size));
    back.setAttribute("height", String(size));
    back.setAttribute("fill", "#fff");
    const dark = document.createElementNS(SVG_NS, "path");
    dark.setAttribute("d", d);
    dark.setAttribute("fill", "#000");
    svg.append(back, dark);
    return { svg, version: (n - 17) / 4, modules: n };
  }

  window.qrSvg = qrSvg;
  window.QR_MAX_BYTES = QR_MAX_BYTES;
})();
