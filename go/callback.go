// callback.go — the Go functions the engine calls back through callbacks.c: the completion of
// an asynchronous commit and the entries of a scan. Both find their Go state through a
// cgo.Handle number, so no Go pointer is ever stored in C memory.

package skv

/*
#include <stddef.h>
#include <stdint.h>
*/
import "C"

import (
	"runtime/cgo"
	"unsafe"
)

// goCommitDone runs once per successful skv_txn_commit_async, on an engine thread, and hands
// the commit's result to the function given to CommitAsyncFunc.
//
//export goCommitDone
func goCommitDone(handle C.uintptr_t, status C.int) {
	h := cgo.Handle(handle)
	done := h.Value().(func(error))
	h.Delete()
	if status == 0 {
		done(nil)
		return
	}
	done(newError("CommitAsync", status, nil))
}

// scanState is what a Scan's callback needs: the function and a panic to re-raise.
type scanState struct {
	fn       func(key, value []byte) bool
	panicked bool
	panicVal any
}

// goScanEntry runs on the scanning goroutine inside skv_txn_scan, once per entry; a non-zero
// return stops the scan. A panic of the function stops the scan and is raised again by Scan
// after the engine has released the scan's iterator.
//
//export goScanEntry
func goScanEntry(handle C.uintptr_t, k unsafe.Pointer, kl C.size_t, v unsafe.Pointer, vl C.size_t) (stop C.int) {
	s := cgo.Handle(handle).Value().(*scanState)
	defer func() {
		if r := recover(); r != nil {
			s.panicked, s.panicVal = true, r
			stop = 1
		}
	}()
	if s.fn(goBytes(k, kl), goBytes(v, vl)) {
		return 0
	}
	return 1
}
