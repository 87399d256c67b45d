// db.go — the database handle: Open and Close, the managed transactions Update and View, and
// the database-wide operations (flush, compaction, sync, properties).

package skv

/*
#include "shim.h"
*/
import "C"

import (
	"context"
	"runtime"
	"sync"
	"unsafe"
)

// DB is an open database. It is safe for concurrent use by many goroutines. Close it when
// done: that makes every commit durable (with the default flush_on_close) and releases the
// directory's lock. A DB that becomes unreachable without Close is closed by a finalizer, but
// only Close reports the final sync's error.
type DB struct {
	// mu guards c: every call holds it shared, Close exclusively (the engine frees a closed
	// handle once nothing refers to it, so no call may start after Close).
	mu   sync.RWMutex
	c    *C.skv_db
	path string
}

// Open opens, creating it if missing (unless create_if_missing is "false"), the database in
// directory path, locks it and recovers every committed transaction from its log.
//
// Errors: ErrInvalid (a bad option, path not a directory), ErrNotFound (no such directory
// with create_if_missing "false", or its parent is missing), ErrLocked (open in this or
// another process), ErrCorrupt, ErrVersion, ErrIO, ErrNoSpace, ErrNoMemory.
func Open(path string, opts ...Option) (*DB, error) {
	o, err := buildOptions("Open", opts)
	if err != nil {
		return nil, err
	}
	defer C.skv_options_free(o)
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	var c *C.skv_db
	if err := check("Open", C.gskv_open(cpath, o, &c)); err != nil {
		return nil, err
	}
	db := &DB{c: c, path: path}
	runtime.SetFinalizer(db, (*DB).finalize)
	return db, nil
}

// Path returns the directory the database was opened from.
func (db *DB) Path() string { return db.path }

// Close closes the database: it waits for the calls on the DB in progress (a Flush, Compact
// or Checkpoint, say) and for pending asynchronous commits (their channels receive their
// results before Close returns), makes every commit durable when flush_on_close is set (the
// default) and releases the lock. Transactions and iterators still open answer
// ErrClosed from then on. A second Close returns ErrClosed.
//
// Errors: ErrClosed, ErrIO or ErrNoSpace (the final sync failed; the database is closed all
// the same).
func (db *DB) Close() error {
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.c == nil {
		return closedError("Close", "database is closed")
	}
	runtime.SetFinalizer(db, nil)
	err := check("Close", C.gskv_close(db.c))
	db.c = nil
	return err
}

func (db *DB) finalize() {
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.c != nil {
		check("Close", C.gskv_close(db.c)) // nobody is left to report an error to
		db.c = nil
	}
}

// call runs fn with the engine handle while holding the handle shared, or returns ErrClosed
// for a closed database.
func (db *DB) call(op string, fn func(c *C.skv_db) C.gskv_rc) error {
	db.mu.RLock()
	defer db.mu.RUnlock()
	if db.c == nil {
		return closedError(op, "database is closed")
	}
	return check(op, fn(db.c))
}

// Begin starts a transaction: ReadWrite and ReadOnly ones read a snapshot taken now
// (snapshot isolation) together with their own writes; WriteOnly ones have no snapshot.
// End it with Commit, CommitAsync or Rollback; a transaction that becomes unreachable
// without ending is rolled back by a finalizer.
//
// Errors: ErrInvalid (unknown mode), ErrClosed, ErrNoMemory.
func (db *DB) Begin(mode Mode) (*Txn, error) {
	var c *C.skv_txn
	err := db.call("Begin", func(d *C.skv_db) C.gskv_rc { return C.gskv_txn_begin(d, C.int(mode), &c) })
	if err != nil {
		return nil, err
	}
	t := &Txn{c: c, db: db}
	runtime.SetFinalizer(t, (*Txn).finalize)
	return t, nil
}

// Update runs fn in a new ReadWrite transaction and commits it when fn returns nil; when fn
// returns an error or panics, the transaction is rolled back and the error (or panic) passed
// on. A conflict with a transaction that committed first is returned as ErrConflict (and
// ErrRetry when the snapshot is too old to check): run Update again to retry.
func (db *DB) Update(fn func(txn *Txn) error) error {
	return db.UpdateContext(context.Background(), fn)
}

// UpdateContext is Update with a context: it does not begin when ctx is already done, and
// it waits for the commit (which may stall while the engine catches up with its writes) only
// until ctx is done, as Txn.CommitContext does.
func (db *DB) UpdateContext(ctx context.Context, fn func(txn *Txn) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	txn, err := db.Begin(ReadWrite)
	if err != nil {
		return err
	}
	defer txn.Rollback() // a no-op once committed
	if err := fn(txn); err != nil {
		return err
	}
	return txn.CommitContext(ctx)
}

// View runs fn in a new ReadOnly transaction, which sees one snapshot throughout, and ends
// it when fn returns (or panics). It returns fn's error.
func (db *DB) View(fn func(txn *Txn) error) error {
	txn, err := db.Begin(ReadOnly)
	if err != nil {
		return err
	}
	defer txn.Rollback()
	return fn(txn)
}

