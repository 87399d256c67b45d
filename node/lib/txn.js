// txn.js — skv.Txn: one transaction (snapshot isolation, first committer wins). Reads and
// writes are synchronous (they work on memory: the write set, memtables, cached or mapped
// table blocks); `await txn.commit()` is committed by the engine's commit pipeline off the
// event loop (skv_txn_commit_async), `txn.commitSync()` on this thread.
'use strict';

const native = require('./native');
const { fromScratch } = native;
const { iterFlags, durability, historyFlags, timestamp } = require('./args');
const { Cursor } = require('./cursor');
const { Range, History, checkLimit } = require('./range');

const U64_MAX = (1n << 64n) - 1n;

const ID = Symbol('skv.txn');

// A transaction dropped without being ended is rolled back and released when collected.
// Registering costs about as much as the rest of a short transaction, and most transactions
// end in the turn that began them: so the ones begun in a turn are held in `young` and
// registered at its end (a microtask), only if still open then. Until then `young` keeps
// them reachable, so none is collected unregistered.
const registry = new FinalizationRegistry((id) => native.txnRollback(id));
const STATE = Symbol('skv.txn.state');
const YOUNG = 0, REGISTERED = 1, ENDED = 2;
let young = null;

function registerYoung() {
  const list = young;
  young = null;
  for (const txn of list) {
    if (txn[STATE] !== YOUNG) continue;
    txn[STATE] = REGISTERED;
    registry.register(txn, txn[ID], txn);
  }
}

function track(txn) {
  if (young === null) {
    young = [];
    queueMicrotask(registerYoung);
  }
  young.push(txn);
}

// The transaction has ended: its handle is released, nothing is left to collect.
function untrack(txn) {
  if (txn[STATE] === REGISTERED) registry.unregister(txn);
  txn[STATE] = ENDED;
}

class Txn {
  constructor(id, db, mode) {
    this[ID] = id; // the addon's handle of the transaction
    this[STATE] = YOUNG;
    track(this);
    /** The database the transaction belongs to. */
    this.db = db;
    /** 'readWrite', 'readOnly' or 'writeOnly'. */
    this.mode = mode;
  }

  /** The value of key (its own writes first), or undefined when absent. */
  get(key) { return fromScratch(native.txnGet(this[ID], key)); }
  /**
   * The value of key as of timestamp ts (BigInt or Number, ns since the Unix epoch), or
   * undefined. Needs the enable_versioning option (else SKV_ENOTSUP).
   */
  getAt(key, ts) { return fromScratch(native.txnGetAt(this[ID], key, ts)); }
  /** Buffers key = value (empty values allowed); visible to others after commit. */
  set(key, value) { native.txnSet(this[ID], key, value); }
  /** set with an explicit version timestamp (ns since the Unix epoch, BigInt or Number). */
  setAt(key, value, timestamp) { native.txnSetAt(this[ID], key, value, timestamp); }
  /** Hard delete: the key and its history. */
  delete(key) { native.txnDelete(this[ID], key); }
  /** Soft delete: a tombstone version; older versions stay in the history. */
  softDelete(key) { native.txnSoftDelete(this[ID], key); }
  /** A value that supersedes every older version of key. */
  replace(key, value) { native.txnReplace(this[ID], key, value); }
  /** Pushes a savepoint (they nest). */
  savepoint() { native.txnSavepoint(this[ID]); }
  /** Drops the writes since the latest savepoint and pops it (SKV_ENOSAVEPOINT without one). */
  rollbackToSavepoint() { native.txnRollbackToSavepoint(this[ID]); }
  /** 'eventual' (default) or 'immediate' (the commit waits for fsync). */
  setDurability(value) { native.txnSetDurability(this[ID], durability(value)); }

  /**
   * Commits off the event loop; resolves when the writes are committed (durable first with
   * 'immediate'), rejects with SkvError (SKV_ECONFLICT, SKV_ERETRY...). The transaction has
   * ended either way.
   * @returns {Promise<void>}
   */
  commit() {
    try {
      const promise = native.txnCommit(this[ID]);
      untrack(this); // ended: the handle is released
      this.db._submitLater(); // queued: submitted with the rest of this turn's commits
      return promise;
    } catch (e) {
      return Promise.reject(e); // errors reject, never throw
    }
  }
  /** Commits on this thread (blocks it for the commit, and for fsync with 'immediate'). */
  commitSync() {
    try {
      native.txnCommitSync(this[ID]);
    } finally {
      untrack(this); // ended whatever the commit returned
    }
  }
  /** Discards the writes and ends the transaction; a no-op once it has ended. */
  rollback() {
    native.txnRollback(this[ID]);
    untrack(this);
  }
  /** Ends the transaction (rolling back if still open) and releases it now. */
  close() {
    native.txnRollback(this[ID]);
    untrack(this);
  }
  /** True once committed, rolled back or closed, or when the database was closed. */
  get ended() { return native.txnEnded(this[ID]); }

  /**
   * The entries of [lo, hi) (undefined = unbounded) as an iterable and async iterable of
   * [key, value]. options: reverse, limit, keysOnly (values are then empty).
   */
  range(lo, hi, options) { return new Range(this, lo, hi, options); }

  /** An explicit cursor over [lo, hi): first/last/next/prev/seek, key, value, readBatch. */
  cursor(lo, hi, options) {
    return new Cursor(this._cursorNative(lo, hi, iterFlags(options)), this);
  }

  /**
   * Calls fn(key, value) for each entry of [lo, hi) in order on this thread; a truthy return
   * stops the scan. options: reverse, limit, keysOnly.
   */
  scan(lo, hi, options, fn) {
    if (typeof options === 'function') [options, fn] = [undefined, options];
    native.txnScan(this[ID], lo, hi, iterFlags(options), options?.limit, fn);
  }

  /**
   * The versions of the keys of [lo, hi) as an iterable and async iterable of
   * {key, value, timestamp, kind}: keys ascending, each key's versions newest first.
   * options: tsFrom, tsTo (inclusive; default all), tombstones (soft deletes as versions of
   * kind 'softDelete'), limit (versions; 0 = all), reverse, keysOnly. Needs enable_versioning.
   */
  history(lo, hi, options) { return new History(this, lo, hi, options); }

  /** A cursor over the same versions, with version() for the current one's timestamp and kind. */
  historyCursor(lo, hi, options) { return this._historyCursor(lo, hi, options); }

  _historyCursor(lo, hi, options = {}) {
    const from = timestamp(options.tsFrom, 0n, 'tsFrom');
    const to = timestamp(options.tsTo, U64_MAX, 'tsTo');
    const limit = checkLimit(options.limit);
    const cursor = native.txnHistory(this[ID], lo, hi, from, to, historyFlags(options),
      limit === Infinity ? 0 : limit);
    return new Cursor(cursor, this, true);
  }

  _cursorNative(lo, hi, flags) { return native.txnCursor(this[ID], lo, hi, flags); }
}

if (Symbol.dispose) Txn.prototype[Symbol.dispose] = Txn.prototype.close;

module.exports = { Txn };
