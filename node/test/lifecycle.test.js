// lifecycle.test.js — worker threads, a database left open at process exit, and databases
// garbage-collected with live transactions: never a crash, and the data stays.
'use strict';

const test = require('node:test');
const assert = require('node:assert');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { Worker } = require('node:worker_threads');
const skv = require('..');
const { tmpdir } = require('./helpers');

const FIXTURES = path.join(__dirname, 'fixtures');

function runWorker(data) {
  return new Promise((resolve, reject) => {
    const w = new Worker(path.join(FIXTURES, 'worker.js'), { workerData: data });
    w.once('message', (m) => (m.error ? reject(new Error(m.error)) : resolve({ worker: w, message: m })));
    w.once('error', reject);
  });
}

test('worker threads each use a database of their own at the same time', async (t) => {
  const dir = tmpdir(t);
  const results = await Promise.all([1, 2, 3].map((id) =>
    runWorker({ dir: path.join(dir, `w${id}`), id, n: 1000 })));
  assert.deepStrictEqual(results.map((r) => r.message), [1, 2, 3].map((id) => ({ id, count: 1000 })));
  for (const r of results) await r.worker.terminate();
});

for (const abandon of ['commits', 'closing', 'iterating']) {
  test(`a worker terminated with work in flight (${abandon})`, async (t) => {
    const dir = path.join(tmpdir(t), 'w');
    const { worker } = await runWorker({ dir, abandon });
    assert.strictEqual(await worker.terminate(), 1);
    // the environment's clean-up closed the database: the directory is free again
    const db = await skv.open(dir);
    const n = db.begin().range('k', 'l').toArray().length;
    assert.ok(n <= 2000, `${n} commits landed`);
    await db.close();
  });
}

for (const mode of ['drain', 'exit']) {
  test(`a database left open at process exit (${mode})`, (t) => {
    const dir = path.join(tmpdir(t), 'db');
    execFileSync(process.execPath, [path.join(FIXTURES, 'exit.js'), dir, mode], { stdio: 'inherit' });
    const db = skv.openSync(dir);
    const txn = db.begin();
    assert.strictEqual(txn.get('sync').toString(), 'committed');
    assert.strictEqual(txn.get('never'), undefined);
    if (mode === 'drain') assert.strictEqual(txn.range('async', 'async~').toArray().length, 500);
    db.closeSync();
  });
}

test('databases, transactions and cursors garbage-collected while live', (t) => {
  const dir = path.join(tmpdir(t), 'db');
  const out = execFileSync(process.execPath, ['--expose-gc', path.join(FIXTURES, 'gc.js'), dir],
    { encoding: 'utf8' });
  assert.match(out, /reopened after \d+ collections: kept=yes/);
});
