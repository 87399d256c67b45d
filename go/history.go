// history.go — time travel (with the option enable_versioning): a key's value as of a
// timestamp, and the versions of a range with their timestamps and kinds.

package skv

/*
#include "shim.h"
*/
import "C"

import (
	"iter"
	"unsafe"
)

// HistoryEntry is one version of a key, as History reports it. Timestamp is in ns since the
// Unix epoch (0 for a write of the transaction itself made without an explicit timestamp).
type HistoryEntry struct {
	Key, Value []byte
	Timestamp  uint64
	Kind       Kind
}

// String returns "set", "soft_delete" or "replace", the names the conformance suite and the
// other packages use.
func (k Kind) String() string {
	switch k {
	case KindSet:
		return "set"
	case KindSoftDelete:
		return "soft_delete"
	case KindReplace:
		return "replace"
	}
	return "unknown"
}

// TsFrom keeps only versions with a timestamp >= ts (History).
func TsFrom(ts uint64) HistoryOption { return historyOpt(func(c *iterConfig) { c.tsFrom = ts }) }

// TsTo keeps only versions with a timestamp <= ts (History).
func TsTo(ts uint64) HistoryOption { return historyOpt(func(c *iterConfig) { c.tsTo = ts }) }

// Tombstones makes History report soft deletes as versions of kind KindSoftDelete with an
// empty value.
func Tombstones() HistoryOption {
	return historyOpt(func(c *iterConfig) { c.flags |= historyTombstones })
}

// GetAt returns a copy of the value key had at timestamp ts: of its versions visible to the
// transaction, the one with the largest timestamp <= ts; ErrNotFound when there is none or it
// is a soft delete. The transaction's own latest write of the key decides first.
//
// Errors: ErrNotFound, ErrNotSupported (enable_versioning is off), ErrEmptyKey, ErrTooBig,
// ErrWriteOnly, ErrClosed, ErrCorrupt or ErrIO, ErrNoMemory.
func (t *Txn) GetAt(key []byte, ts uint64) ([]byte, error) {
	if !t.mu.TryLock() {
		return nil, busyError("GetAt", "transaction")
	}
	defer t.mu.Unlock()
	if t.c == nil {
		return nil, closedError("GetAt", "transaction has already ended")
	}
	kp, kl := bytesArg(key)
	r := C.gskv_txn_get_at(t.c, kp, kl, C.uint64_t(ts))
	switch r.rc {
	case C.SKV_OK:
		return goBytes(unsafe.Pointer(r.p), r.n), nil
	case C.SKV_NOTFOUND:
		return nil, ErrNotFound
	}
	return nil, newError("GetAt", r.rc, r.msg)
}

// NewHistoryIterator opens an iterator over the versions of the keys in [lo, hi) (bounds as
// for NewIterator): keys ascending, each key's versions newest first (Reverse: exactly the
// opposite order). Options: TsFrom and TsTo (inclusive), Tombstones, Limit (versions, not
// keys), Reverse, KeysOnly. Iterator.Version gives the current version's timestamp and kind.
//
// Errors: ErrInvalid (TsFrom after TsTo), ErrNotSupported (enable_versioning is off),
// ErrWriteOnly, ErrClosed, ErrNoMemory.
func (t *Txn) NewHistoryIterator(lo, hi []byte, opts ...HistoryOption) (*Iterator, error) {
	return t.newHistoryIterator("NewHistoryIterator", lo, hi, newIterConfig(opts))
}

func (t *Txn) newHistoryIterator(op string, lo, hi []byte, cfg iterConfig) (*Iterator, error) {
	var c *C.skv_iter
	err := t.do(op, func(tc *C.skv_txn) C.gskv_rc {
		lp, ll := bytesArg(lo)
		hp, hl := bytesArg(hi)
		return C.gskv_txn_history(tc, lp, ll, cbool(lo != nil), hp, hl, cbool(hi != nil),
			C.uint64_t(cfg.tsFrom), C.uint64_t(cfg.tsTo), cfg.flags, C.size_t(cfg.limit), &c)
	})
	if err != nil {
		return nil, err
	}
	hcfg := cfg
	hcfg.limit = 0 // the engine applies it
	return newIteratorHandle(c, t, hcfg), nil
}

// History returns an iterator over the versions of the keys in [lo, hi), as
// NewHistoryIterator orders and selects them, each with its key, value, timestamp and kind,
// one call into the engine per version. An error that stops the loop early (ErrNotSupported,
// ErrInvalid, ErrClosed, ...) is reported by txn.Err afterwards.
//
//	for v := range txn.History([]byte("k"), nil, skv.TsFrom(t0)) {
//		fmt.Println(string(v.Key), v.Timestamp, v.Kind, string(v.Value))
//	}
func (t *Txn) History(lo, hi []byte, opts ...HistoryOption) iter.Seq[HistoryEntry] {
	cfg := newIterConfig(opts)
	return func(yield func(HistoryEntry) bool) {
		it, err := t.newHistoryIterator("History", lo, hi, cfg)
		t.setErr(err)
		if err != nil {
			return
		}
		defer it.Close()
		for v, ok := it.historyStep(C.GSKV_FIRST); ok; v, ok = it.historyStep(C.GSKV_NEXT) {
			if !yield(v) {
				return
			}
		}
		t.setErr(it.Err())
	}
}

// historyStep moves and reads the version there in one call.
func (it *Iterator) historyStep(which C.int) (HistoryEntry, bool) {
	c, err := it.lock("History")
	if err != nil {
		return HistoryEntry{}, false
	}
	defer it.mu.Unlock()
	r := C.gskv_history_step(c, which)
	switch r.rc {
	case C.SKV_OK:
		it.setErr(nil)
		buf := make([]byte, int(r.kl+r.vl)) // one allocation for key and value
		copy(buf, unsafe.Slice((*byte)(r.k), int(r.kl)))
		copy(buf[r.kl:], unsafe.Slice((*byte)(r.v), int(r.vl)))
		return HistoryEntry{Key: buf[:r.kl:r.kl], Value: buf[r.kl:], Timestamp: uint64(r.ts),
			Kind: Kind(r.kind)}, true
	case C.SKV_NOTFOUND:
		it.setErr(nil)
	default:
		it.setErr(newError("History", r.rc, r.msg))
	}
	return HistoryEntry{}, false
}

// Version returns the timestamp and kind of the version a history iterator stands on; kind
// is 0 when the iterator is not positioned on a version or on an error (see Err; a plain
// iterator gives ErrInvalid).
func (it *Iterator) Version() (ts uint64, kind Kind) {
	c, err := it.lock("Version")
	if err != nil {
		return 0, 0
	}
	defer it.mu.Unlock()
	r := C.gskv_iter_version(c)
	switch r.rc {
	case C.SKV_OK:
		it.setErr(nil)
		return uint64(r.ts), Kind(r.kind)
	case C.SKV_NOTFOUND:
		it.setErr(nil)
	default:
		it.setErr(newError("Version", r.rc, r.msg))
	}
	return 0, 0
}
