// iterator.go — the explicit iterator: a cursor over [lo, hi) with the engine's moves (first,
// last, seek, next, prev), the current entry, and batched reads (NextBatch, All) that take
// many entries per call into the engine.

package skv

/*
#include "shim.h"
*/
import "C"

import (
	"encoding/binary"
	"iter"
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"
)

// Iterator is a cursor over the entries of a range, as its transaction saw them when it was
// opened. It starts unpositioned. Each move (First, Last, Seek, Next, Prev) and each read of
// the current entry (Key, Value) is one call into the engine; NextBatch and All read many
// entries per call and are the fast way through a range.
//
//	it, err := txn.NewIterator(nil, nil)
//	if err != nil { ... }
//	defer it.Close()
//	for ok := it.First(); ok; ok = it.Next() {
//		fmt.Printf("%s=%s\n", it.Key(), it.Value())
//	}
//	if err := it.Err(); err != nil { ... }
//
// An Iterator serves one call at a time (a concurrent call returns ErrBusy) and may move
// between goroutines. Once its transaction has ended or its database is closed, every call
// fails with ErrClosed. Close releases it; an unreachable Iterator is released by a finalizer.
type Iterator struct {
	mu  sync.Mutex
	c   *C.skv_iter // nil once closed
	txn *Txn        // keeps the transaction from being finalized while the iterator lives
	cfg iterConfig
	err atomic.Pointer[error] // the error of the most recent call; nil: none
}

// Entry is one key and value read by Iterator.NextBatch.
type Entry struct {
	Key, Value []byte
}

// NewIterator opens an iterator over [lo, hi): a nil bound is unbounded, an empty non-nil lo
// is the smallest key. Options: Reverse (First and Next walk from the largest key down; Last
// and Prev walk upwards), KeysOnly (values read empty), BatchSize and Limit (for All; the
// moves are not limited).
//
// Errors: ErrWriteOnly, ErrClosed, ErrNoMemory.
func (t *Txn) NewIterator(lo, hi []byte, opts ...RangeOption) (*Iterator, error) {
	return t.newIterator("NewIterator", lo, hi, newIterConfig(opts))
}

func (t *Txn) newIterator(op string, lo, hi []byte, cfg iterConfig) (*Iterator, error) {
	var c *C.skv_iter
	err := t.do(op, func(tc *C.skv_txn) C.gskv_rc {
		lp, ll := bytesArg(lo)
		hp, hl := bytesArg(hi)
		return C.gskv_iter_open(tc, lp, ll, cbool(lo != nil), hp, hl, cbool(hi != nil), cfg.flags, &c)
	})
	if err != nil {
		return nil, err
	}
	return newIteratorHandle(c, t, cfg), nil
}

func newIteratorHandle(c *C.skv_iter, t *Txn, cfg iterConfig) *Iterator {
	it := &Iterator{c: c, txn: t, cfg: cfg}
	runtime.SetFinalizer(it, (*Iterator).Close)
	return it
}

// Close releases the iterator; later calls give ErrClosed. Closing twice is a no-op.
func (it *Iterator) Close() error {
	it.mu.Lock()
	defer it.mu.Unlock()
	if it.c != nil {
		C.skv_iter_free(it.c)
		it.c = nil
		runtime.SetFinalizer(it, nil)
	}
	return nil
}

// Err returns the error of the iterator's most recent call: nil after a successful one, and
// also after a move that found no entry there (the end of the range) or a read of the current
// entry on an unpositioned iterator.
func (it *Iterator) Err() error {
	if p := it.err.Load(); p != nil {
		return *p
	}
	return nil
}

func (it *Iterator) setErr(err error) {
	if err == nil {
		it.err.Store(nil)
	} else {
		it.err.Store(&err)
	}
}

// lock takes the iterator for one call. It fails with ErrBusy while another call runs, and
// with ErrClosed once the iterator is closed (both also recorded for Err).
func (it *Iterator) lock(op string) (*C.skv_iter, error) {
	if !it.mu.TryLock() {
		err := busyError(op, "iterator")
		it.setErr(err)
		return nil, err
	}
	if it.c == nil {
		err := closedError(op, "iterator is closed")
		it.setErr(err)
		it.mu.Unlock()
		return nil, err
	}
	return it.c, nil
}

// move runs one positioning call: true when the iterator stands on an entry.
func (it *Iterator) move(op string, fn func(c *C.skv_iter) C.gskv_rc) bool {
	c, err := it.lock(op)
	if err != nil {
		return false
	}
	defer it.mu.Unlock()
	r := fn(c)
	switch r.rc {
	case C.SKV_OK:
		it.setErr(nil)
		return true
	case C.SKV_NOTFOUND:
		it.setErr(nil)
	default:
		it.setErr(newError(op, r.rc, r.msg))
	}
	return false
}

// First moves to the first entry in iteration order (the largest key with Reverse). It
// returns false when there is none or on an error (see Err).
func (it *Iterator) First() bool {
	return it.move("First", func(c *C.skv_iter) C.gskv_rc { return C.gskv_iter_move(c, C.GSKV_FIRST) })
}

// Last moves to the last entry in iteration order. False when there is none or on an error.
func (it *Iterator) Last() bool {
	return it.move("Last", func(c *C.skv_iter) C.gskv_rc { return C.gskv_iter_move(c, C.GSKV_LAST) })
}

// Next moves to the next entry in iteration order (the first one when unpositioned). False
// at the end or on an error.
func (it *Iterator) Next() bool {
	return it.move("Next", func(c *C.skv_iter) C.gskv_rc { return C.gskv_iter_move(c, C.GSKV_NEXT) })
}

