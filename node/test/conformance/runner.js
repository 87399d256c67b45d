// runner.js — the Node runner of the shared conformance suite (tests/conformance/README.md):
// runs every case of the cases directory through the package's public API, one step as one
// call, and reports `ok`/`FAIL`/`skip` lines and `P passed, F failed, S skipped`.
'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const skv = require('../..');

const SCHEMA = 'skv-conformance/1';
const U64_MAX = (1n << 64n) - 1n;

class CaseError extends Error {} // a step failed: the message is the report text

// ---- byte strings, names, results --------------------------------------------------------

// A byte string of a case: text is passed as a JS string (the package encodes it as UTF-8),
// hex and repeat as Buffers.
function bytesArg(v) {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof v.hex === 'string') return Buffer.from(v.hex, 'hex');
  if (v && typeof v === 'object' && typeof v.repeat === 'string') {
    return Buffer.from(v.repeat.repeat(v.count), 'hex');
  }
  throw new CaseError(`bad byte string ${JSON.stringify(v)}`);
}

function bytesOf(v) {
  const a = bytesArg(v);
  return typeof a === 'string' ? Buffer.from(a, 'utf8') : a;
}

function show(buf) {
  if (buf === undefined) return 'nothing';
  const printable = /^[\x20-\x7e]*$/.test(buf.toString('latin1'));
  const text = printable ? JSON.stringify(buf.toString('latin1')) : `hex ${buf.toString('hex')}`;
  return text.length > 80 ? `${text.slice(0, 77)}... (${buf.length} bytes)` : text;
}

function sameBytes(got, want) {
  return Buffer.isBuffer(got) && got.equals(bytesOf(want));
}

// The error name of a call's outcome.
function nameOf(err) {
  if (err instanceof skv.SkvError) return err.code;
  throw err; // not an skv error: the runner or the package is broken
}

function expected(step) {
  const e = step.expect ?? 'SKV_OK';
  return Array.isArray(e) ? e : [e];
}

function checkName(step, got, what = 'expect') {
  const want = what === 'expect' ? expected(step) : step[what];
  const list = Array.isArray(want) ? want : [want];
  if (!list.includes(got)) throw new CaseError(`expected ${list.join(' or ')}, got ${got}`);
}

function u64(v, vars) {
  if (typeof v === 'number') return BigInt(v);
  if (typeof v === 'string' && /^\d+$/.test(v)) return BigInt(v);
  if (v && typeof v === 'object' && typeof v.var === 'string') {
    if (!vars.has(v.var)) throw new CaseError(`variable ${v.var} is not saved`);
    return vars.get(v.var) + BigInt(v.plus ?? 0) - BigInt(v.minus ?? 0);
  }
  throw new CaseError(`bad timestamp ${JSON.stringify(v)}`);
}

function camelMode(mode) {
  if (mode === undefined) return undefined;
  return { read_write: 'readWrite', read_only: 'readOnly', write_only: 'writeOnly' }[mode] ?? mode;
}

function iterOptions(flags = []) {
  return { reverse: flags.includes('reverse'), keysOnly: flags.includes('keys_only') };
}

function historyOptions(ctx, s) {
  return {
    ...iterOptions(s.flags),
    tombstones: (s.flags ?? []).includes('tombstones'),
    tsFrom: s.from === undefined ? undefined : u64(s.from, ctx.vars),
    tsTo: s.to === undefined ? undefined : u64(s.to, ctx.vars),
    limit: s.limit,
  };
}

const KIND_NAMES = { set: 'set', soft_delete: 'softDelete', replace: 'replace' };

// A version read ({key, value, timestamp, kind}) against an expected one of a case.
function versionDiffers(ctx, got, want) {
  if (!sameBytes(got.key, want.key)) return 'key';
  if (want.value !== undefined && !sameBytes(got.value, want.value)) return 'value';
  if (want.ts !== undefined && got.timestamp !== u64(want.ts, ctx.vars)) return 'ts';
  if (want.kind !== undefined && got.kind !== KIND_NAMES[want.kind]) return 'kind';
  return null;
}

