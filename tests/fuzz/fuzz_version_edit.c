/* fuzz_version_edit.c — libFuzzer target for the manifest's version-edit decoder: any input
 * either fails to decode with SKV_ECORRUPT, or decodes to an edit whose encoding decodes
 * again to the same encoding (a round trip); never a crash, an over-read or a leak. */
#include "base/base.h"
#include "manifest/manifest.h"

#include "fuzz_main.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    SkvVersionEdit e, again;
    skv__edit_init(&e);
    skv__edit_init(&again);
    int rc = skv__edit_decode(&e, data, size);
    if (rc != SKV_OK && rc != SKV_ECORRUPT && rc != SKV_ENOMEM) abort();
    if (rc == SKV_OK) {
        uint8_t *enc = NULL, *enc2 = NULL;
        size_t n = 0, n2 = 0;
        if (skv__edit_encode(&e, &enc, &n) == SKV_OK) {
            if (skv__edit_decode(&again, enc, n) != SKV_OK) abort();
            if (skv__edit_encode(&again, &enc2, &n2) != SKV_OK || n2 != n ||
                memcmp(enc, enc2, n) != 0)
                abort();
        }
        free(enc);
        free(enc2);
    }
    skv__edit_free(&e);
    skv__edit_free(&again);
    return 0;
}
