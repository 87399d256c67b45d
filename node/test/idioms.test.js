// idioms.test.js — what Node code relies on: the event loop keeps running during a long
// commit, scan or compaction; many concurrent `await txn.commit()` calls all settle; a
// broken-off loop closes its cursor; close settles after every pending commit.
'use strict';

const test = require('node:test');
const assert = require('node:assert');
const path = require('node:path');
const skv = require('..');
const { tmpdir } = require('./helpers');

// Counts turns of the event loop until stopped.
function loopTurns() {
  const state = { turns: 0, stopped: false };
  (function turn() {
    if (state.stopped) return;
    state.turns++;
    setImmediate(turn);
  })();
  return state;
}

async function fresh(t, options) {
  const db = await skv.open(path.join(tmpdir(t), 'db'), options);
  t.after(() => { if (!db.closed) db.closeSync(); });
  return db;
}

function bigTxn(db, n, tag) {
  const txn = db.begin();
  const value = Buffer.alloc(100, 7);
  for (let i = 0; i < n; i++) txn.set(`${tag}${String(i).padStart(7, '0')}`, value);
  return txn;
}

test('the event loop keeps turning during a long commit, and not during commitSync', async (t) => {
  const db = await fresh(t);
  const syncTxn = bigTxn(db, 100000, 's');
  const during = loopTurns();
  syncTxn.commitSync(); // the control: blocks the loop
  assert.strictEqual(during.turns, 1, 'commitSync blocks the event loop');
  during.stopped = true;

  const txn = bigTxn(db, 100000, 'a');
  const turns = loopTurns();
  const started = process.hrtime.bigint();
  await txn.commit();
  turns.stopped = true;
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  assert.ok(turns.turns > 20, `the loop turned ${turns.turns} times during a ${ms.toFixed(0)} ms commit`);
  assert.strictEqual(db.begin().get('a0099999').length, 100);
});

test('the event loop keeps turning during for await over a long range and a compaction', async (t) => {
  const db = await fresh(t);
  await bigTxn(db, 100000, 'k').commit();
  const txn = db.begin({ mode: 'readOnly' });
  const turns = loopTurns();
  let n = 0;
  for await (const [k] of txn.range()) {
    if (n === 0) assert.strictEqual(k.toString(), 'k0000000');
    n++;
  }
  turns.stopped = true;
  assert.strictEqual(n, 100000);
  assert.ok(turns.turns > 20, `the loop turned ${turns.turns} times during the scan`);

  const during = loopTurns();
  await db.compact();
  during.stopped = true;
  assert.ok(during.turns > 1, `the loop turned ${during.turns} times during the compaction`);
  assert.strictEqual(db.property('memtable-bytes') !== undefined, true);
});

test('10,000 concurrent commits all settle, and conflicts reject exactly the losers', async (t) => {
  const db = await fresh(t);
  const commits = [];
  for (let i = 0; i < 10000; i++) {
    const txn = db.begin();
    txn.set(`c${String(i).padStart(5, '0')}`, String(i));
    commits.push(txn.commit());
  }
  await Promise.all(commits);
  assert.strictEqual(db.begin().range('c', 'd').toArray().length, 10000);

  const racers = [];
  for (let i = 0; i < 50; i++) {
    const txn = db.begin();
    txn.set('contended', String(i));
    racers.push(txn);
  }
  const results = await Promise.allSettled(racers.map((txn) => txn.commit()));
  const won = results.filter((r) => r.status === 'fulfilled');
  const lost = results.filter((r) => r.status === 'rejected');
  assert.strictEqual(won.length, 1);
  assert.strictEqual(lost.length, 49);
  for (const r of lost) assert.strictEqual(r.reason.code, 'SKV_ECONFLICT');
  const winner = results.findIndex((r) => r.status === 'fulfilled');
  assert.strictEqual(db.begin().get('contended').toString(), String(winner));
});

test('close settles after every pending commit promise, and commits are durable', async (t) => {
  const dir = tmpdir(t);
  const db = await skv.open(path.join(dir, 'db'));
  const settled = [];
  const commits = [];
  for (let i = 0; i < 200; i++) {
    const txn = db.begin();
    txn.set(`k${i}`, 'v');
    commits.push(txn.commit().then(() => settled.push(i)));
  }
  await db.close();
  assert.strictEqual(settled.length, 200, 'every commit settled before close resolved');
  await Promise.all(commits);
  const again = await skv.open(path.join(dir, 'db'));
  assert.strictEqual(again.begin().range().toArray().length, 200);
  await again.close();
});

