// txn.go — transactions: reads, the write kinds (set, set at a timestamp, hard and soft delete,
// replace), savepoints, durability, commit and rollback.

package skv

/*
#include "shim.h"
*/
import "C"

import (
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"
)

// Txn is a transaction. It serves one call at a time: a call made while another call on the
// same transaction is running (from another goroutine, or from the function given to Scan)
// returns ErrBusy. It may move between goroutines freely: it is not tied to an OS thread.
//
// A transaction ends with Commit, CommitAsync or Rollback, whatever they return; later calls
// give ErrClosed (Rollback is then a no-op). Values returned by Get are copies the caller
// owns. Iterators opened on a transaction answer ErrClosed once it has ended.
type Txn struct {
	mu  sync.Mutex
	c   *C.skv_txn // nil once ended
	db  *DB
	err atomic.Pointer[error] // what stopped the last Range or History loop; nil: nothing
}

func (t *Txn) finalize() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.c != nil {
		C.skv_txn_free(t.c)
		t.c = nil
	}
}

// do runs one engine call on the open transaction under its lock.
func (t *Txn) do(op string, fn func(c *C.skv_txn) C.gskv_rc) error {
	if !t.mu.TryLock() {
		return busyError(op, "transaction")
	}
	defer t.mu.Unlock()
	if t.c == nil {
		return closedError(op, "transaction has already ended")
	}
	return check(op, fn(t.c))
}

// bytesArg returns the pointer and length to pass for b (nil for an empty b: the shim passes
// a non-NULL empty string then).
func bytesArg(b []byte) (unsafe.Pointer, C.size_t) {
	if len(b) == 0 {
		return nil, 0
	}
	return unsafe.Pointer(&b[0]), C.size_t(len(b))
}

// goBytes copies n bytes at p into a new slice (non-nil, also when n is 0).
func goBytes(p unsafe.Pointer, n C.size_t) []byte {
	if n == 0 {
		return []byte{}
	}
	if n <= math.MaxInt32 {
		return C.GoBytes(p, C.int(n)) // no zeroing before the copy
	}
	b := make([]byte, int(n))
	copy(b, unsafe.Slice((*byte)(p), int(n)))
	return b
}

// SetDurability sets how durable the commit is: Eventual (the default) or Immediate.
//
// Errors: ErrInvalid (unknown durability), ErrClosed.
func (t *Txn) SetDurability(d Durability) error {
	return t.do("SetDurability", func(c *C.skv_txn) C.gskv_rc {
		return C.gskv_txn_set_durability(c, C.int(d))
	})
}

// Get returns a copy of the latest value of key visible to the transaction (its own writes
// first), or ErrNotFound.
//
// Errors: ErrNotFound, ErrEmptyKey, ErrTooBig (key), ErrWriteOnly, ErrClosed, ErrCorrupt or
// ErrIO (a table block could not be read), ErrNoMemory.
func (t *Txn) Get(key []byte) ([]byte, error) {
	if !t.mu.TryLock() {
		return nil, busyError("Get", "transaction")
	}
	defer t.mu.Unlock()
	if t.c == nil {
		return nil, closedError("Get", "transaction has already ended")
	}
	kp, kl := bytesArg(key)
	r := C.gskv_txn_get(t.c, kp, kl)
	switch r.rc {
	case C.SKV_OK:
		return goBytes(unsafe.Pointer(r.p), r.n), nil
	case C.SKV_NOTFOUND:
		return nil, ErrNotFound
	}
	return nil, newError("Get", r.rc, r.msg)
}

// Set writes key = value (an empty value is allowed), visible to others after commit.
//
// Errors: ErrEmptyKey, ErrTooBig (key over MaxKeySize, value over MaxValueSize, or the
// transaction no longer fits in a memtable), ErrReadOnly, ErrClosed, ErrNoMemory.
func (t *Txn) Set(key, value []byte) error {
	return t.do("Set", func(c *C.skv_txn) C.gskv_rc {
		kp, kl := bytesArg(key)
		vp, vl := bytesArg(value)
		return C.gskv_txn_set(c, kp, kl, vp, vl)
	})
}

