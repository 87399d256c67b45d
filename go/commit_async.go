// commit_async.go — commits that do not block the caller: CommitAsync on skv_txn_commit_async
// (its completion reaches a channel through a cgo.Handle), and CommitContext, which waits for
// that completion only as long as a context allows.

package skv

/*
#include "shim.h"
*/
import "C"

import (
	"context"
	"runtime/cgo"
)

// CommitAsync submits the commit and returns at once with a channel that receives its result
// exactly once: nil, or the error Commit would have returned. The transaction has ended when
// CommitAsync returns. The result arrives after the group commit that carries the
// transaction; DB.Close waits until every pending result is in its channel.
//
//	done := txn.CommitAsync()
//	// ... other work ...
//	if err := <-done; err != nil { ... }
//
// Errors (on the channel): those of Commit.
func (t *Txn) CommitAsync() <-chan error {
	ch := make(chan error, 1)
	if err := t.CommitAsyncFunc(func(err error) { ch <- err }); err != nil {
		ch <- err
	}
	return ch
}

// CommitAsyncFunc submits the commit and returns at once. When it returns nil, done runs
// exactly once with the commit's result (nil or the error Commit would have returned), on an
// engine thread, never inside CommitAsyncFunc and never after DB.Close has returned; when it
// returns an error, done never runs. The transaction has ended either way. done holds up the
// completion of other commits while it runs: it must return quickly and must not call
// DB.Close (which waits for it). CommitAsync is the channel form.
//
// Errors (returned): ErrClosed, ErrReadOnly, ErrTooBig, ErrFatal, ErrNoMemory. Errors (to
// done): those of Commit.
func (t *Txn) CommitAsyncFunc(done func(err error)) error {
	h := cgo.NewHandle(done)
	err := t.end("CommitAsync", func(c *C.skv_txn) C.gskv_rc {
		return C.gskv_txn_commit_async_free(c, C.uintptr_t(h))
	})
	if err != nil { // the engine never calls back
		h.Delete()
	}
	return err
}

// CommitContext commits like Commit but waits for the result only until ctx is done (a commit
// can wait long while the engine stalls writers to catch up with flushing and compaction, or
// for an fsync with Immediate durability). When ctx is done first it returns ctx.Err(): the
// commit was submitted and may still take effect, so a caller that must know reads the data
// back. When ctx is already done on entry the transaction is rolled back instead. The
// transaction has ended when CommitContext returns.
func (t *Txn) CommitContext(ctx context.Context) error {
	if ctx.Done() == nil { // never cancelled: the plain commit is cheaper
		return t.Commit()
	}
	if err := ctx.Err(); err != nil {
		t.Rollback()
		return err
	}
	select {
	case err := <-t.CommitAsync():
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}
