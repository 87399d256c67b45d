// errors.go — the error type of the package: every engine error code becomes an *Error that
// carries the code's stable name, its number, the operation and the engine's detail message,
// and matches the code's sentinel (ErrConflict, ErrClosed, ...) with errors.Is.

package skv

/*
#include "shim.h"
*/
import "C"

import (
	"strings"
	"unsafe"
)

// Error is an error reported by the engine. Code is the stable name of the error code
// ("SKV_ECONFLICT"), the same in every language skv has a package for; Number is the code of
// skv.h (negative). Op names the method that failed ("Commit") and Detail is the engine's
// message about this failure (naming the option, file or offset involved); both are empty in
// the sentinels.
//
// Compare errors with errors.Is against the sentinels, never with ==:
//
//	if errors.Is(err, skv.ErrConflict) { /* retry the transaction */ }
type Error struct {
	Code   string
	Number int
	Op     string
	Detail string
}

// errorInfo is one row of the generated error table (abi_gen.go).
type errorInfo struct {
	number   int
	name     string
	text     string
	sentinel *Error
}

// Error formats the error as "skv: <op>: <text> (<code>): <detail>".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("skv: ")
	if e.Op != "" {
		b.WriteString(e.Op)
		b.WriteString(": ")
	}
	b.WriteString(textOf(e.Number))
	b.WriteString(" (")
	b.WriteString(e.Code)
	b.WriteString(")")
	if e.Detail != "" {
		b.WriteString(": ")
		b.WriteString(e.Detail)
	}
	return b.String()
}

// Is reports whether target is an *Error with the same code, so that errors.Is(err,
// skv.ErrClosed) holds for every ErrClosed the package returns, whatever its Op and Detail.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Number == e.Number
}

// ErrorName returns the stable name of an skv.h error code ("SKV_ECONFLICT", "SKV_OK"), or
// "SKV_UNKNOWN" for a number that is no code. It asks the library (skv_errname).
func ErrorName(code int) string {
	return C.GoString(C.skv_errname(C.int(code)))
}

// ErrorText returns the library's fixed English text for an error code (skv_strerror);
// "unknown error" for a number that is no code.
func ErrorText(code int) string {
	return C.GoString(C.skv_strerror(C.int(code)))
}

// textOf is ErrorText from the generated table, without a call into the library.
func textOf(code int) string {
	for i := range errorTable {
		if errorTable[i].number == code {
			return errorTable[i].text
		}
	}
	return ErrorText(code)
}

// LookupError returns the sentinel of an error name ("SKV_ECONFLICT" gives ErrConflict), the
// name every skv package and the conformance suite use; ok is false for an unknown name and
// for "SKV_OK".
func LookupError(name string) (sentinel *Error, ok bool) {
	for i := range errorTable {
		if errorTable[i].name == name && errorTable[i].sentinel != nil {
			return errorTable[i].sentinel, true
		}
	}
	return nil, false
}

// sentinelOf returns the sentinel of an error code, or nil for SKV_OK and unknown numbers.
func sentinelOf(code int) *Error {
	if code < 0 && -code < len(errorTable) && errorTable[-code].number == code {
		return errorTable[-code].sentinel // the table is in code order: -1, -2, ...
	}
	for i := range errorTable {
		if errorTable[i].number == code {
			return errorTable[i].sentinel
		}
	}
	return nil
}

// newError makes the error of a failed call from its code and the message the shim copied
// (which it frees). op names the Go method.
func newError(op string, code C.int, msg *C.char) *Error {
	detail := ""
	if msg != nil {
		detail = C.GoString(msg)
		C.free(unsafe.Pointer(msg))
	}
	n := int(code)
	var name string
	if s := sentinelOf(n); s != nil {
		name = s.Code
	} else {
		name = ErrorName(n)
	}
	return &Error{Code: name, Number: n, Op: op, Detail: detail}
}

// check turns a shim result into nil or an *Error.
func check(op string, r C.gskv_rc) error {
	if r.rc == C.SKV_OK {
		return nil
	}
	return newError(op, r.rc, r.msg)
}

// closedError is the error of a call on a handle this package has already released (a
// committed or rolled-back transaction, a closed iterator or database).
func closedError(op, what string) error {
	return &Error{Code: ErrClosed.Code, Number: ErrClosed.Number, Op: op, Detail: what}
}

// busyError is the error of a call on a transaction or iterator that is serving another call.
func busyError(op, what string) error {
	return &Error{Code: ErrBusy.Code, Number: ErrBusy.Number, Op: op,
		Detail: "the " + what + " is serving another call (it serves one call at a time)"}
}
