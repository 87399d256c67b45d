// range.js — txn.range(lo, hi, options) and txn.history(lo, hi, options): the entries of
// [lo, hi), or their versions, as an iterable (for...of) and an async iterable (for
// await...of, each batch read off the event loop). Each iteration opens its own cursor when
// it starts, reads batches that grow from 16 to 1024 entries, and closes the cursor when it
// ends, also on break, return or throw.
'use strict';

const { iterFlags } = require('./args');
const { Cursor } = require('./cursor');

const FIRST_BATCH = 16;
const MAX_BATCH = 1024;
const MAX_BATCH_BYTES = 1 << 20;

function checkLimit(limit) {
  if (limit === undefined || limit === null || limit === 0) return Infinity;
  if (!Number.isSafeInteger(limit) || limit < 0) {
    const e = new RangeError('skv: limit must be a non-negative integer');
    e.code = 'ERR_OUT_OF_RANGE';
    throw e;
  }
  return limit;
}

// What Range and History share: iteration over the batches of a fresh cursor per loop.
class Batches {
  constructor(txn, lo, hi, limit) {
    this.txn = txn;
    this.lo = lo ?? undefined;
    this.hi = hi ?? undefined;
    this.limit = limit;
  }

  *[Symbol.iterator]() {
    const cursor = this._open();
    try {
      let left = this.limit;
      let batch = FIRST_BATCH;
      while (left > 0) {
        const entries = cursor.readBatch(Math.min(batch, left), MAX_BATCH_BYTES);
        if (entries.length === 0) return;
        for (const entry of entries) {
          yield entry;
          left--;
        }
        batch = Math.min(batch * 2, MAX_BATCH);
      }
    } finally {
      cursor.close();
    }
  }

  async *[Symbol.asyncIterator]() {
    const cursor = this._open();
    try {
      let left = this.limit;
      let batch = FIRST_BATCH;
      while (left > 0) {
        const entries = await cursor.readBatchAsync(Math.min(batch, left), MAX_BATCH_BYTES);
        if (entries.length === 0) return;
        for (const entry of entries) {
          yield entry;
          left--;
        }
        batch = Math.min(batch * 2, MAX_BATCH);
      }
    } finally {
      cursor.close();
    }
  }

  /** Every entry as an array (read on this thread). */
  toArray() {
    return Array.from(this);
  }
}

class Range extends Batches {
  constructor(txn, lo, hi, options = {}) {
    super(txn, lo, hi, checkLimit(options.limit));
    this.flags = iterFlags(options);
  }

  _open() {
    return new Cursor(this.txn._cursorNative(this.lo, this.hi, this.flags), this.txn);
  }
}

// The versions of [lo, hi): the engine applies the limit (it counts versions).
class History extends Batches {
  constructor(txn, lo, hi, options = {}) {
    super(txn, lo, hi, Infinity);
    this.options = options;
  }

  _open() {
    return this.txn._historyCursor(this.lo, this.hi, this.options);
  }
}

module.exports = { Range, History, checkLimit };