test('async commits reach the engine in call order, before later commitSync, close and sync', async (t) => {
  const db = await fresh(t);
  // both from the same snapshot: the first to commit wins, the other conflicts
  const a = db.begin();
  const b = db.begin();
  a.set('k', 'async');
  b.set('k', 'sync');
  const pa = a.commit(); // queued until the end of this turn
  assert.throws(() => b.commitSync(), { code: 'SKV_ECONFLICT' });
  await pa;
  assert.strictEqual(db.begin().get('k').toString(), 'async');

  // a transaction with an open cursor is committed at once; its cursor has ended with it
  const c = db.begin();
  c.set('c', '1');
  const cursor = c.cursor();
  const pc = c.commit();
  assert.throws(() => cursor.first(), { code: 'SKV_ECLOSED' });
  await pc;
  assert.strictEqual(db.begin().get('c').toString(), '1');

  // queued commits are in the log before a sync of the same turn returns
  const d = db.begin();
  d.set('d', '1');
  const pd = d.commit();
  db.syncSync();
  await pd;
  assert.strictEqual(db.begin().get('d').toString(), '1');
});

test('a long turn hands its first commits to the engine before it ends', async (t) => {
  const db = await fresh(t);
  const commits = [];
  for (let i = 0; i < 1000; i++) {
    const txn = db.begin({ mode: 'writeOnly' });
    txn.set(`k${String(i).padStart(4, '0')}`, 'v');
    commits.push(txn.commit());
  }
  // still in the same turn: the first few hundred were queued to the engine early
  const reader = () => db.begin({ mode: 'readOnly' });
  const deadline = Date.now() + 10000;
  while (reader().get('k0000') === undefined && Date.now() < deadline) { /* spin */ }
  assert.strictEqual(reader().get('k0000')?.toString(), 'v');
  await Promise.all(commits);
  assert.strictEqual(reader().range().toArray().length, 1000);
});

test('commits queued in the turn that closes the database are committed first', async (t) => {
  const dir = tmpdir(t);
  for (const close of ['closeSync', 'close']) {
    const db = await skv.open(path.join(dir, close));
    const commits = [];
    for (let i = 0; i < 100; i++) {
      const txn = db.begin({ mode: 'writeOnly' });
      txn.set(`k${i}`, 'v');
      commits.push(txn.commit());
    }
    const closed = db[close](); // still in the turn that committed
    await closed;
    await Promise.all(commits);
    const again = await skv.open(path.join(dir, close));
    assert.strictEqual(again.begin().range().toArray().length, 100, close);
    await again.close();
  }
});

test('breaking out of a loop closes its cursor (return()), also on throw', async (t) => {
  const db = await fresh(t);
  await db.transaction((w) => { for (let i = 0; i < 100; i++) w.set(`k${String(i).padStart(3, '0')}`, 'v'); });
  const txn = db.begin();
  const close = skv.Cursor.prototype.close;
  let closes = 0;
  skv.Cursor.prototype.close = function countedClose() { closes++; return close.call(this); };
  t.after(() => { skv.Cursor.prototype.close = close; });

  for (const [k] of txn.range()) if (k.toString() === 'k005') break;
  assert.strictEqual(closes, 1);
  for await (const [k] of txn.range()) if (k.toString() === 'k005') break;
  assert.strictEqual(closes, 2);
  await assert.rejects((async () => { for await (const e of txn.range()) throw new Error(`stop at ${e[0]}`); })(), /stop at k000/);
  assert.strictEqual(closes, 3);
  const it = txn.range()[Symbol.asyncIterator]();
  await it.next();
  await it.return();
  assert.strictEqual(closes, 4);
  let n = 0;
  for (const e of txn.range()) n += e.length;
  assert.strictEqual(n, 200);
  assert.strictEqual(closes, 5);
  assert.ok(!txn.ended);
});

test('db.put and db.delete gather the writes of one turn into one commit', async (t) => {
  const db = await fresh(t, { enableVersioning: true });
  const puts = [];
  for (let i = 0; i < 1000; i++) puts.push(db.put(`p${String(i).padStart(4, '0')}`, `v${i}`));
  assert.strictEqual(new Set(puts).size, 1, 'one promise for the turn');
  const removed = db.delete('p0001');
  assert.strictEqual(removed, puts[0]);
  const immediate = db.put('durable', 'yes', { durability: 'immediate' });
  assert.notStrictEqual(immediate, puts[0], 'another durability, another batch');
  await Promise.all([...puts, immediate]);
  const r = db.begin({ mode: 'readOnly' });
  assert.strictEqual(r.range('p', 'q').toArray().length, 999);
  assert.strictEqual(r.get('p0999').toString(), 'v999');
  assert.strictEqual(r.get('p0001'), undefined);
  assert.strictEqual(r.get('durable').toString(), 'yes');
  // the turn's writes share one commit timestamp: one transaction
  const stamps = new Set(r.history('p', 'q').toArray().map((v) => v.timestamp));
  assert.strictEqual(stamps.size, 1);
  await assert.rejects(db.put('', 'v'), { code: 'SKV_EEMPTYKEY' });
  await assert.rejects(db.put('k'), { name: 'TypeError' });
  await assert.rejects(db.put('k', 'v', { durability: 'never' }), { code: 'ERR_INVALID_ARG_VALUE' });
  const late = db.put('late', 'v'); // still in this turn when close begins: committed first
  await db.close();
  await late;
  const again = await skv.open(db.path);
  assert.strictEqual(again.begin().get('late').toString(), 'v');
  await again.close();
  await assert.rejects(db.put('after', 'close'), { code: 'SKV_ECLOSED' });
});
