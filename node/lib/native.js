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

module.exports = addon;
