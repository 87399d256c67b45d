// readme.test.js — the runnable examples of README.md's Node section and of node/README.md
// (every ```js block that imports skv) run as ES modules in an empty directory.
'use strict';

const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { tmpdir } = require('./helpers');

const PKG = path.resolve(__dirname, '..');

function examples(file) {
  const text = fs.readFileSync(file, 'utf8');
  return [...text.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]).filter((code) => /^import skv from 'skv';/m.test(code));
}

for (const file of [path.join(PKG, '..', 'README.md'), path.join(PKG, 'README.md')]) {
  const blocks = fs.existsSync(file) ? examples(file) : [];
  blocks.forEach((code, i) => {
    test(`${path.relative(path.join(PKG, '..'), file)} example ${i + 1} runs`, (t) => {
      const cwd = tmpdir(t);
      // inside the package directory, so that 'skv' resolves to this package
      const script = path.join(PKG, 'test', `.readme-${process.pid}-${i}.mjs`);
      fs.writeFileSync(script, code);
      t.after(() => fs.rmSync(script, { force: true }));
      const out = execFileSync(process.execPath, [script], { cwd, encoding: 'utf8' });
      assert.ok(fs.readdirSync(cwd).length > 0, 'the example made its database');
      void out;
    });
  });
  if (fs.existsSync(file)) test(`${path.relative(path.join(PKG, '..'), file)} has a runnable example`, () => assert.ok(blocks.length > 0));
}
