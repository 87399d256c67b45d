// usage.ts — checked by tsc (test/types.test.js): the declarations accept the package's real
// use, and reject misuse (each @ts-expect-error line must be an error).
import skv = require('skv');

async function main(): Promise<void> {
  const db: skv.DB = await skv.open('/tmp/x', { max_memtable_size: 1 << 20, flushOnClose: true });
  const db2 = skv.openSync(new URL('file:///tmp/y'), new skv.Options({ compression: 'zstd' }));
  const txn = db.begin({ mode: 'readWrite', durability: 'immediate' });
  txn.set('k', Buffer.from('v'));
  txn.setAt(new Uint8Array([1]), 'v', 1700000000000000000n);
  const v: Buffer | undefined = txn.get('k');
  await txn.commit();
  const ro = db.begin({ mode: 'readOnly' });
  for (const [k, val] of ro.range('a', 'z', { limit: 10, reverse: true })) {
    const kb: Buffer = k;
    void kb, val;
  }
  for await (const [k] of ro.range(undefined, undefined, { keysOnly: true })) void k;
  const c: skv.Cursor = ro.cursor(null, 'm');
  const moved: boolean = c.first();
  const entries = c.readBatch(10, 0);
  const old: Buffer | undefined = ro.getAt('k', 1700000000000000000n);
  for (const ver of ro.history('a', 'b', { tsFrom: 0, tsTo: 10n ** 19n, tombstones: true, limit: 5 })) {
    const ts: bigint = ver.timestamp;
    const kind: skv.VersionKind = ver.kind;
    void ts, kind;
  }
  const hc = ro.historyCursor();
  if (hc.first()) void hc.version()?.timestamp;
  await db.checkpoint('/tmp/ck');
  const report: string = await db.check();
  const dirReport: string = skv.checkDirSync('/tmp/ck');
  void old, report, dirReport;
  c.close();
  ro.scan('a', null, { limit: 3 }, (key, value) => key.length > value.length);
  await db.put('k', 'v', { durability: 'immediate' });
  await db.delete(Buffer.from('k'));
  const n: number = await db.transaction(async (t) => { t.set('a', 'b'); return 1; });
  const sum: string = db.property('sequence');
  try {
    ro.commitSync();
  } catch (e) {
    if (e instanceof skv.Error) {
      const code: skv.ErrorCode = e.code;
      const errno: number = e.errno;
      void code, errno;
    }
  }
  const conflict: number = skv.errors.SKV_ECONFLICT;
  const name: string = skv.errname(conflict);
  await db.flush();
  await db.close();
  db2.closeSync();
  void v, moved, entries, n, sum, name;

  // @ts-expect-error: keys are bytes or strings
  txn.get(42);
  // @ts-expect-error: an unknown mode
  db.begin({ mode: 'readwrite' });
  // @ts-expect-error: commit resolves to nothing
  const bad: string = await txn.commit();
  // @ts-expect-error: not an error name
  const badCode: skv.ErrorCode = 'SKV_NOPE';
  void bad, badCode;
}

void main;
