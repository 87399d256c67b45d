// history.test.js — time travel (getAt, history, history cursors) and checkpoints, restore
// and the integrity check from Node.
'use strict';

const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const skv = require('..');
const { tmpdir } = require('./helpers');

test('getAt and history with timestamps, kinds, tombstones and limits', async (t) => {
  const db = await skv.open(path.join(tmpdir(t), 'db'), { enableVersioning: true });
  t.after(() => db.closeSync());
  await db.transaction((w) => { w.setAt('k', 'v1', 100n); w.setAt('j', 'j1', 100); });
  await db.transaction((w) => w.setAt('k', 'v2', 200n));
  await db.transaction((w) => w.softDelete('k'));
  const now = BigInt(db.property('timestamp'));
  const r = db.begin({ mode: 'readOnly' });
  assert.strictEqual(r.getAt('k', 150).toString(), 'v1');
  assert.strictEqual(r.getAt('k', 200n).toString(), 'v2');
  assert.strictEqual(r.getAt('k', 99), undefined);
  assert.strictEqual(r.getAt('k', now), undefined);
  assert.strictEqual(r.get('k'), undefined);

  const versions = r.history('k', 'l').toArray();
  assert.deepStrictEqual(versions.map((v) => [v.value.toString(), v.timestamp, v.kind]),
    [['v2', 200n, 'set'], ['v1', 100n, 'set']]);
  const withTombstones = [];
  for await (const v of r.history(undefined, undefined, { tombstones: true })) withTombstones.push(`${v.key}:${v.kind}@${v.timestamp}`);
  assert.deepStrictEqual(withTombstones, ['j:set@100', `k:softDelete@${now}`, 'k:set@200', 'k:set@100']);
  // reverse: keys descending, each key's versions oldest first; the limit counts versions
  assert.deepStrictEqual(r.history(null, null, { limit: 2, reverse: true }).toArray().map((v) => `${v.key}@${v.timestamp}`),
    ['k@100', 'k@200']);
  assert.deepStrictEqual(r.history('k', 'l', { tsFrom: 150, tsTo: 250n }).toArray().map((v) => v.timestamp), [200n]);

  const c = r.historyCursor('k', 'l');
  assert.strictEqual(c.version(), undefined);
  assert.strictEqual(c.first(), true);
  assert.deepStrictEqual(c.version(), { timestamp: 200n, kind: 'set' });
  assert.deepStrictEqual(c.readBatch(10).map((v) => v.value.toString()), ['v2', 'v1']);
  c.close();
  assert.throws(() => r.cursor().version(), { code: 'SKV_EINVAL' });
  assert.throws(() => r.history(null, null, { tsFrom: 5, tsTo: 4 }).toArray(), { code: 'SKV_EINVAL' });
});

test('time travel needs enable_versioning', async (t) => {
  const db = await skv.open(path.join(tmpdir(t), 'db'));
  t.after(() => db.closeSync());
  assert.throws(() => db.begin().getAt('k', 1), { code: 'SKV_ENOTSUP' });
  assert.throws(() => db.begin().history().toArray(), { code: 'SKV_ENOTSUP' });
});

test('checkpoint, restore and check', async (t) => {
  const dir = tmpdir(t);
  const db = await skv.open(path.join(dir, 'db'));
  await db.transaction((w) => { w.set('a', '1'); w.set('b', '1'); });
  await db.flush();
  await db.checkpoint(path.join(dir, 'ck'));
  db.checkpointSync(path.join(dir, 'ck2'));
  await db.transaction((w) => { w.set('a', '2'); w.delete('b'); });
  const before = db.begin();
  await db.restore(path.join(dir, 'ck'));
  assert.throws(() => before.get('a'), { code: 'SKV_ECLOSED' });
  const after = db.begin();
  assert.strictEqual(after.get('a').toString(), '1');
  assert.strictEqual(after.get('b').toString(), '1');
  db.restoreSync(path.join(dir, 'ck2'));
  assert.match(await db.check(), /clean, 0 problems/);
  assert.match(db.checkSync(), /clean/);
  await assert.rejects(db.checkpoint(path.join(dir, 'nope', 'ck')), { code: 'SKV_NOTFOUND' });
  await assert.rejects(db.restore(path.join(dir, 'nothere')), { code: 'SKV_NOTFOUND' });
  await db.close();
  await assert.rejects(db.check(), { code: 'SKV_ECLOSED' });

  assert.match(await skv.checkDir(path.join(dir, 'ck')), /clean, 0 problems/);
  assert.match(skv.checkDirSync(path.join(dir, 'db')), /clean/);
  // a damaged table: the check rejects with the report
  const ck = path.join(dir, 'ck');
  const table = fs.readdirSync(ck).find((f) => f.endsWith('.sst'));
  const bytes = fs.readFileSync(path.join(ck, table));
  bytes[10] ^= 0xff;
  fs.writeFileSync(path.join(ck, table), bytes);
  await assert.rejects(skv.checkDir(ck), (e) => e.code === 'SKV_ECORRUPT' && /problem/.test(e.report));
  await assert.rejects(skv.checkDir(path.join(dir, 'missing')), (e) => e.code === 'SKV_NOTFOUND' && e.report === undefined);
});
