#!/usr/bin/env node
// bench.js — skv from Node against lmdb-js (`lmdb`) and `classic-level` (LevelDB), in one
// run: get of an existing key, set+commit, a 1,000-entry range, and 10,000 concurrent async
// commits (skv: one transaction each, begin/set/await commit; lmdb-js: its put, which gathers
// the puts of a turn into one transaction; classic-level: put), then 10,000 concurrent
// db.put (skv's puts gathered per turn the same way), with skv/peer ratios. The peers are development dependencies of this directory
// only (`make bench-node`, or `npm install` here, then `node bench.js`).
//
//   node bench.js [--keys N] [--gets N] [--commits N] [--ranges N] [--concurrent N]
//                 [--dir DIR] [--json]
'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const skv = require('..');

function args() {
  const a = { keys: 100000, gets: 1000000, commits: 5000, ranges: 300, concurrent: 10000,
    dir: null, json: false };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i].replace(/^--/, '');
    if (name === 'json') a.json = true;
    else if (name in a) a[name] = name === 'dir' ? argv[++i] : Number(argv[++i]);
    else throw new Error(`bench: unknown argument ${argv[i]}`);
  }
  return a;
}

const A = args();
const ROOT = A.dir || fs.mkdtempSync(path.join(os.tmpdir(), 'skv-node-bench-'));
const VALUE = Buffer.alloc(100, 0x61);

function key(i) {
  return Buffer.from(`key${String(i).padStart(12, '0')}`); // 15 bytes, sorted by i
}

// A fixed pseudo-random order of existing keys, the same for every store.
function randomKeys(n, count) {
  let x = 2463534242;
  const out = new Array(count);
  for (let i = 0; i < count; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    out[i] = key(x % n);
  }
  return out;
}

function now() {
  return process.hrtime.bigint();
}

function nsSince(t0) {
  return Number(now() - t0);
}

// ---- the stores ------------------------------------------------------------------------------

async function openSkv(durability) {
  const db = await skv.open(path.join(ROOT, `skv-${durability}`));
  return {
    name: 'skv',
    async load(n) {
      for (let i = 0; i < n; i += 10000) {
        const t = db.begin({ mode: 'writeOnly' });
        for (let j = i; j < Math.min(n, i + 10000); j++) t.set(key(j), VALUE);
        await t.commit();
      }
    },
    getter() {
      const txn = db.begin({ mode: 'readOnly' });
      return (k) => txn.get(k);
    },
    async put(k) {
      const t = db.begin({ mode: 'writeOnly', durability });
      t.set(k, VALUE);
      await t.commit();
    },
    putAsync(k) {
      const t = db.begin({ mode: 'writeOnly', durability });
      t.set(k, VALUE);
      return t.commit();
    },
    putBatched: (k) => db.put(k, VALUE, { durability }),
    range(lo, n) {
      const txn = db.begin({ mode: 'readOnly' });
      let count = 0;
      for (const e of txn.range(lo, undefined, { limit: n })) count += e.length >> 1;
      txn.close();
      return count;
    },
    async rangeAsync(lo, n) {
      const txn = db.begin({ mode: 'readOnly' });
      let count = 0;
      for await (const e of txn.range(lo, undefined, { limit: n })) count += e.length >> 1;
      txn.close();
      return count;
    },
    close: () => db.close(),
  };
}

async function openLmdb(durable) {
  const { open } = require('lmdb');
  const db = open({ path: path.join(ROOT, `lmdb-${durable}`), encoding: 'binary', keyEncoding: 'binary',
    noSync: !durable, mapSize: 1 << 30 });
  return {
    name: 'lmdb',
    async load(n) {
      for (let i = 0; i < n; i += 10000) {
        await db.transaction(() => {
          for (let j = i; j < Math.min(n, i + 10000); j++) db.put(key(j), VALUE);
        });
      }
    },
    getter: () => (k) => db.get(k),
    put: (k) => db.put(k, VALUE),
    putAsync: (k) => db.put(k, VALUE),
    putBatched: (k) => db.put(k, VALUE),
    range(lo, n) {
      let count = 0;
      for (const e of db.getRange({ start: lo, limit: n })) count += e.key ? 1 : 0;
      return count;
    },
    close: () => db.close(),
  };
}

async function openLevel(durable) {
  const { ClassicLevel } = require('classic-level');
  const db = new ClassicLevel(path.join(ROOT, `level-${durable}`), { keyEncoding: 'buffer', valueEncoding: 'buffer' });
  await db.open();
  const opts = { sync: durable };
  return {
    name: 'classic-level',
    async load(n) {
      for (let i = 0; i < n; i += 10000) {
        const ops = [];
        for (let j = i; j < Math.min(n, i + 10000); j++) ops.push({ type: 'put', key: key(j), value: VALUE });
        await db.batch(ops);
      }
    },
    getter: () => (typeof db.getSync === 'function' ? (k) => db.getSync(k) : null),
    put: (k) => db.put(k, VALUE, opts),
    putAsync: (k) => db.put(k, VALUE, opts),
    putBatched: (k) => db.put(k, VALUE, opts),
    async rangeAsync(lo, n) {
      let count = 0;
      for await (const e of db.iterator({ gte: lo, limit: n })) count += e.length >> 1;
      return count;
    },
    close: () => db.close(),
  };
}

// ---- the workloads ---------------------------------------------------------------------------