function fmtVersions(list) {
  const parts = list.slice(0, 8).map((v) => `${show(v.key)}=${show(v.value)}@${v.timestamp}/${v.kind}`);
  return `[${parts.join(', ')}${list.length > 8 ? `, ... ${list.length} in all` : ''}]`;
}

function bounds(s) {
  return [s.lo === undefined ? undefined : bytesArg(s.lo), s.hi === undefined ? undefined : bytesArg(s.hi)];
}

// Lets every reaction of an already settled promise run: a commit whose promise settles
// here was settled inside the call (an engine callback is only delivered from the event
// loop, never during this microtask drain).
async function drainMicrotasks() {
  for (let i = 0; i < 4; i++) await Promise.resolve();
}

// ---- the state of one case -----------------------------------------------------------------

class Ctx {
  constructor(dir) {
    this.dir = dir;
    this.dbs = new Map(); // name -> {db, path, options, open}
    this.txns = new Map(); // name -> Txn
    this.iters = new Map(); // name -> Cursor
    this.commits = new Map(); // txn name -> [{promise, settled, status}] that returned SKV_OK
    this.vars = new Map();
  }

  db(step) {
    const d = this.dbs.get(step.db);
    if (!d) throw new CaseError(`db "${step.db}" is not bound`);
    return d;
  }

  txn(step) {
    const t = this.txns.get(step.txn);
    if (!t) throw new CaseError(`txn "${step.txn}" is not bound`);
    return t;
  }

  iter(step) {
    const it = this.iters.get(step.iter);
    if (!it) throw new CaseError(`iter "${step.iter}" is not bound`);
    return it;
  }

  dbPath(rel) {
    if (typeof rel !== 'string' || !rel || rel.split(/[\\/]/).includes('..')) {
      throw new CaseError(`bad path ${JSON.stringify(rel)}`);
    }
    return path.join(this.dir, rel);
  }
}

// Runs fn; returns the error name of its outcome and its result.
async function outcome(fn) {
  try {
    return { name: 'SKV_OK', value: await fn() };
  } catch (e) {
    if (e instanceof CaseError) throw e;
    return { name: nameOf(e) };
  }
}

async function call(step, fn) {
  const r = await outcome(fn);
  checkName(step, r.name);
  return r;
}

function compareEntry(step, key, value) {
  if (step.key !== undefined && !sameBytes(key, step.key)) {
    throw new CaseError(`expected key ${show(bytesOf(step.key))}, got ${show(key)}`);
  }
  if (step.value !== undefined && !sameBytes(value, step.value)) {
    throw new CaseError(`expected value ${show(bytesOf(step.value))}, got ${show(value)}`);
  }
}

function compareList(step, got) {
  if (step.entries !== undefined) {
    const want = step.entries;
    if (got.length !== want.length ||
        got.some(([k, v], i) => !sameBytes(k, want[i][0]) || !sameBytes(v, want[i][1]))) {
      throw new CaseError(`expected entries ${fmtEntries(want.map(([k, v]) => [bytesOf(k), bytesOf(v)]))}` +
        `, got ${fmtEntries(got)}`);
    }
  } else if (step.keys !== undefined) {
    const want = step.keys;
    if (got.length !== want.length || got.some(([k], i) => !sameBytes(k, want[i]))) {
      throw new CaseError(`expected keys ${fmtEntries(want.map((k) => [bytesOf(k)]))}` +
        `, got ${fmtEntries(got)}`);
    }
  }
}

function fmtEntries(list) {
  const parts = list.slice(0, 8).map((e) => e.map(show).join('='));
  return `[${parts.join(', ')}${list.length > 8 ? `, ... ${list.length} in all` : ''}]`;
}

