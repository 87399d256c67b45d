// range.go — range reads over [lo, hi): the options they share, Range (a Go 1.23 iterator
// that fetches entries in batches, one cgo call per batch) and Scan (the engine's callback
// scan, skv_txn_scan).

package skv

/*
#include "shim.h"
*/
import "C"

import (
	"iter"
	"runtime/cgo"
)

// HistoryOption is an option of Txn.History and Txn.NewHistoryIterator: every RangeOption,
// and TsFrom, TsTo and Tombstones.
type HistoryOption interface {
	apply(c *iterConfig)
}

// RangeOption is an option of Txn.Range, Txn.Scan and Txn.NewIterator (and of History):
// Reverse, KeysOnly, Limit, BatchSize.
type RangeOption interface {
	HistoryOption
	rangeOption()
}

type rangeOpt func(c *iterConfig)

func (f rangeOpt) apply(c *iterConfig) { f(c) }
func (rangeOpt) rangeOption()          {}

type historyOpt func(c *iterConfig)

func (f historyOpt) apply(c *iterConfig) { f(c) }

// iterConfig is what the options set.
type iterConfig struct {
	flags        C.uint
	limit        int // entries (Range, Scan) or versions (History); 0 = all
	batchEntries int // largest batch in entries; 0 = no limit
	batchBytes   int // a batch ends once it holds this many bytes
	fixedBatch   bool
	tsFrom, tsTo uint64
}

const (
	firstBatchEntries   = 16 // the first batch is small: a loop may break early
	defaultBatchEntries = 4096
	defaultBatchBytes   = 256 << 10
)

func newIterConfig[O HistoryOption](opts []O) iterConfig {
	c := iterConfig{batchEntries: defaultBatchEntries, batchBytes: defaultBatchBytes, tsTo: ^uint64(0)}
	for _, o := range opts {
		o.apply(&c)
	}
	return c
}

// Reverse iterates from the largest key down to the smallest.
func Reverse() RangeOption { return rangeOpt(func(c *iterConfig) { c.flags |= iterReverse }) }

// KeysOnly returns every value empty, reading no value at all.
func KeysOnly() RangeOption { return rangeOpt(func(c *iterConfig) { c.flags |= iterKeysOnly }) }

// Limit stops after n entries (versions, for History); n <= 0 means no limit.
func Limit(n int) RangeOption {
	return rangeOpt(func(c *iterConfig) {
		c.limit = max(n, 0)
	})
}

// BatchSize sets how much Range and Iterator.All fetch per call into the engine: at most
// entries entries (0 = no limit), ending a batch once it holds bytes bytes (0 = no limit;
// at least one entry is always taken). By default batches grow from 16 entries to 4096
// entries or 256 KiB, so that a loop that breaks early reads little.
func BatchSize(entries, bytes int) RangeOption {
	return rangeOpt(func(c *iterConfig) {
		c.batchEntries, c.batchBytes, c.fixedBatch = max(entries, 0), max(bytes, 0), true
	})
}

// Range returns an iterator over the entries of [lo, hi) as the transaction sees them (its
// snapshot merged with its own writes at the start of the loop), in key order (descending
// with Reverse). A nil bound is unbounded; an empty non-nil lo is the smallest key. Keys and
// values are fresh copies the loop body may keep. Entries are fetched in batches, one call
// into the engine per batch.
//
//	for k, v := range txn.Range([]byte("a"), []byte("b")) {
//		fmt.Printf("%s=%s\n", k, v)
//	}
//	if err := txn.Err(); err != nil { ... }
//
// An error that stops the loop early (ErrClosed, ErrWriteOnly, ErrIO, ErrCorrupt, ...) is
// reported by txn.Err afterwards. Breaking out of the loop releases the engine's iterator.
func (t *Txn) Range(lo, hi []byte, opts ...RangeOption) iter.Seq2[[]byte, []byte] {
	cfg := newIterConfig(opts)
	return func(yield func(key, value []byte) bool) {
		it, err := t.newIterator("Range", lo, hi, cfg)
		t.setErr(err)
		if err != nil {
			return
		}
		defer it.Close()
		for k, v := range it.All() {
			if !yield(k, v) {
				return
			}
		}
		t.setErr(it.Err())
	}
}

// Scan calls fn for each entry of [lo, hi) in order (options as for Range; Limit bounds the
// entries), inside the engine's scan (skv_txn_scan): one call from the engine into Go per
// entry. fn receives copies it may keep, and returns false to stop the scan. A panic in fn
// stops the scan and is raised again by Scan.
//
// Errors: ErrWriteOnly, ErrClosed, ErrNoMemory, ErrCorrupt or ErrIO (a table block could not
// be read: the scan stops there, entries before it were correct).
func (t *Txn) Scan(lo, hi []byte, fn func(key, value []byte) bool, opts ...RangeOption) error {
	cfg := newIterConfig(opts)
	state := &scanState{fn: fn}
	h := cgo.NewHandle(state)
	defer h.Delete()
	err := t.do("Scan", func(c *C.skv_txn) C.gskv_rc {
		lp, ll := bytesArg(lo)
		hp, hl := bytesArg(hi)
		return C.gskv_txn_scan(c, lp, ll, cbool(lo != nil), hp, hl, cbool(hi != nil), cfg.flags,
			C.size_t(cfg.limit), C.uintptr_t(h))
	})
	if state.panicked {
		panic(state.panicVal)
	}
	return err
}

func cbool(b bool) C.int {
	if b {
		return 1
	}
	return 0
}
