// native.js — loads the addon (build/Release/skv.node, made by scripts/build.js at install)
// and checks that the engine it holds has the ABI the generated tables were made for.
'use strict';

const path = require('node:path');
const { ABI_VERSION } = require('./constants');
const { SkvError } = require('./errors');

const addon = require(path.join(__dirname, '..', 'build', 'Release', 'skv.node'));

if (addon.abiVersion() !== ABI_VERSION) {
  throw new SkvError('SKV_EVERSION', undefined,
    `the addon's engine has ABI ${addon.abiVersion()}, this package was made for ABI ${ABI_VERSION}: ` +
    'reinstall the package');
}
addon.setErrorClass(SkvError);

// Values up to this size come back through one shared buffer: the addon copies the value
// into it and returns the length, and fromScratch copies it into a pooled Buffer (one
// allocation of a new ArrayBuffer per value costs far more).
const SCRATCH = Buffer.allocUnsafeSlow(16 * 1024);
addon.setScratch(SCRATCH);

// A value as the addon returned it: a length in SCRATCH, a Buffer, or undefined.
addon.fromScratch = function fromScratch(r) {
  if (typeof r !== 'number') return r;
  const out = Buffer.allocUnsafe(r);
  SCRATCH.copy(out, 0, 0, r);
  return out;
};

module.exports = addon;
