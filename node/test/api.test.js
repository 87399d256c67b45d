// api.test.js — the package's API: bytes in and out, transactions, ranges, cursors, scans,
// options, properties, database calls, and errors with their codes.
'use strict';

const test = require('node:test');
const assert = require('node:assert');
const path = require('node:path');
const skv = require('..');
const { tmpdir } = require('./helpers');

function code(name) {
  return (e) => e instanceof skv.Error && e instanceof Error && e.code === name &&
    e.errno === skv.errors[name] && e.message.startsWith(`${name}: `);
}

async function fresh(t, options) {
  const db = await skv.open(path.join(tmpdir(t), 'db'), options);
  t.after(() => { if (!db.closed) db.closeSync(); });
  return db;
}

test('bytes in every form, Buffers out', async (t) => {
  const db = await fresh(t);
  const txn = db.begin();
  txn.set('text', 'héllo');
  txn.set(Buffer.from([0, 1, 2]), Buffer.from([0xff, 0]));
  txn.set(new Uint16Array([0x6261]), new Uint8Array([7]).buffer);
  txn.set(new DataView(new Uint8Array([9, 9]).buffer), '');
  txn.set(Buffer.from('abcdef').subarray(2, 4), 'slice');
  assert.deepStrictEqual(txn.get('text'), Buffer.from('héllo'));
  assert.deepStrictEqual(txn.get(Buffer.from([0, 1, 2])), Buffer.from([0xff, 0]));
  assert.deepStrictEqual(txn.get('ab'), Buffer.from([7]));
  assert.deepStrictEqual(txn.get(Buffer.from([9, 9])), Buffer.alloc(0));
  assert.deepStrictEqual(txn.get('cd'), Buffer.from('slice'));
  assert.strictEqual(txn.get('absent'), undefined);
  const long = 'k'.repeat(1000);
  txn.set(long, long);
  assert.strictEqual(txn.get(long).toString(), long);
  await txn.commit();
  assert.throws(() => db.begin().get(42), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
  assert.throws(() => db.begin().set('k', { a: 1 }), TypeError);
});

test('snapshot isolation and read-your-own-writes', async (t) => {
  const db = await fresh(t);
  await db.transaction((w) => w.set('a', '1'));
  const reader = db.begin({ mode: 'readOnly' });
  const writer = db.begin();
  writer.set('a', '2');
  assert.strictEqual(writer.get('a').toString(), '2');
  assert.strictEqual(reader.get('a').toString(), '1');
  writer.commitSync();
  assert.strictEqual(reader.get('a').toString(), '1');
  assert.strictEqual(db.begin().get('a').toString(), '2');
  assert.strictEqual(writer.ended, true);
  assert.throws(() => writer.get('a'), code('SKV_ECLOSED'));
});

test('first committer wins, sync and async', async (t) => {
  const db = await fresh(t);
  const a = db.begin(), b = db.begin(), c = db.begin();
  a.set('k', 'a'); b.set('k', 'b'); c.set('k', 'c');
  await a.commit();
  assert.throws(() => b.commitSync(), code('SKV_ECONFLICT'));
  await assert.rejects(c.commit(), code('SKV_ECONFLICT'));
  assert.strictEqual(db.begin().get('k').toString(), 'a');
});

test('modes, durability, savepoints and the size limits', async (t) => {
  const db = await fresh(t);
  const ro = db.begin({ mode: 'readOnly' });
  assert.throws(() => ro.set('k', 'v'), code('SKV_EREADONLY'));
  await assert.rejects(ro.commit(), code('SKV_EREADONLY'));
  const wo = db.begin({ mode: 'writeOnly', durability: 'immediate' });
  assert.throws(() => wo.get('k'), code('SKV_EWRITEONLY'));
  assert.throws(() => wo.range().toArray(), code('SKV_EWRITEONLY'));
  wo.set('k', 'v');
  await wo.commit();
  assert.throws(() => db.begin({ mode: 'readwrite' }), { code: 'ERR_INVALID_ARG_VALUE' });
  assert.throws(() => db.begin({ durability: 'never' }), { code: 'ERR_INVALID_ARG_VALUE' });

  const txn = db.begin();
  txn.setDurability('immediate');
  txn.set('a', '1');
  txn.savepoint();
  txn.set('a', '2');
  txn.set('b', '2');
  txn.rollbackToSavepoint();
  assert.strictEqual(txn.get('a').toString(), '1');
  assert.strictEqual(txn.get('b'), undefined);
  assert.throws(() => txn.rollbackToSavepoint(), code('SKV_ENOSAVEPOINT'));
  assert.throws(() => txn.set('', 'v'), code('SKV_EEMPTYKEY'));
  assert.throws(() => txn.set(Buffer.alloc(skv.constants.SKV_MAX_KEY_SIZE + 1), 'v'), code('SKV_ETOOBIG'));
  txn.commitSync();
  assert.strictEqual(db.begin().get('a').toString(), '1');
});

test('deletes, replace and explicit timestamps', async (t) => {
  const db = await fresh(t);
  await db.transaction((w) => {
    w.set('a', '1');
    w.set('b', '1');
    w.set('c', '1');
    w.setAt('d', 'at', 1700000000000000000n);
    w.setAt('e', 'at', 5);
  });
  await db.transaction((w) => { w.delete('a'); w.softDelete('b'); w.replace('c', '2'); });
  const r = db.begin();
  assert.strictEqual(r.get('a'), undefined);
  assert.strictEqual(r.get('b'), undefined);
  assert.strictEqual(r.get('c').toString(), '2');
  assert.strictEqual(r.get('d').toString(), 'at');
  assert.throws(() => r.setAt('x', 'v', -1), { code: 'ERR_OUT_OF_RANGE' });
  assert.throws(() => r.setAt('x', 'v', 2 ** 60), { code: 'ERR_OUT_OF_RANGE' });
  assert.throws(() => r.setAt('x', 'v', 1n << 64n), { code: 'ERR_OUT_OF_RANGE' });
});

test('ranges: bounds, reverse, limit, keysOnly, sync and async, across many batches', async (t) => {
  const db = await fresh(t);
  const keys = [];
  await db.transaction((w) => {
    for (let i = 0; i < 5000; i++) {
      const k = `k${String(i).padStart(5, '0')}`;
      keys.push(k);
      w.set(k, `v${i}`);
    }
  });
  const r = db.begin({ mode: 'readOnly' });
  const all = r.range().toArray();
  assert.strictEqual(all.length, 5000);
  assert.deepStrictEqual(all.map(([k]) => k.toString()), keys);
  assert.strictEqual(all[4999][1].toString(), 'v4999');
  const asyncAll = [];
  for await (const e of r.range()) asyncAll.push(e);
  assert.deepStrictEqual(asyncAll, all);

  const bounded = r.range('k00010', 'k00013').toArray().map(([k, v]) => `${k}=${v}`);
  assert.deepStrictEqual(bounded, ['k00010=v10', 'k00011=v11', 'k00012=v12']);
  const rev = r.range(null, 'k00003', { reverse: true }).toArray().map(([k]) => k.toString());
  assert.deepStrictEqual(rev, ['k00002', 'k00001', 'k00000']);
  const limited = [];
  for await (const [k] of r.range('k01000', undefined, { limit: 1500 })) limited.push(k.toString());
  assert.deepStrictEqual(limited, keys.slice(1000, 2500));
  const ko = r.range('k00000', 'k00002', { keysOnly: true }).toArray();
  assert.deepStrictEqual(ko, [[Buffer.from('k00000'), Buffer.alloc(0)], [Buffer.from('k00001'), Buffer.alloc(0)]]);

  // each iteration sees the transaction's writes as of its start
  const w = db.begin();
  const range = w.range('k00000', 'k00001~');
  w.set('k00000x', 'new');
  assert.deepStrictEqual(range.toArray().map(([k]) => k.toString()), ['k00000', 'k00000x', 'k00001']);
});

test('cursors: positioning, current entry, batches', async (t) => {
  const db = await fresh(t);
  await db.transaction((w) => { for (const k of ['a', 'b', 'c', 'd']) w.set(k, k.toUpperCase()); });
  const txn = db.begin();
  const c = txn.cursor('b');
  assert.strictEqual(c.key(), undefined);
  assert.strictEqual(c.first(), true);
  assert.deepStrictEqual([c.key().toString(), c.value().toString()], ['b', 'B']);
  assert.strictEqual(c.last(), true);
  assert.strictEqual(c.key().toString(), 'd');
  assert.strictEqual(c.next(), false);
  assert.strictEqual(c.seek('c'), true);
  assert.strictEqual(c.prev(), true);
  assert.strictEqual(c.key().toString(), 'b');
  assert.strictEqual(c.seek('z'), false);
  c.first();
  assert.deepStrictEqual(c.readBatch(2).map(([k]) => k.toString()), ['b', 'c']);
  assert.deepStrictEqual((await c.readBatchAsync()).map(([k]) => k.toString()), ['d']);
  assert.deepStrictEqual(c.readBatch(), []);
  c.close();
  assert.throws(() => c.first(), code('SKV_ECLOSED'));
  const r = txn.cursor(undefined, undefined, { reverse: true });
  assert.strictEqual(r.first(), true);
  assert.strictEqual(r.key().toString(), 'd');
  txn.rollback();
  assert.throws(() => r.next(), code('SKV_ECLOSED'));
});

test('scan: order, limit, stop, exceptions, no re-entry', async (t) => {
  const db = await fresh(t);
  await db.transaction((w) => { for (const k of ['a', 'b', 'c', 'd']) w.set(k, k); });
  const txn = db.begin();
  const seen = [];
  txn.scan('b', undefined, (k, v) => { seen.push(`${k}${v}`); });
  assert.deepStrictEqual(seen, ['bb', 'cc', 'dd']);
  seen.length = 0;
  txn.scan(null, null, { reverse: true, limit: 3 }, (k) => { seen.push(k.toString()); return k.toString() === 'c'; });
  assert.deepStrictEqual(seen, ['d', 'c']);
  assert.throws(() => txn.scan(null, null, () => { throw new Error('boom'); }), /boom/);
  assert.throws(() => txn.scan(null, null, () => { txn.get('a'); }), code('SKV_EBUSY'));
  assert.strictEqual(txn.get('a').toString(), 'a'); // usable again after the scan
});

test('options: C names and camelCase, typed values, errors naming the option', async (t) => {
  const dir = tmpdir(t);
  const db = await skv.open(path.join(dir, 'a'), {
    max_memtable_size: 1 << 20, blockSize: 8192, flushOnClose: false, compression: 'zstd', zstdLevel: 3n,
  });
  db.closeSync();
  assert.throws(() => new skv.Options({ no_such_option: 1 }), (e) => code('SKV_EINVAL')(e) && /no_such_option/.test(e.message));
  assert.throws(() => new skv.Options().set('block_size', 'big'), (e) => code('SKV_EINVAL')(e) && /block_size/.test(e.message));
  assert.throws(() => new skv.Options({ block_size: {} }), { code: 'ERR_INVALID_ARG_TYPE' });
  await assert.rejects(skv.open(path.join(dir, 'b'), { createIfMissing: false }), code('SKV_NOTFOUND'));
  const opts = new skv.Options().set('maxMemtableSize', 65536);
  const again = skv.openSync(path.join(dir, 'a'), opts);
  assert.strictEqual(again.path, path.join(dir, 'a'));
  again.closeSync();
});

test('database calls: properties, flush, compact, sync, lock, close', async (t) => {
  const dir = tmpdir(t);
  const db = await skv.open(path.join(dir, 'db'));
  await db.transaction((w) => w.set('k', 'v'));
  assert.strictEqual(db.property('sequence'), '1');
  await db.sync();
  await db.flush();
  assert.strictEqual(db.property('level-files').split(' ')[0], '1');
  await db.compact();
  db.flushSync();
  db.compactSync();
  db.syncSync();
  assert.match(db.property('stats'), /\n/);
  assert.throws(() => db.property('nope'), code('SKV_EINVAL'));
  await assert.rejects(skv.open(path.join(dir, 'db')), code('SKV_ELOCKED'));
  const live = db.begin();
  await db.close();
  assert.strictEqual(db.closed, true);
  await assert.rejects(db.close(), code('SKV_ECLOSED'));
  assert.throws(() => db.closeSync(), code('SKV_ECLOSED'));
  assert.throws(() => db.begin(), code('SKV_ECLOSED'));
  assert.throws(() => live.get('k'), code('SKV_ECLOSED'));
  await assert.rejects(db.flush(), code('SKV_ECLOSED'));
  assert.throws(() => db.property('stats'), code('SKV_ECLOSED'));
  const reopened = skv.openSync(path.join(dir, 'db'));
  assert.strictEqual(reopened.begin().get('k').toString(), 'v');
  reopened.closeSync();
});

test('db.transaction commits, rolls back on throw, reports conflicts', async (t) => {
  const db = await fresh(t);
  assert.strictEqual(await db.transaction((txn) => { txn.set('a', '1'); return 'done'; }), 'done');
  await assert.rejects(db.transaction(async (txn) => { txn.set('b', '1'); throw new Error('no'); }), /no/);
  assert.strictEqual(db.begin().get('b'), undefined);
  const value = await db.transaction((txn) => txn.get('a').toString(), { mode: 'readOnly' });
  assert.strictEqual(value, '1');
  await assert.rejects(db.transaction(async (txn) => {
    txn.set('a', 'mine');
    await db.transaction((other) => other.set('a', 'theirs'));
  }), code('SKV_ECONFLICT'));
  assert.strictEqual(db.begin().get('a').toString(), 'theirs');
});

test('library functions and the generated error table', () => {
  assert.strictEqual(skv.abiVersion(), 1);
  assert.match(skv.versionString(), /^\d+\.\d+\.\d+$/);
  assert.strictEqual(typeof skv.versionNumber(), 'number');
  for (const [name, value] of Object.entries(skv.errors)) {
    assert.strictEqual(skv.errname(value), name);
    assert.ok(skv.strerror(value).length > 0);
  }
  assert.strictEqual(skv.errname(12345), 'SKV_UNKNOWN');
  assert.strictEqual(skv.constants.SKV_TXN_READ_ONLY, 1);
  const e = new skv.SkvError('SKV_ECONFLICT');
  assert.strictEqual(e.errno, skv.errors.SKV_ECONFLICT);
  assert.strictEqual(skv.Error, skv.SkvError);
});