// Prev moves to the previous entry in iteration order (the last one when unpositioned).
// False at the start or on an error.
func (it *Iterator) Prev() bool {
	return it.move("Prev", func(c *C.skv_iter) C.gskv_rc { return C.gskv_iter_move(c, C.GSKV_PREV) })
}

// Seek moves to the first entry at or after key in iteration order (with Reverse: the largest
// key <= key). A key before the range lands on its first entry. False when there is none or
// on an error.
func (it *Iterator) Seek(key []byte) bool {
	return it.move("Seek", func(c *C.skv_iter) C.gskv_rc {
		kp, kl := bytesArg(key)
		return C.gskv_iter_seek(c, kp, kl)
	})
}

// current reads the key or the value of the current entry.
func (it *Iterator) current(op string, fn func(c *C.skv_iter) C.gskv_view) []byte {
	c, err := it.lock(op)
	if err != nil {
		return nil
	}
	defer it.mu.Unlock()
	r := fn(c)
	switch r.rc {
	case C.SKV_OK:
		it.setErr(nil)
		return goBytes(unsafe.Pointer(r.p), r.n)
	case C.SKV_NOTFOUND:
		it.setErr(nil)
	default:
		it.setErr(newError(op, r.rc, r.msg))
	}
	return nil
}

// Key returns a copy of the current entry's key, or nil when the iterator is not positioned
// on an entry or on an error (see Err).
func (it *Iterator) Key() []byte {
	return it.current("Key", func(c *C.skv_iter) C.gskv_view { return C.gskv_iter_key(c) })
}

// Value returns a copy of the current entry's value (empty, not nil, for an empty value and
// with KeysOnly), or nil when the iterator is not positioned on an entry or on an error.
func (it *Iterator) Value() []byte {
	return it.current("Value", func(c *C.skv_iter) C.gskv_view { return C.gskv_iter_value(c) })
}

// NextBatch reads entries from the current one (the first when unpositioned) on, in iteration
// order, in one call into the engine: at most maxEntries entries (0 = no limit), ending the
// batch once it holds maxBytes bytes (0 = no limit); at least one entry is taken. The
// iterator then stands on the entry after the last one returned. At the end of the range it
// returns no entries and a nil error. The entries share one fresh buffer and may be kept.
//
// Errors: ErrClosed, ErrNoMemory, ErrCorrupt or ErrIO (no entries are returned; the iterator
// is exhausted).
func (it *Iterator) NextBatch(maxEntries, maxBytes int) ([]Entry, error) {
	buf, count, err := it.readBatch("NextBatch", maxEntries, maxBytes)
	if err != nil || count == 0 {
		return nil, err
	}
	out := make([]Entry, 0, count)
	for off := 0; off < len(buf); {
		var e Entry
		e.Key, e.Value, off = batchEntry(buf, off)
		out = append(out, e)
	}
	return out, nil
}

// readBatch reads one batch into a fresh Go buffer: count entries laid out as skv.h's
// skv_iter_read_batch describes ([klen u32 LE][vlen u32 LE][key][value], ...).
func (it *Iterator) readBatch(op string, maxEntries, maxBytes int) ([]byte, int, error) {
	c, err := it.lock(op)
	if err != nil {
		return nil, 0, err
	}
	defer it.mu.Unlock()
	r := C.gskv_iter_read_batch(c, C.size_t(max(maxEntries, 0)), C.size_t(max(maxBytes, 0)))
	switch r.rc {
	case C.SKV_OK:
	case C.SKV_NOTFOUND:
		it.setErr(nil)
		return nil, 0, nil
	default:
		err := newError(op, r.rc, r.msg)
		it.setErr(err)
		return nil, 0, err
	}
	it.setErr(nil)
	return goBytes(unsafe.Pointer(r.p), r.n), int(r.count), nil
}

// batchEntry returns the key and value of the batch entry at off (capacity-limited slices of
// the batch buffer, so that appending to one never overwrites the next) and the next offset.
func batchEntry(buf []byte, off int) (k, v []byte, next int) {
	kl := int(binary.LittleEndian.Uint32(buf[off:]))
	vl := int(binary.LittleEndian.Uint32(buf[off+4:]))
	off += 8
	return buf[off : off+kl : off+kl], buf[off+kl : off+kl+vl : off+kl+vl], off + kl + vl
}

// All returns a Go iterator over the entries from the current one (the first when
// unpositioned) to the end of the range, fetched in batches (see BatchSize). Keys and values
// are copies the loop body may keep. An error that stops the loop is reported by Err. After a
// loop that breaks early the iterator stands after the last entry fetched, not yielded.
func (it *Iterator) All() iter.Seq2[[]byte, []byte] {
	return func(yield func(key, value []byte) bool) {
		cfg := it.cfg
		entries := cfg.batchEntries
		if !cfg.fixedBatch {
			entries = firstBatchEntries
		}
		for taken := 0; cfg.limit == 0 || taken < cfg.limit; {
			want := entries
			if cfg.limit > 0 && (want == 0 || want > cfg.limit-taken) {
				want = cfg.limit - taken
			}
			buf, count, err := it.readBatch("All", want, cfg.batchBytes)
			if err != nil || count == 0 {
				return
			}
			for off := 0; off < len(buf); {
				var k, v []byte
				k, v, off = batchEntry(buf, off)
				if !yield(k, v) {
					return
				}
			}
			taken += count
			if !cfg.fixedBatch && entries < cfg.batchEntries {
				entries *= 2
			}
		}
	}
}
