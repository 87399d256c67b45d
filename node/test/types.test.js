// types.test.js — the TypeScript declarations (checked by tsc against test/types, whose
// @ts-expect-error lines must each be errors), the ESM entry point, and the addon's coverage
// of skv.h: every function the header declares is called by the addon.
'use strict';

const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { FUNCTIONS } = require('../lib/constants');

const PKG = path.resolve(__dirname, '..');

test('tsc accepts the declarations and the use of them in test/types', () => {
  const tsc = require.resolve('typescript/bin/tsc', { paths: [PKG] });
  execFileSync(process.execPath, [tsc, '-p', path.join(__dirname, 'types')], { stdio: 'inherit' });
});

test('import from ESM: default and named exports', async () => {
  const esm = await import('skv');
  const cjs = require('..');
  assert.strictEqual(esm.default, cjs);
  assert.strictEqual(esm.open, cjs.open);
  assert.strictEqual(esm.SkvError, cjs.SkvError);
  assert.strictEqual(esm.Error, cjs.SkvError);
});

test('the addon calls every function of skv.h', () => {
  const src = fs.readdirSync(path.join(PKG, 'src'))
    .map((f) => fs.readFileSync(path.join(PKG, 'src', f), 'utf8')).join('\n');
  const missing = FUNCTIONS.filter((name) => !new RegExp(`\\b${name}\\b`).test(src));
  assert.deepStrictEqual(missing, []);
  assert.ok(FUNCTIONS.length >= 41);
});
