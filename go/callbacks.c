/* callbacks.c — the C functions the engine calls back (async-commit completion, scan entries),
 * forwarding to the Go functions exported by callback.go. The user_data they receive is a
 * cgo.Handle number, never a Go pointer. */
#include <stddef.h>
#include <stdint.h>

#include "_cgo_export.h"

void gskv_commit_done(void *handle, int status) { goCommitDone((uintptr_t)handle, status); }

int gskv_scan_entry(void *handle, const void *k, size_t kl, const void *v, size_t vl) {
    return goScanEntry((uintptr_t)handle, (void *)k, kl, (void *)v, vl);
}
