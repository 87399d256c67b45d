// cursor.js — skv.Cursor: an explicit iterator over a transaction's view (skv_iter_*):
// positioning calls that return whether they landed on an entry, the current key and value,
// and batched reads (skv_iter_read_batch) on this thread or off the event loop.
'use strict';

const { CONSTANTS: C } = require('./constants');

const NATIVE = Symbol('skv.native');

// SKV_KIND_* -> the kind names of history entries
const KINDS = {
  [C.SKV_KIND_SET]: 'set',
  [C.SKV_KIND_SOFT_DELETE]: 'softDelete',
  [C.SKV_KIND_REPLACE]: 'replace',
};

function kindName(kind) {
  return KINDS[kind] ?? `unknown(${kind})`;
}

// One batch Buffer (entries of [klen u32 LE][vlen u32 LE][key][value]) -> [[key, value]...].
// Each key and value is a Buffer of its own (a copy), so keeping one keeps no batch alive.
function decodeEntries(buf) {
  const out = [];
  let off = 0;
  while (off < buf.length) {
    const klen = buf.readUInt32LE(off);
    const vlen = buf.readUInt32LE(off + 4);
    off += 8;
    const key = Buffer.from(buf.subarray(off, off + klen));
    off += klen;
    const value = Buffer.from(buf.subarray(off, off + vlen));
    off += vlen;
    out.push([key, value]);
  }
  return out;
}

// A history batch ([klen u32][vlen u32][kind u32][ts u64][key][value] each) -> entries
// {key, value, timestamp, kind}.
function decodeVersions(buf) {
  const out = [];
  let off = 0;
  while (off < buf.length) {
    const klen = buf.readUInt32LE(off);
    const vlen = buf.readUInt32LE(off + 4);
    const kind = kindName(buf.readUInt32LE(off + 8));
    const timestamp = buf.readBigUInt64LE(off + 12);
    off += 20;
    const key = Buffer.from(buf.subarray(off, off + klen));
    off += klen;
    const value = Buffer.from(buf.subarray(off, off + vlen));
    off += vlen;
    out.push({ key, value, timestamp, kind });
  }
  return out;
}

class Cursor {
  constructor(native, txn, history = false) {
    this[NATIVE] = native;
    /** The transaction the cursor reads. */
    this.txn = txn;
    /** True for a cursor over versions (txn.historyCursor). */
    this.history = history;
  }

  /** Moves to the first entry in iteration order; false when the range is empty. */
  first() { return this[NATIVE].first(); }
  /** Moves to the last entry in iteration order; false when the range is empty. */
  last() { return this[NATIVE].last(); }
  /** Moves to the next entry (the first when unpositioned); false past the end. */
  next() { return this[NATIVE].next(); }
  /** Moves to the previous entry (the last when unpositioned); false past the start. */
  prev() { return this[NATIVE].prev(); }
  /** Moves to the first entry at or after key in iteration order; false when there is none. */
  seek(key) { return this[NATIVE].seek(key); }
  /** The current key, or undefined when the cursor is not on an entry. */
  key() { return this[NATIVE].key(); }
  /** The current value (empty with keysOnly), or undefined when not on an entry. */
  value() { return this[NATIVE].value(); }

  /**
   * The timestamp (BigInt, ns since the Unix epoch; 0n for the transaction's own write
   * without one) and kind ('set', 'softDelete', 'replace') of the version a history cursor
   * stands on; undefined when not on one. SKV_EINVAL on a plain cursor.
   */
  version() {
    const v = this[NATIVE].version();
    return v === undefined ? undefined : { timestamp: v[0], kind: kindName(v[1]) };
  }

  /**
   * The entries from the current one on (from the first when unpositioned), at most
   * maxEntries of them or until maxBytes are taken (0: no limit; at least one entry); the
   * cursor then stands after them. An empty array at the end. Entries are [key, value], or
   * {key, value, timestamp, kind} for a history cursor.
   */
  readBatch(maxEntries = 0, maxBytes = 0) {
    return this._decode(this[NATIVE].readBatch(maxEntries, maxBytes));
  }

  /** readBatch on the thread pool: the event loop keeps running meanwhile. */
  async readBatchAsync(maxEntries = 0, maxBytes = 0) {
    return this._decode(await this[NATIVE].readBatchAsync(maxEntries, maxBytes));
  }

  _decode(buf) {
    if (buf === undefined) return [];
    return this.history ? decodeVersions(buf) : decodeEntries(buf);
  }

  /** Releases the cursor now (skv_iter_free); later calls answer SKV_ECLOSED. */
  close() { this[NATIVE].close(); }
}

if (Symbol.dispose) Cursor.prototype[Symbol.dispose] = Cursor.prototype.close;

module.exports = { Cursor, decodeEntries, decodeVersions, NATIVE };
