/*
 * capi.h — what the public API layer shares between its files: the option set behind
 * skv_options and the argument checks every entry point makes.
 */
#ifndef SKV_CAPI_H
#define SKV_CAPI_H

#include "base/base.h"
#include "db/db.h"

struct skv_options {
    SkvDbOptions o;
};

#endif /* SKV_CAPI_H */
