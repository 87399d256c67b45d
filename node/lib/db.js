// db.js — skv.DB: an open database. Everything that waits for the disk returns a Promise
// and runs on the thread pool (close, flush, compact, sync); each has a *Sync twin for
// scripts. Beginning a transaction and reading a property are synchronous.
'use strict';

const args = require('./args');
const { Batches } = require('./batch');
const { Txn } = require('./txn');

const NATIVE = Symbol('skv.native');
const SUBMIT = Symbol('skv.submitScheduled');

function batchDurability(options) {
  const d = options?.durability;
  if (d === undefined) return 'eventual';
  args.durability(d); // throws for an unknown name
  return d;
}
const MODE_NAMES = ['readWrite', 'readOnly', 'writeOnly'];

class DB {
  constructor(native, path) {
    this[NATIVE] = native;
    /** The directory the database was opened from. */
    this.path = path;
    this._batches = new Batches(this);
    this[SUBMIT] = false;
  }

  /**
   * Writes key = value in the write-only transaction that gathers every db.put and
   * db.delete of this turn of the event loop (options.durability: 'eventual' or
   * 'immediate'); resolves when it is committed. Writes of one turn commit together.
   */
  put(key, value, options) {
    try {
      if (value === undefined) throw new TypeError('skv: db.put needs a value');
      return this._batches.write(batchDurability(options), key, value);
    } catch (e) {
      return Promise.reject(e); // errors reject, never throw
    }
  }

  /** A hard delete gathered like db.put. */
  delete(key, options) {
    try {
      return this._batches.write(batchDurability(options), key, undefined);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * Begins a transaction. options.mode: 'readWrite' (default), 'readOnly', 'writeOnly';
   * options.durability: 'eventual' (default) or 'immediate'.
   */
  begin(options = {}) {
    const mode = args.mode(options.mode);
    const id = this[NATIVE].begin(mode, args.durability(options.durability));
    return new Txn(id, this, MODE_NAMES[mode]);
  }

  /**
   * Runs fn(txn) in a transaction: commits when it returns (a read-only one is rolled back),
   * rolls back when it throws. Resolves to fn's result.
   */
  async transaction(fn, options = {}) {
    const txn = this.begin(options);
    try {
      const result = await fn(txn);
      if (txn.mode === 'readOnly' || txn.ended) txn.rollback();
      else await txn.commit();
      return result;
    } catch (e) {
      txn.rollback();
      throw e;
    } finally {
      txn.close();
    }
  }

  /**
   * Closes the database off the event loop: waits for pending commits, makes every commit
   * durable (flush_on_close), releases the directory. Resolves once every pending
   * `txn.commit()` promise has settled. Live transactions then answer SKV_ECLOSED.
   */
  async close() {
    this._batches.flushAll(); // this turn's puts commit first
    return this[NATIVE].closeAsync();
  }
  /** close on this thread; pending commit promises settle afterwards. */
  closeSync() {
    this._batches.flushAll();
    this[NATIVE].close();
  }
  /** True once close began. */
  get closed() { return this[NATIVE].closed(); }

  // Async commits of this turn wait in the addon's submit queue; at the end of the turn (a
  // microtask) one job on the thread pool hands them all to the engine (lib/txn.js).
  _submitLater() {
    if (this[SUBMIT]) return;
    this[SUBMIT] = true;
    queueMicrotask(() => {
      this[SUBMIT] = false;
      this[NATIVE].submit();
    });
  }

  /** Writes every memtable to table files and waits until they are in the manifest. */
  async flush() { return this[NATIVE].flushAsync(); }
  flushSync() { this[NATIVE].flush(); }
  /** Flushes, then compacts every table into the last level. */
  async compact() { return this[NATIVE].compactAsync(); }
  compactSync() { this[NATIVE].compact(); }
  /** fsyncs the write-ahead log: every commit so far becomes durable. */
  async sync() { return this[NATIVE].syncAsync(); }
  syncSync() { this[NATIVE].sync(); }

  /**
   * Writes a consistent copy of the database (as of this call) into dir, which must not exist
   * or be empty; the copy opens as a database of its own and is what restore takes.
   */
  async checkpoint(dir) { return this[NATIVE].checkpointAsync(String(dir)); }
  checkpointSync(dir) { this[NATIVE].checkpoint(String(dir)); }
  /**
   * Replaces the whole contents of the database with the checkpoint in dir (crash-safe).
   * Transactions and cursors begun before it answer SKV_ECLOSED afterwards.
   */
  async restore(dir) { return this[NATIVE].restoreAsync(String(dir)); }
  restoreSync(dir) { this[NATIVE].restore(String(dir)); }
  /**
   * Checks every checksum, key order and level invariant. Resolves to the report when
   * everything is intact; rejects with SkvError (SKV_ECORRUPT, SKV_EIO) whose `report` holds
   * the report when problems were found.
   */
  async check() { return this[NATIVE].checkAsync(); }
  checkSync() { return this[NATIVE].check(); }

  /** A property as text: 'stats', 'sequence', 'timestamp', 'level-files'... (README). */
  property(name) { return this[NATIVE].property(String(name)); }
}

if (Symbol.asyncDispose) {
  DB.prototype[Symbol.asyncDispose] = async function dispose() {
    if (!this.closed) await this.close();
  };
}

module.exports = { DB };
