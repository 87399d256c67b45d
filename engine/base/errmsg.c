/* errmsg.c — the thread-local detail message behind skv_errmsg(), and keys as messages show
 * them. */
#include <stdarg.h>
#include <stdio.h>

#include "base/base.h"

static _Thread_local char errmsg_buf[512];

int skv__err(int code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errmsg_buf, sizeof errmsg_buf, fmt, ap);
    va_end(ap);
    return code;
}

void skv__errmsg_clear(void) { errmsg_buf[0] = '\0'; }

const char *skv__errmsg_get(void) { return errmsg_buf; }

void skv__key_printable(char *out, size_t cap, const void *key, size_t klen) {
    const unsigned char *k = key;
    size_t o = 0;
    for (size_t i = 0; i < klen && i < 32 && o + 5 < cap; i++) {
        if (k[i] >= 32 && k[i] < 127)
            out[o++] = (char)k[i];
        else
            o += (size_t)snprintf(out + o, cap - o, "\\x%02x", k[i]);
    }
    if (klen > 32 && o + 4 < cap) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
}
