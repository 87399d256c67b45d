// conformance.test.js — the shared conformance suite (tests/conformance/cases) through the
// Node package: every case passes except those in tests/conformance/skip/node.txt.
'use strict';

const test = require('node:test');
const assert = require('node:assert');
const { runSuite } = require('./conformance/runner');

test('conformance suite', async () => {
  const lines = [];
  const r = await runSuite({ print: (line) => lines.push(line) });
  const failures = lines.filter((l) => l.startsWith('FAIL'));
  console.log(lines[lines.length - 1]);
  assert.deepStrictEqual(failures, []);
  assert.ok(r.cases > 0, 'the suite has cases');
  assert.ok(r.ok, `${r.passed} passed of ${r.cases} cases with ${r.skipped} skipped`);
});
