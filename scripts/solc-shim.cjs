#!/usr/bin/env node
// A native-solc stand-in backed by solc-js (the official WebAssembly build), so that py-solc-x
// and ape-solidity work offline: no native solc can be downloaded here (see TOOLCHAIN.md).
// It answers the two calls they make: `--version` and `--standard-json` (input on stdin).
"use strict";
const fs = require("fs");
const path = require("path");
const solc = require(path.join(__dirname, "..", "node_modules", "solc"));

function version() {
  // Same shape as native solc's banner, which py-solc-x and ape-solidity parse.
  const v = solc.version(); // e.g. 0.8.30+commit.73712a01.Emscripten.clang
  return `solc, the solidity compiler commandline interface\nVersion: ${v}\n`;
}

function importResolver(roots) {
  return (importPath) => {
    const candidates = path.isAbsolute(importPath) ? [importPath] : roots.map((r) => path.join(r, importPath));
    for (const file of candidates) {
      try {
        return { contents: fs.readFileSync(file, "utf8") };
      } catch (_) { /* try the next root */ }
    }
    return { error: `File not found: ${importPath} (looked in ${roots.join(", ")})` };
  };
}

function main(argv) {
  if (argv.includes("--version")) {
    fs.writeSync(1, version());
    return 0;
  }
  if (!argv.includes("--standard-json")) {
    fs.writeSync(2, "solc-shim: only --version and --standard-json are supported\n");
    return 2;
  }
  const roots = [process.cwd()];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--base-path" || a === "--include-path" || a === "--allow-paths") {
      for (const p of String(argv[i + 1] || "").split(",")) if (p) roots.push(path.resolve(p));
      i++;
    } else if (a.startsWith("--base-path=") || a.startsWith("--include-path=")) {
      roots.push(path.resolve(a.split("=")[1]));
    }
  }
  const input = fs.readFileSync(0, "utf8");
  const output = solc.compile(input, { import: importResolver(roots) });
  // Synchronous write: process.stdout would be cut at 64 KiB when stdout is a pipe.
  const buf = Buffer.from(output, "utf8");
  let off = 0;
  while (off < buf.length) off += fs.writeSync(1, buf, off, buf.length - off);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
