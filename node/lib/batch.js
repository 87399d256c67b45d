// batch.js — db.put / db.delete: blind writes gathered per turn of the event loop. Every put
// and delete of one turn (and one durability) goes into one write-only transaction, committed
// asynchronously once the turn's code has run (setImmediate), so that many small writes cost
// one commit, as lmdb-js does with its puts. They all share that commit's promise: it
// resolves when the transaction is committed and rejects with its error (every write of the
// turn then failed together; writes are all-or-nothing per turn).
'use strict';

class TurnBatch {
  constructor(db, durability) {
    this.db = db;
    this.txn = db.begin({ mode: 'writeOnly', durability });
    this.timer = setImmediate(() => this.flush());
    this.promise = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  // Commits now (at the end of the turn, or before the database closes).
  flush() {
    clearImmediate(this.timer);
    this.db._batches.done(this);
    this.txn.commit().then(this.resolve, this.reject);
  }
}

class Batches {
  constructor(db) {
    this.db = db;
    this.open = new Map(); // durability -> TurnBatch of this turn
  }

  // Writes key = value (value undefined: deletes key) in this turn's batch; a write that
  // fails (an empty key, a key too large) rejects its own promise only.
  write(durability, key, value) {
    let batch = this.open.get(durability);
    try {
      if (!batch) {
        batch = new TurnBatch(this.db, durability); // SKV_ECLOSED once the database closed
        this.open.set(durability, batch);
      }
      if (value === undefined) batch.txn.delete(key);
      else batch.txn.set(key, value);
    } catch (e) {
      return Promise.reject(e);
    }
    return batch.promise;
  }

  done(batch) {
    for (const [key, b] of this.open) if (b === batch) this.open.delete(key);
  }

  flushAll() {
    for (const batch of [...this.open.values()]) batch.flush();
  }
}

module.exports = { Batches };