async function openWith(ctx, step, dbPath, options) {
  return call(step, async () => {
    const opts = new skv.Options(); // option failures are the step's result
    for (const [name, value] of Object.entries(options ?? {})) opts.set(name, value);
    return skv.open(dbPath, opts);
  });
}

// ---- the ops ---------------------------------------------------------------------------------

const OPS = {
  async version(ctx, s) {
    const got = { abi: skv.abiVersion(), string: skv.versionString(), number: skv.versionNumber() };
    for (const k of ['abi', 'string', 'number']) {
      if (s[k] !== undefined && s[k] !== got[k]) {
        throw new CaseError(`expected ${k} ${s[k]}, got ${got[k]}`);
      }
    }
  },

  async errname(ctx, s) {
    if (s.code !== undefined) {
      const got = skv.errname(s.code);
      if (got !== s.name) throw new CaseError(`expected ${s.name}, got ${got}`);
      return;
    }
    const code = skv.errors[s.name];
    if (code === undefined) throw new CaseError(`expected a code for ${s.name}, got none`);
    const got = skv.errname(code);
    if (got !== s.name) throw new CaseError(`expected ${s.name}, got ${got}`);
    if (!skv.strerror(code)) throw new CaseError(`expected a text for ${s.name}, got ""`);
  },

  async options(ctx, s) {
    await call(s, () => {
      const opts = new skv.Options();
      for (const [name, value] of Object.entries(s.options ?? {})) opts.set(name, value);
    });
  },

  async open(ctx, s) {
    const prev = ctx.dbs.get(s.db);
    if (prev && prev.open) throw new CaseError(`db "${s.db}" is still open`);
    const dbPath = ctx.dbPath(s.path ?? s.db);
    const r = await openWith(ctx, s, dbPath, s.options);
    if (r.name === 'SKV_OK') ctx.dbs.set(s.db, { db: r.value, path: dbPath, options: s.options, open: true });
  },

  async close(ctx, s) {
    const d = ctx.db(s);
    await call(s, () => d.db.close());
    d.open = false;
  },

  async reopen(ctx, s) {
    const d = ctx.db(s);
    const closed = await outcome(() => d.db.close());
    d.open = false;
    if (closed.name !== 'SKV_OK') throw new CaseError(`expected close SKV_OK, got ${closed.name}`);
    const r = await openWith(ctx, s, d.path, d.options);
    if (r.name === 'SKV_OK') Object.assign(d, { db: r.value, open: true });
  },

  async sync(ctx, s) { await call(s, () => ctx.db(s).db.sync()); },
  async flush(ctx, s) { await call(s, () => ctx.db(s).db.flush()); },
  async compact(ctx, s) { await call(s, () => ctx.db(s).db.compact()); },

  async property(ctx, s) {
    const r = await call(s, () => ctx.db(s).db.property(s.name));
    if (r.name !== 'SKV_OK') return;
    const text = r.value;
    if (s.text !== undefined && text !== s.text) {
      throw new CaseError(`expected ${JSON.stringify(s.text)}, got ${JSON.stringify(text)}`);
    }
    const numeric = ['save', 'gt', 'ge', 'eq', 'min'].some((k) => s[k] !== undefined);
    if (s.text !== undefined || !numeric) return;
    if (!/^\d+$/.test(text) || BigInt(text) > U64_MAX) {
      throw new CaseError(`expected an unsigned integer, got ${JSON.stringify(text)}`);
    }
    const n = BigInt(text);
    const saved = (name) => {
      if (!ctx.vars.has(name)) throw new CaseError(`variable ${name} is not saved`);
      return ctx.vars.get(name);
    };
    if (s.gt !== undefined && !(n > saved(s.gt))) throw new CaseError(`expected > ${saved(s.gt)}, got ${n}`);
    if (s.ge !== undefined && !(n >= saved(s.ge))) throw new CaseError(`expected >= ${saved(s.ge)}, got ${n}`);
    if (s.eq !== undefined && n !== saved(s.eq)) throw new CaseError(`expected ${saved(s.eq)}, got ${n}`);
    if (s.min !== undefined && n < BigInt(s.min)) throw new CaseError(`expected at least ${s.min}, got ${n}`);
    if (s.save !== undefined) ctx.vars.set(s.save, n);
  },

  async begin(ctx, s) {
    if (ctx.txns.has(s.txn)) throw new CaseError(`txn "${s.txn}" is still bound`);
    const d = ctx.db(s);
    const r = await call(s, () => d.db.begin({ mode: camelMode(s.mode), durability: s.durability }));
    if (r.name === 'SKV_OK') ctx.txns.set(s.txn, r.value);
  },

  async set_durability(ctx, s) { await call(s, () => ctx.txn(s).setDurability(s.durability)); },
  async set(ctx, s) { await call(s, () => ctx.txn(s).set(bytesArg(s.key), bytesArg(s.value))); },
  async set_at(ctx, s) {
    await call(s, () => ctx.txn(s).setAt(bytesArg(s.key), bytesArg(s.value), u64(s.ts, ctx.vars)));
  },
  async delete(ctx, s) { await call(s, () => ctx.txn(s).delete(bytesArg(s.key))); },
  async soft_delete(ctx, s) { await call(s, () => ctx.txn(s).softDelete(bytesArg(s.key))); },
  async replace(ctx, s) { await call(s, () => ctx.txn(s).replace(bytesArg(s.key), bytesArg(s.value))); },

  async get(ctx, s) {
    const r = await outcome(() => ctx.txn(s).get(bytesArg(s.key)));
    const name = r.name === 'SKV_OK' && r.value === undefined ? 'SKV_NOTFOUND' : r.name;
    checkName(s, name);
    if (name === 'SKV_OK') compareEntry({ value: s.value }, undefined, r.value);
  },

  async savepoint(ctx, s) { await call(s, () => ctx.txn(s).savepoint()); },
  async rollback_to_savepoint(ctx, s) { await call(s, () => ctx.txn(s).rollbackToSavepoint()); },
  async commit(ctx, s) { await call(s, () => ctx.txn(s).commitSync()); },
  async rollback(ctx, s) { await call(s, () => ctx.txn(s).rollback()); },

  async commit_async(ctx, s) {
    const txn = ctx.txn(s);
    const rec = { settled: 0, status: undefined, promise: undefined };
    rec.promise = txn.commit().then(
      () => { rec.settled++; rec.status = 'SKV_OK'; },
      (e) => { rec.settled++; rec.status = nameOf(e); });
    await drainMicrotasks();
    if (rec.settled) { // settled inside the call: its immediate result
      if (rec.status === 'SKV_OK') throw new CaseError('expected no callback inside commit_async, got one');
      checkName(s, rec.status);
      return;
    }
    checkName(s, 'SKV_OK');
    if (!ctx.commits.has(s.txn)) ctx.commits.set(s.txn, []);
    ctx.commits.get(s.txn).push(rec);
  },

  async await_commit(ctx, s) {
    const list = ctx.commits.get(s.txn);
    if (!list || !list.length) throw new CaseError('expected a commit_async that returned SKV_OK, got none');
    const rec = list[list.length - 1];
    const timeout = s.timeout_ms ?? 10000;
    await drainMicrotasks();
    if (!rec.settled && timeout > 0) {
      let timer;
      await Promise.race([rec.promise, new Promise((r) => { timer = setTimeout(r, timeout); })]);
      clearTimeout(timer);
    }
    if (!rec.settled) throw new CaseError('expected callback, got timeout');
    if (rec.settled !== 1) throw new CaseError(`expected one callback, got ${rec.settled}`);
    const want = s.status ?? 'SKV_OK';
    checkName({ expect: want }, rec.status);
  },

  async txn_free(ctx, s) {
    ctx.txn(s).close();
    ctx.txns.delete(s.txn);
  },

  async iter_open(ctx, s) {
    if (ctx.iters.has(s.iter)) throw new CaseError(`iter "${s.iter}" is still bound`);
    const txn = ctx.txn(s);
    const lo = s.lo === undefined ? undefined : bytesArg(s.lo);
    const hi = s.hi === undefined ? undefined : bytesArg(s.hi);
    const r = await call(s, () => txn.cursor(lo, hi, iterOptions(s.flags)));
    if (r.name === 'SKV_OK') ctx.iters.set(s.iter, r.value);
  },

  async iter_first(ctx, s) { await position(ctx, s, (c) => c.first()); },
  async iter_last(ctx, s) { await position(ctx, s, (c) => c.last()); },
  async iter_next(ctx, s) { await position(ctx, s, (c) => c.next()); },
  async iter_prev(ctx, s) { await position(ctx, s, (c) => c.prev()); },
  async iter_seek(ctx, s) { await position(ctx, s, (c) => c.seek(bytesArg(s.target))); },

  async iter_key(ctx, s) {
    const r = await outcome(() => ctx.iter(s).key());
    const name = r.name === 'SKV_OK' && r.value === undefined ? 'SKV_NOTFOUND' : r.name;
    checkName(s, name);
    if (name === 'SKV_OK') compareEntry({ key: s.key }, r.value, undefined);
  },

  async iter_value(ctx, s) {
    const r = await outcome(() => ctx.iter(s).value());
    const name = r.name === 'SKV_OK' && r.value === undefined ? 'SKV_NOTFOUND' : r.name;
    checkName(s, name);
    if (name === 'SKV_OK') compareEntry({ value: s.value }, undefined, r.value);
  },

  async collect(ctx, s) {
    const cursor = ctx.iter(s);
    const got = [];
    const r = await call(s, () => {
      for (;;) {
        const batch = cursor.readBatch(s.batch ?? 2, s.batch_bytes ?? 0);
        if (batch.length === 0) return;
        for (const e of batch) got.push(Array.isArray(e) ? e : [e.key, e.value]);
      }
    });
    if (r.name === 'SKV_OK') compareList(s, got);
  },

  async iter_free(ctx, s) {
    ctx.iter(s).close();
    ctx.iters.delete(s.iter);
  },

  async get_at(ctx, s) {
    const r = await outcome(() => ctx.txn(s).getAt(bytesArg(s.key), u64(s.ts, ctx.vars)));
    const name = r.name === 'SKV_OK' && r.value === undefined ? 'SKV_NOTFOUND' : r.name;
    checkName(s, name);
    if (name === 'SKV_OK') compareEntry({ value: s.value }, undefined, r.value);
  },

  async history(ctx, s) {
    const txn = ctx.txn(s);
    const [lo, hi] = bounds(s);
    const r = await call(s, () => Array.from(txn.history(lo, hi, historyOptions(ctx, s))));
    if (r.name !== 'SKV_OK') return;
    const got = r.value, want = s.entries ?? [];
    const bad = got.length !== want.length ? 'length' : got.map((v, i) => versionDiffers(ctx, v, want[i])).find((d) => d);
    if (bad) {
      const fmtWant = want.map((w) => ({ key: bytesOf(w.key), value: w.value === undefined ? undefined : bytesOf(w.value),
        timestamp: w.ts === undefined ? '?' : u64(w.ts, ctx.vars), kind: w.kind ?? '?' }));
      throw new CaseError(`expected versions ${fmtVersions(fmtWant)}, got ${fmtVersions(got)}`);
    }
  },

  async history_open(ctx, s) {
    if (ctx.iters.has(s.iter)) throw new CaseError(`iter "${s.iter}" is still bound`);
    const txn = ctx.txn(s);
    const [lo, hi] = bounds(s);
    const r = await call(s, () => txn.historyCursor(lo, hi, historyOptions(ctx, s)));
    if (r.name === 'SKV_OK') ctx.iters.set(s.iter, r.value);
  },

  async iter_version(ctx, s) {
    const r = await outcome(() => ctx.iter(s).version());
    const name = r.name === 'SKV_OK' && r.value === undefined ? 'SKV_NOTFOUND' : r.name;
    checkName(s, name);
    if (name !== 'SKV_OK') return;
    if (s.ts !== undefined && r.value.timestamp !== u64(s.ts, ctx.vars)) {
      throw new CaseError(`expected ts ${u64(s.ts, ctx.vars)}, got ${r.value.timestamp}`);
    }
    if (s.kind !== undefined && r.value.kind !== KIND_NAMES[s.kind]) {
      throw new CaseError(`expected kind ${s.kind}, got ${r.value.kind}`);
    }
  },

  async checkpoint(ctx, s) { await call(s, () => ctx.db(s).db.checkpoint(ctx.dbPath(s.dir))); },
  async restore(ctx, s) { await call(s, () => ctx.db(s).db.restore(ctx.dbPath(s.dir))); },

  async check(ctx, s) {
    let report;
    const r = await call(s, async () => {
      try {
        report = s.db !== undefined ? await ctx.db(s).db.check() : await skv.checkDir(ctx.dbPath(s.path));
      } catch (e) {
        report = e.report;
        throw e;
      }
    });
    void r;
    if (s.report_has !== undefined && !(report ?? '').includes(s.report_has)) {
      throw new CaseError(`expected a report with ${JSON.stringify(s.report_has)}, got ${JSON.stringify(report ?? null)}`);
    }
  },

  async scan(ctx, s) {
    const txn = ctx.txn(s);
    const got = [];
    const lo = s.lo === undefined ? undefined : bytesArg(s.lo);
    const hi = s.hi === undefined ? undefined : bytesArg(s.hi);
    const r = await call(s, () => txn.scan(lo, hi, { ...iterOptions(s.flags), limit: s.limit }, (k, v) => {
      got.push([k, v]);
      return s.stop_after !== undefined && got.length >= s.stop_after;
    }));
    if (r.name === 'SKV_OK') compareList(s, got);
  },
};