// SetAt is Set with an explicit version timestamp (ns since the Unix epoch; 0 means the
// commit's), for time travel with GetAt and History. Errors as Set.
func (t *Txn) SetAt(key, value []byte, ts uint64) error {
	return t.do("SetAt", func(c *C.skv_txn) C.gskv_rc {
		kp, kl := bytesArg(key)
		vp, vl := bytesArg(value)
		return C.gskv_txn_set_at(c, kp, kl, vp, vl, C.uint64_t(ts))
	})
}

// Delete is a hard delete: the key disappears together with its history. Errors as Set.
func (t *Txn) Delete(key []byte) error {
	return t.do("Delete", func(c *C.skv_txn) C.gskv_rc {
		kp, kl := bytesArg(key)
		return C.gskv_txn_delete(c, kp, kl)
	})
}

// SoftDelete records a tombstone version: the key reads as absent, and its older versions
// stay in the history. Errors as Set.
func (t *Txn) SoftDelete(key []byte) error {
	return t.do("SoftDelete", func(c *C.skv_txn) C.gskv_rc {
		kp, kl := bytesArg(key)
		return C.gskv_txn_soft_delete(c, kp, kl)
	})
}

// Replace writes a value that supersedes every older version of the key (they leave the
// history). Errors as Set.
func (t *Txn) Replace(key, value []byte) error {
	return t.do("Replace", func(c *C.skv_txn) C.gskv_rc {
		kp, kl := bytesArg(key)
		vp, vl := bytesArg(value)
		return C.gskv_txn_replace(c, kp, kl, vp, vl)
	})
}

// Savepoint pushes a savepoint; savepoints nest.
//
// Errors: ErrReadOnly, ErrClosed, ErrNoMemory.
func (t *Txn) Savepoint() error {
	return t.do("Savepoint", func(c *C.skv_txn) C.gskv_rc { return C.gskv_txn_savepoint(c) })
}

// RollbackToSavepoint drops every write made since the most recent savepoint and pops it.
//
// Errors: ErrNoSavepoint, ErrReadOnly, ErrClosed.
func (t *Txn) RollbackToSavepoint() error {
	return t.do("RollbackToSavepoint", func(c *C.skv_txn) C.gskv_rc {
		return C.gskv_txn_rollback_to_savepoint(c)
	})
}

// end releases the engine handle after fn (which frees it) and returns fn's error, or
// ErrClosed when the transaction has already ended.
func (t *Txn) end(op string, fn func(c *C.skv_txn) C.gskv_rc) error {
	if !t.mu.TryLock() {
		return busyError(op, "transaction")
	}
	defer t.mu.Unlock()
	if t.c == nil {
		return closedError(op, "transaction has already ended")
	}
	c := t.c
	t.c = nil
	runtime.SetFinalizer(t, nil)
	return check(op, fn(c))
}

// Commit commits the transaction and ends it, whatever it returns. An empty transaction
// commits nothing. First committer wins: when another transaction committed one of the
// written keys after this one's snapshot, nothing is written and ErrConflict is returned.
//
// Errors: ErrConflict, ErrRetry (the snapshot is too old for conflict checking: retry),
// ErrReadOnly, ErrClosed, ErrTooBig, ErrFatal, ErrIO or ErrNoSpace (the log write failed:
// the database latches; after reopening the transaction is wholly there or absent),
// ErrNoMemory.
func (t *Txn) Commit() error {
	return t.end("Commit", func(c *C.skv_txn) C.gskv_rc { return C.gskv_txn_commit_free(c) })
}

// Rollback discards the transaction's writes and ends it. On an ended transaction it does
// nothing and returns nil, so `defer txn.Rollback()` is the usual way to make sure a
// transaction ends.
func (t *Txn) Rollback() error {
	if !t.mu.TryLock() {
		return busyError("Rollback", "transaction")
	}
	defer t.mu.Unlock()
	if t.c == nil {
		return nil
	}
	c := t.c
	t.c = nil
	runtime.SetFinalizer(t, nil)
	return check("Rollback", C.gskv_txn_rollback_free(c))
}

// Err returns the error that stopped the transaction's most recent Range or History loop
// before its end (ErrClosed when the transaction or database has ended, ErrWriteOnly, ErrIO
// or ErrCorrupt when a table block could not be read, ...); nil when the loop ran to the end
// or its body stopped it.
func (t *Txn) Err() error {
	if p := t.err.Load(); p != nil {
		return *p
	}
	return nil
}

func (t *Txn) setErr(err error) {
	if err == nil {
		t.err.Store(nil)
	} else {
		t.err.Store(&err)
	}
}
