#!/usr/bin/env node
// scripts/vendor.js — run by `npm pack` (prepack): copies the engine's C sources and the
// public header from the repository (../capi, ../engine) into deps/skv, so the packed
// tarball builds with no checkout around it. `--clean` (postpack) removes the copy.
'use strict';

const fs = require('node:fs');
const path = require('node:path');

const PKG = path.resolve(__dirname, '..');
const REPO = path.resolve(PKG, '..');
const DEST = path.join(PKG, 'deps', 'skv');

function copyTree(from, to) {
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const src = path.join(from, entry.name);
    const dst = path.join(to, entry.name);
    if (entry.isDirectory()) {
      copyTree(src, dst);
    } else if (/\.(c|h)$/.test(entry.name)) {
      fs.mkdirSync(to, { recursive: true });
      fs.copyFileSync(src, dst);
    }
  }
}

fs.rmSync(path.join(PKG, 'deps'), { recursive: true, force: true });
if (process.argv[2] !== '--clean') {
  if (!fs.existsSync(path.join(REPO, 'capi', 'include', 'skv.h'))) {
    console.error('vendor: run npm pack from a checkout (../capi/include/skv.h is missing)');
    process.exit(1);
  }
  for (const dir of ['capi', 'engine']) copyTree(path.join(REPO, dir), path.join(DEST, dir));
  fs.copyFileSync(path.join(REPO, 'README.md'), path.join(DEST, 'README.md'));
}