async function position(ctx, s, move) {
  const cursor = ctx.iter(s);
  const r = await outcome(() => move(cursor));
  const name = r.name === 'SKV_OK' && r.value === false ? 'SKV_NOTFOUND' : r.name;
  checkName(s, name);
  if (name !== 'SKV_OK' || (s.key === undefined && s.value === undefined)) return;
  const key = s.key !== undefined ? cursor.key() : undefined;
  const value = s.value !== undefined ? cursor.value() : undefined;
  if (s.key !== undefined && key === undefined) throw new CaseError('expected a key, got SKV_NOTFOUND');
  if (s.value !== undefined && value === undefined) throw new CaseError('expected a value, got SKV_NOTFOUND');
  compareEntry(s, key, value);
}

// ---- cases, files, skip lists ---------------------------------------------------------------

async function cleanup(ctx) {
  for (const c of ctx.iters.values()) c.close();
  ctx.iters.clear();
  for (const t of ctx.txns.values()) t.close();
  ctx.txns.clear();
  for (const d of ctx.dbs.values()) {
    if (d.open) {
      d.open = false;
      await d.db.close();
    }
  }
  await drainMicrotasks();
  for (const list of ctx.commits.values()) {
    for (const rec of list) {
      if (rec.settled !== 1) throw new CaseError(`expected one callback per commit_async, got ${rec.settled}`);
    }
  }
}