// Flush writes every memtable to table files and returns when they are in the manifest.
//
// Errors: ErrClosed, ErrFatal, ErrIO, ErrNoSpace, ErrNoMemory.
func (db *DB) Flush() error {
	return db.call("Flush", func(c *C.skv_db) C.gskv_rc { return C.gskv_flush(c) })
}

// Compact flushes, then compacts every table into the last level, dropping every version no
// live snapshot can see, and returns when done. Errors as Flush.
func (db *DB) Compact() error {
	return db.call("Compact", func(c *C.skv_db) C.gskv_rc { return C.gskv_compact(c) })
}

// Sync fsyncs the log: every commit acknowledged so far becomes durable.
//
// Errors: ErrClosed, ErrFatal, ErrIO.
func (db *DB) Sync() error {
	return db.call("Sync", func(c *C.skv_db) C.gskv_rc { return C.gskv_sync(c) })
}

// Property returns an engine property as text: "stats" (a readable summary), "sequence",
// "timestamp", "memtables", "memtable-bytes", "wal-segments", "level-files", "level-bytes"
// (skv.h lists them all).
//
// Errors: ErrInvalid (unknown name), ErrClosed, ErrNoMemory.
func (db *DB) Property(name string) (string, error) {
	db.mu.RLock()
	defer db.mu.RUnlock()
	if db.c == nil {
		return "", closedError("Property", "database is closed")
	}
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	r := C.gskv_property(db.c, cname)
	if r.rc != C.SKV_OK {
		return "", newError("Property", r.rc, r.msg)
	}
	defer C.skv_free(unsafe.Pointer(r.p))
	return C.GoStringN((*C.char)(r.p), C.int(r.n)), nil
}

// Checkpoint writes a consistent copy of the database as of this call (exactly the
// transactions committed before it started) into directory dir, which must not exist (its
// parent must) or be empty. The copy opens with Open as a database of its own and is what
// Restore takes. Reads and commits go on meanwhile.
//
// Errors: ErrInvalid (dir exists and is not an empty directory), ErrNotFound (dir's parent is
// missing), ErrClosed, ErrBusy (a checkpoint, restore or check is running), ErrFatal, ErrIO,
// ErrNoSpace, ErrNoMemory.
func (db *DB) Checkpoint(dir string) error {
	cdir := C.CString(dir)
	defer C.free(unsafe.Pointer(cdir))
	return db.call("Checkpoint", func(c *C.skv_db) C.gskv_rc { return C.gskv_checkpoint(c, cdir) })
}

// Restore replaces the whole contents of the database with the checkpoint in dir, crash-safely
// (after a crash the database is either as it was or as restored). The DB stays open; every
// transaction and iterator begun before the restore answers ErrClosed afterwards.
//
// Errors: ErrInvalid (dir is not a complete checkpoint, or is the database itself),
// ErrNotFound, ErrLocked (dir is open as a database), ErrCorrupt (the checkpoint is damaged;
// nothing changed), ErrVersion, ErrClosed, ErrBusy, ErrFatal, ErrIO, ErrNoSpace, ErrNoMemory.
func (db *DB) Restore(dir string) error {
	cdir := C.CString(dir)
	defer C.free(unsafe.Pointer(cdir))
	return db.call("Restore", func(c *C.skv_db) C.gskv_rc { return C.gskv_restore(c, cdir) })
}

// Check verifies the integrity of the open database, reading only (checksums of the manifest,
// of every table block and log record, key order, the levels) and returns a readable report:
// one line per table and log segment, "problem: ..." lines and a summary. err is nil when
// everything is intact; otherwise the report (when the check ran) names every problem and err
// is the first one's: ErrCorrupt (damage) or ErrIO (a file could not be read).
//
// Errors (no check ran, empty report): ErrClosed, ErrBusy, ErrNoMemory.
func (db *DB) Check() (report string, err error) {
	db.mu.RLock()
	defer db.mu.RUnlock()
	if db.c == nil {
		return "", closedError("Check", "database is closed")
	}
	return reportResult("Check", C.gskv_check(db.c))
}

// CheckDir runs the integrity check of Check on the closed database in directory path without
// opening it (nothing is written; its lock is held meanwhile). The options that matter are
// level_count and wal_recovery_mode.
//
// Errors: as Check, and ErrVersion (a newer on-disk format), ErrInvalid (not a directory, bad
// option), ErrNotFound (no such directory, or no database in it), ErrLocked (the database is
// open).
func CheckDir(path string, opts ...Option) (report string, err error) {
	o, err := buildOptions("CheckDir", opts)
	if err != nil {
		return "", err
	}
	defer C.skv_options_free(o)
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	return reportResult("CheckDir", C.gskv_check_dir(cpath, o))
}

func reportResult(op string, r C.gskv_view) (string, error) {
	report := ""
	if r.p != nil {
		report = C.GoStringN((*C.char)(r.p), C.int(r.n))
		C.skv_free(unsafe.Pointer(r.p))
	}
	if r.rc != C.SKV_OK {
		return report, newError(op, r.rc, r.msg)
	}
	return report, nil
}
