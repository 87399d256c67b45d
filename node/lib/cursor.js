// cursor.js — skv.Cursor: an explicit iterator over a transaction's view (skv_iter_*):
// positioning calls that return whether they landed on an entry, the current key and value,
// and batched reads (skv_iter_read_batch) on this thread or off the event loop.
'use strict';

const NATIVE = Symbol('skv.native');

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

class Cursor {
  constructor(native, txn) {
    this[NATIVE] = native;
    /** The transaction the cursor reads. */
    this.txn = txn;
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
   * The entries from the current one on (from the first when unpositioned), at most
   * maxEntries of them or until maxBytes are taken (0: no limit; at least one entry); the
   * cursor then stands after them. An empty array at the end.
   */
  readBatch(maxEntries = 0, maxBytes = 0) {
    const buf = this[NATIVE].readBatch(maxEntries, maxBytes);
    return buf === undefined ? [] : decodeEntries(buf);
  }

  /** readBatch on the thread pool: the event loop keeps running meanwhile. */
  async readBatchAsync(maxEntries = 0, maxBytes = 0) {
    const buf = await this[NATIVE].readBatchAsync(maxEntries, maxBytes);
    return buf === undefined ? [] : decodeEntries(buf);
  }

  /** Releases the cursor now (skv_iter_free); later calls answer SKV_ECLOSED. */
  close() { this[NATIVE].close(); }
}

if (Symbol.dispose) Cursor.prototype[Symbol.dispose] = Cursor.prototype.close;

module.exports = { Cursor, decodeEntries, NATIVE };
