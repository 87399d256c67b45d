// helpers.js — temporary database directories for the tests.
'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

function tmpdir(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skv-node-test-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

module.exports = { tmpdir };
