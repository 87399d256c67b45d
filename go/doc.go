// Package skv is the Go package of skv, an embedded, transactional, versioned key-value store
// (an LSM tree with a write-ahead log and snapshot-isolation transactions). It is a thin layer
// over the engine's C API (capi/include/skv.h), which cgo compiles from this module: building
// needs a C compiler and the zstd and xxhash development files, nothing installed beforehand.
//
// # Opening
//
// Open a database directory with engine options passed by their C names:
//
//	db, err := skv.Open("data.db", skv.WithOption("block_cache_capacity", "268435456"))
//	if err != nil { ... }
//	defer db.Close()
//
// A DB is safe for concurrent use by any number of goroutines. Close it explicitly: that makes
// every commit durable and releases the directory's lock.
//
// # Transactions
//
// Every read and write happens in a transaction: ReadWrite and ReadOnly transactions read the
// snapshot taken when they began (snapshot isolation) together with their own writes;
// WriteOnly ones only write. The managed forms commit or roll back for you:
//
//	err := db.Update(func(txn *skv.Txn) error {
//		return txn.Set([]byte("greeting"), []byte("hello"))
//	})
//	err = db.View(func(txn *skv.Txn) error {
//		v, err := txn.Get([]byte("greeting"))
//		...
//	})
//
// The first committer wins: a commit that wrote a key another transaction committed after
// this one's snapshot fails with ErrConflict and writes nothing; run the transaction again.
// Explicit transactions come from DB.Begin and end with Commit, CommitAsync (a channel
// receives the result), CommitContext or Rollback. A transaction is not tied to a goroutine
// or an OS thread: hand it to another goroutine whenever you like, as long as one call runs at
// a time (a concurrent call gets ErrBusy). Keys and values are byte slices; every slice the
// package returns is a copy the caller owns.
//
// # Ranges
//
// Txn.Range is a Go iterator over the entries of [lo, hi) that fetches them in batches, one
// call into the engine per batch; Reverse, Limit, KeysOnly and BatchSize shape it:
//
//	for k, v := range txn.Range([]byte("user:"), []byte("user;"), skv.Limit(100)) {
//		...
//	}
//	if err := txn.Err(); err != nil { ... }
//
// Txn.NewIterator gives an explicit cursor (First, Last, Seek, Next, Prev, Key, Value) with
// batched reads (NextBatch, All); Txn.Scan is the engine's callback scan.
//
// # Time travel
//
// With the option enable_versioning every committed version of a key is kept with its
// timestamp (ns since the Unix epoch): Txn.SetAt writes at an explicit timestamp, Txn.GetAt
// reads a key as of a timestamp, and Txn.History iterates versions with their Key, Value,
// Timestamp and Kind (TsFrom, TsTo, Tombstones and Limit select them):
//
//	v, err := txn.GetAt([]byte("doc"), ts)
//	for e := range txn.History([]byte("doc"), nil, skv.TsFrom(t0)) {
//		fmt.Println(e.Timestamp, e.Kind, string(e.Value))
//	}
//
// # Checkpoints
//
// DB.Checkpoint writes a consistent copy of the database into a directory while reads and
// commits go on; DB.Restore replaces the contents of an open database with such a copy,
// crash-safely; DB.Check and CheckDir verify every checksum and invariant and return a report.
//
// # Errors
//
// Every engine failure is an *Error carrying the code's stable name (Code, such as
// "SKV_ECONFLICT", the same in every language skv has a package for), the operation and the
// engine's detail message. Test for a code with errors.Is and the sentinels ErrNotFound,
// ErrConflict, ErrRetry, ErrClosed, ErrReadOnly, ErrCorrupt and the others.
//
// # Memory, threads and cgo
//
// No Go pointer is ever stored in C memory: callbacks (asynchronous commits, scans) find their
// Go state through cgo.Handle numbers, and keys and values passed in are only borrowed for
// the duration of a call. The engine reports failure details per OS thread, and the package
// reads them inside the same cgo call, so nothing needs runtime.LockOSThread. Transactions,
// iterators and databases that become unreachable without being ended or closed are released
// by finalizers; explicit Close, Commit and Rollback release them at once.
package skv