// Runs one case: null when it passed, else the FAIL text after the id.
async function runCase(c) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skv-node-conformance-'));
  const ctx = new Ctx(dir);
  let failure = null;
  let n = 0;
  try {
    for (const step of c.steps) {
      n++;
      const op = OPS[step.op];
      try {
        if (!op) throw new CaseError(`unknown op "${step.op}"`);
        await op(ctx, step);
      } catch (e) {
        const msg = e instanceof CaseError ? e.message : `exception ${e && e.stack || e}`;
        failure = `step ${n} (${step.op}): ${msg}`;
        break;
      }
    }
  } finally {
    try {
      await cleanup(ctx);
    } catch (e) {
      const msg = e instanceof CaseError ? e.message : `exception ${e && e.stack || e}`;
      failure = failure ?? `step cleanup: ${msg}`;
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return failure;
}

function listCaseFiles(dir) {
  const out = [];
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.json')) out.push(path.relative(dir, p));
    }
  };
  walk(dir);
  return out.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

// Every case of the suite, in order: {id, case} or {file, error} for a file that cannot be read.
function loadSuite(casesDir) {
  const out = [];
  const ids = new Set();
  for (const rel of listCaseFiles(casesDir)) {
    let doc;
    try {
      doc = JSON.parse(fs.readFileSync(path.join(casesDir, rel), 'utf8'));
      if (doc.schema !== SCHEMA) throw new Error(`schema is ${JSON.stringify(doc.schema)}, not ${SCHEMA}`);
      if (!Array.isArray(doc.cases)) throw new Error('no cases array');
    } catch (e) {
      out.push({ file: rel, error: e.message });
      continue;
    }
    for (const c of doc.cases) {
      if (ids.has(c.id)) {
        out.push({ file: rel, error: `duplicate case id ${c.id}` });
        continue;
      }
      ids.add(c.id);
      out.push({ id: c.id, case: c });
    }
  }
  return out;
}

