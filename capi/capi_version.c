/* capi_version.c — version numbers, error names and texts, the error detail, skv_free. */
#include <stdlib.h>

#include "base/base.h"

unsigned skv_version_number(void) { return SKV_VERSION_NUMBER; }

const char *skv_version_string(void) { return SKV_VERSION_STRING; }

unsigned skv_abi_version(void) { return SKV_ABI_VERSION; }

const char *skv_errname(int code) {
    switch (code) {
    case SKV_OK: return "SKV_OK";
#define CAPI_ERRNAME(name, num, text)                                                              \
    case SKV_##name: return "SKV_" #name;
        SKV_ERRNO_MAP(CAPI_ERRNAME)
#undef CAPI_ERRNAME
    default: return "SKV_UNKNOWN";
    }
}

const char *skv_strerror(int code) {
    switch (code) {
    case SKV_OK: return "success";
#define CAPI_STRERROR(name, num, text)                                                             \
    case SKV_##name: return text;
        SKV_ERRNO_MAP(CAPI_STRERROR)
#undef CAPI_STRERROR
    default: return "unknown error";
    }
}

const char *skv_errmsg(void) { return skv__errmsg_get(); }

void skv_free(void *p) { free(p); }
