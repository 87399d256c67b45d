/*
 * model_run.h — what the randomized model tests share: running a test over its seeds (or the
 * one in SKV_SEED, to replay a failure) and checking that their writes really reached tables.
 * Include after test.h.
 */
#ifndef SKV_TEST_MODEL_RUN_H
#define SKV_TEST_MODEL_RUN_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "skv.h"

/* Runs run_seed(SKV_SEED) when the variable is set, else seeds 1..nseeds, stopping at the
 * first seed that fails (and naming it, so it can be replayed). */
static inline void model_run_seeds(void (*run_seed)(uint64_t), uint64_t nseeds) {
    const char *s = getenv("SKV_SEED");
    if (s) {
        run_seed(strtoull(s, NULL, 10));
        return;
    }
    for (uint64_t seed = 1; seed <= nseeds; seed++) {
        int before = test_failures_;
        run_seed(seed);
        if (test_failures_ != before) {
            fprintf(stderr, "failed with SKV_SEED=%llu\n", (unsigned long long)seed);
            return;
        }
    }
}

/* The number of levels holding at least one table (from the "level-files" property), or -1
 * when the property cannot be read. */
static inline int model_levels_with_tables(skv_db *db) {
    char *files;
    if (skv_property(db, "level-files", &files) != SKV_OK) return -1;
    int n = 0;
    for (char *p = files; *p; p++) n += *p != ' ' && (p == files || p[-1] == ' ') && atoi(p);
    skv_free(files);
    return n;
}

#endif /* SKV_TEST_MODEL_RUN_H */