function loadSkips(file) {
  const skips = new Map();
  if (!file || !fs.existsSync(file)) return skips;
  for (const raw of fs.readFileSync(file, 'utf8').split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^(\S+)\s+(\S.*)$/.exec(line);
    if (!m) throw new Error(`${file}: "${line}" has no reason`);
    skips.set(m[1], m[2]);
  }
  return skips;
}

const REPO = path.resolve(__dirname, '..', '..', '..');
const DEFAULT_CASES = path.join(REPO, 'tests', 'conformance', 'cases');
const DEFAULT_SKIP = path.join(REPO, 'tests', 'conformance', 'skip', 'node.txt');

// Runs the suite, printing the report through `print`; returns the counts and ok = the
// README's pass rule.
async function runSuite({ casesDir = DEFAULT_CASES, skipFile = DEFAULT_SKIP, print = console.log } = {}) {
  const suite = loadSuite(casesDir);
  const skips = loadSkips(skipFile);
  let passed = 0, failed = 0, skipped = 0, cases = 0;
  for (const item of suite) {
    if (item.error) {
      print(`FAIL ${item.file}: ${item.error}`);
      failed++;
      continue;
    }
    cases++;
    if (skips.has(item.id)) {
      print(`skip ${item.id}: ${skips.get(item.id)}`);
      skipped++;
      continue;
    }
    const failure = await runCase(item.case);
    if (failure) {
      print(`FAIL ${item.id}: ${failure}`);
      failed++;
    } else {
      print(`ok ${item.id}`);
      passed++;
    }
  }
  print(`${passed} passed, ${failed} failed, ${skipped} skipped`);
  return { passed, failed, skipped, cases, ok: failed === 0 && passed >= cases - skips.size };
}

module.exports = { runSuite, runCase, loadSuite, loadSkips, DEFAULT_CASES, DEFAULT_SKIP };

if (require.main === module) {
  const [casesDir, skipFile] = process.argv.slice(2);
  runSuite({ casesDir: casesDir || DEFAULT_CASES, skipFile: skipFile || DEFAULT_SKIP })
    .then((r) => { process.exitCode = r.ok ? 0 : 1; })
    .catch((e) => { console.error(e); process.exitCode = 1; });
}
