// txn.js — skv.Txn: one transaction (snapshot isolation, first committer wins). Reads and
// writes are synchronous (they work on memory: the write set, memtables, cached or mapped
// table blocks); `await txn.commit()` is committed by the engine's commit pipeline off the
// event loop (skv_txn_commit_async), `txn.commitSync()` on this thread.
'use strict';

const { fromScratch } = require('./native');
const { iterFlags, durability, historyFlags, timestamp } = require('./args');
const { Cursor } = require('./cursor');
const { Range, History, checkLimit } = require('./range');

const U64_MAX = (1n << 64n) - 1n;

const NATIVE = Symbol('skv.native');

class Txn {
  constructor(native, db, mode) {
    this[NATIVE] = native;
    /** The database the transaction belongs to. */
    this.db = db;
    /** 'readWrite', 'readOnly' or 'writeOnly'. */
    this.mode = mode;
  }

  /** The value of key (its own writes first), or undefined when absent. */
  get(key) { return fromScratch(this[NATIVE].get(key)); }
  /**
   * The value of key as of timestamp ts (BigInt or Number, ns since the Unix epoch), or
   * undefined. Needs the enable_versioning option (else SKV_ENOTSUP).
   */
  getAt(key, ts) { return fromScratch(this[NATIVE].getAt(key, ts)); }
  /** Buffers key = value (empty values allowed); visible to others after commit. */
  set(key, value) { this[NATIVE].set(key, value); }
  /** set with an explicit version timestamp (ns since the Unix epoch, BigInt or Number). */
  setAt(key, value, timestamp) { this[NATIVE].setAt(key, value, timestamp); }
  /** Hard delete: the key and its history. */
  delete(key) { this[NATIVE].delete(key); }
  /** Soft delete: a tombstone version; older versions stay in the history. */
  softDelete(key) { this[NATIVE].softDelete(key); }
  /** A value that supersedes every older version of key. */
  replace(key, value) { this[NATIVE].replace(key, value); }
  /** Pushes a savepoint (they nest). */
  savepoint() { this[NATIVE].savepoint(); }
  /** Drops the writes since the latest savepoint and pops it (SKV_ENOSAVEPOINT without one). */
  rollbackToSavepoint() { this[NATIVE].rollbackToSavepoint(); }
  /** 'eventual' (default) or 'immediate' (the commit waits for fsync). */
  setDurability(value) { this[NATIVE].setDurability(durability(value)); }

  /**
   * Commits off the event loop; resolves when the writes are committed (durable first with
   * 'immediate'), rejects with SkvError (SKV_ECONFLICT, SKV_ERETRY...). The transaction has
   * ended either way.
   * @returns {Promise<void>}
   */
  commit() {
    try {
      return this[NATIVE].commit();
    } catch (e) {
      return Promise.reject(e); // errors reject, never throw
    }
  }
  /** Commits on this thread (blocks it for the commit, and for fsync with 'immediate'). */
  commitSync() { this[NATIVE].commitSync(); }
  /** Discards the writes and ends the transaction; a no-op once it has ended. */
  rollback() { this[NATIVE].rollback(); }
  /** Ends the transaction (rolling back if still open) and releases it now. */
  close() { this[NATIVE].free(); }
  /** True once committed, rolled back or closed, or when the database was closed. */
  get ended() { return this[NATIVE].ended(); }

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
    this[NATIVE].scan(lo, hi, iterFlags(options), options?.limit, fn);
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
    const native = this[NATIVE].history(lo, hi, from, to, historyFlags(options),
      limit === Infinity ? 0 : limit);
    return new Cursor(native, this, true);
  }

  _cursorNative(lo, hi, flags) { return this[NATIVE].cursor(lo, hi, flags); }
}

if (Symbol.dispose) Txn.prototype[Symbol.dispose] = Txn.prototype.close;

module.exports = { Txn };
