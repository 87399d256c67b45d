// cgo.go — how cgo builds the package: the engine's sources (engine.c includes them all) and
// the header, compiled from this module; zstd and pthreads are linked from the system.

package skv

/*
#cgo CFLAGS: -I${SRCDIR}/../capi/include -I${SRCDIR}/../engine -DSKV_STATIC
#cgo LDFLAGS: -lzstd -lpthread
*/
import "C"
