/* errmsg.c — the thread-local detail message behind skv_errmsg(). */
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