function benchGet(store, keys) {
  const get = store.getter();
  if (!get) return null;
  for (let i = 0; i < Math.min(keys.length, 100000); i++) get(keys[i]); // warm up
  const t0 = now();
  let bytes = 0;
  for (const k of keys) bytes += get(k).length;
  const ns = nsSince(t0);
  if (bytes !== keys.length * VALUE.length) throw new Error(`${store.name}: a get missed`);
  return ns / keys.length;
}

async function benchPut(store, n, base) {
  const t0 = now();
  for (let i = 0; i < n; i++) await store.put(key(base + i));
  return nsSince(t0) / n;
}

async function benchConcurrent(store, n, base, batched) {
  const put = batched ? store.putBatched : store.putAsync;
  const t0 = now();
  const all = [];
  for (let i = 0; i < n; i++) all.push(put(key(base + i)));
  await Promise.all(all);
  return n / (nsSince(t0) / 1e9);
}

async function benchRange(store, n, reps, useAsync) {
  const fn = useAsync ? store.rangeAsync : store.range;
  if (!fn) return null;
  const starts = randomKeys(A.keys - n, reps);
  await fn(starts[0], n);
  const t0 = now();
  for (const lo of starts) {
    const got = await fn(lo, n);
    if (got !== n) throw new Error(`${store.name}: a range returned ${got} entries`);
  }
  return nsSince(t0) / reps;
}

// The best of ROUNDS (5, or SKV_BENCH_ROUNDS) measurements per store, the stores taking
// turns, so that a burst of load on a shared machine does not fall on one store only.
const ROUNDS = Number(process.env.SKV_BENCH_ROUNDS) || 5;
async function best(stores, measure, higherIsBetter = false) {
  const out = {};
  for (let r = 0; r < ROUNDS; r++) {
    for (const s of stores) {
      const v = await measure(s);
      if (v === null) out[s.name] = null;
      else if (higherIsBetter) out[s.name] = Math.max(out[s.name] ?? -Infinity, v);
      else out[s.name] = Math.min(out[s.name] ?? Infinity, v);
    }
  }
  return out;
}

// ---- the run ---------------------------------------------------------------------------------

function fmtNs(ns) {
  if (ns === null) return 'n/a';
  return ns >= 1e6 ? `${(ns / 1e6).toFixed(2)} ms` : ns >= 1e3 ? `${(ns / 1e3).toFixed(2)} us` : `${ns.toFixed(0)} ns`;
}

async function main() {
  const rows = [];
  const add = (workload, unit, values, lowerIsBetter) => rows.push({ workload, unit, values, lowerIsBetter });
  const keys = randomKeys(A.keys, A.gets);

  for (const durable of [false, true]) {
    const mode = durable ? 'durable' : 'eventual';
    const stores = [await openSkv(durable ? 'immediate' : 'eventual'), await openLmdb(durable),
      await openLevel(durable)];
    for (const s of stores) await s.load(A.keys);
    if (!durable) {
      add('get of an existing key (sync)', 'per call', await best(stores, (s) => benchGet(s, keys)), true);
      add('1,000-entry range (sync iteration)', 'per range',
        await best(stores, (s) => benchRange(s, 1000, A.ranges, false)), true);
      add('1,000-entry range (for await)', 'per range',
        await best(stores, (s) => benchRange(s, 1000, A.ranges, true)), true);
    }
    const commits = durable ? Math.min(A.commits, 1000) : A.commits;
    let base = A.keys;
    const next = (n) => { base += n; return base - n; };
    add(`set+commit, one at a time (${mode})`, 'per commit',
      await best(stores, (s) => benchPut(s, commits, next(commits))), true);
    add(`${A.concurrent} concurrent async commits (${mode})`, 'commits/s',
      await best(stores, (s) => benchConcurrent(s, A.concurrent, next(A.concurrent), false), true), false);
    add(`${A.concurrent} concurrent db.put (${mode})`, 'puts/s',
      await best(stores, (s) => benchConcurrent(s, A.concurrent, next(A.concurrent), true), true), false);
    for (const s of stores) await s.close();
  }

  if (A.json) {
    console.log(JSON.stringify({ node: process.version, args: A, rows }, null, 2));
  } else {
    console.log(`skv Node benchmark — node ${process.version}, ${os.cpus().length} CPUs, ${A.keys} keys of 15 bytes, values of 100 bytes`);
    console.log('eventual: skv eventual durability, lmdb noSync, classic-level sync:false; durable: skv immediate, lmdb sync, classic-level sync:true');
    console.log('async commits: skv one transaction per commit (begin, set, await commit); lmdb-js put gathers a turn\'s puts into one transaction');
    console.log('ratio = skv / peer for times, peer / skv for rates (below 1 means skv is faster)\n');
    const names = ['skv', 'lmdb', 'classic-level'];
    console.log(['workload'.padEnd(42), ...names.map((n) => n.padStart(14)), 'vs lmdb'.padStart(9), 'vs level'.padStart(9)].join(''));
    for (const r of rows) {
      const rate = r.unit.endsWith('/s');
      const cell = (n) => (rate ? (r.values[n] === null ? 'n/a' : `${Math.round(r.values[n])}/s`) : fmtNs(r.values[n]));
      const ratio = (n) => {
        const p = r.values[n], s = r.values.skv;
        if (p === null || p === undefined) return 'n/a';
        return (r.lowerIsBetter ? s / p : p / s).toFixed(2);
      };
      console.log([r.workload.padEnd(42), ...names.map((n) => cell(n).padStart(14)), ratio('lmdb').padStart(9), ratio('classic-level').padStart(9)].join(''));
    }
  }
  if (!A.dir) fs.rmSync(ROOT, { recursive: true, force: true });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
