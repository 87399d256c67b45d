// options.go — engine options passed to Open by their C names (the option table of skv.h),
// so every option of the engine is reachable without a change to this package.

package skv

/*
#include "shim.h"
*/
import "C"

import "unsafe"

// Option is one engine option given to Open. Build it with WithOption.
type Option struct {
	name, value string
}

// WithOption sets an engine option by the name skv.h documents for skv_options_set
// ("max_memtable_size", "compression", "enable_versioning", ...), its value as text: sizes
// are plain byte counts, booleans "true" or "false". An unknown name or a bad value makes
// Open fail with ErrInvalid, whose Detail names the option.
//
//	db, err := skv.Open(dir, skv.WithOption("block_cache_capacity", "268435456"))
func WithOption(name, value string) Option { return Option{name, value} }

// CheckOptions builds the engine's option set from opts without opening anything: nil when
// Open would accept them, otherwise the first failure (ErrInvalid naming the option).
func CheckOptions(opts ...Option) error {
	o, err := buildOptions("CheckOptions", opts)
	if o != nil {
		C.skv_options_free(o)
	}
	return err
}

// buildOptions makes an skv_options in option order; the caller frees it. On failure it
// returns nil and the first error.
func buildOptions(op string, opts []Option) (*C.skv_options, error) {
	var o *C.skv_options
	if err := check(op, C.gskv_options_new(&o)); err != nil {
		return nil, err
	}
	for _, opt := range opts {
		name, value := C.CString(opt.name), C.CString(opt.value)
		r := C.gskv_options_set(o, name, value)
		C.free(unsafe.Pointer(name))
		C.free(unsafe.Pointer(value))
		if err := check(op, r); err != nil {
			C.skv_options_free(o)
			return nil, err
		}
	}
	return o, nil
}
