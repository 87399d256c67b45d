/*
 * test.h — the minimal C test harness: CHECK macros that report file:line and the failing
 * expression, and a main() driver over a table of test functions. A test file defines
 * `static const TestCase TESTS[] = {{"name", fn}, ..., {0, 0}};` and uses TEST_MAIN(TESTS).
 * The driver runs every test (or those named on the command line), prints a line each and
 * a closing "N passed, N failed" line, and exits non-zero when any test failed.
 */
#ifndef SKV_TEST_H
#define SKV_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *name;
    void (*fn)(void);
} TestCase;

static int test_failures_ = 0;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);               \
            test_failures_++;                                                                      \
            return;                                                                                \
        }                                                                                          \
    } while (0)

/* CHECK_RC(expr, code): expr must return exactly code (compared by value, shown by name). */
#define CHECK_RC(expr, code)                                                                       \
    do {                                                                                           \
        int rc_ = (expr);                                                                          \
        if (rc_ != (code)) {                                                                       \
            fprintf(stderr, "%s:%d: %s returned %s (%d), expected %s: %s\n", __FILE__, __LINE__,   \
                    #expr, skv_errname(rc_), rc_, skv_errname(code), skv_errmsg());                \
            test_failures_++;                                                                      \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define CHECK_EQ_U64(a, b)                                                                         \
    do {                                                                                           \
        uint64_t a_ = (uint64_t)(a), b_ = (uint64_t)(b);                                           \
        if (a_ != b_) {                                                                            \
            fprintf(stderr, "%s:%d: %s == %" PRIu64 ", expected %" PRIu64 "\n", __FILE__,          \
                    __LINE__, #a, a_, b_);                                                         \
            test_failures_++;                                                                      \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define CHECK_MEM(p, n, s)                                                                         \
    do {                                                                                           \
        size_t n_ = (n);                                                                           \
        if (n_ != strlen(s) || memcmp((p), (s), n_) != 0) {                                        \
            fprintf(stderr, "%s:%d: %s is '%.*s', expected '%s'\n", __FILE__, __LINE__, #p,        \
                    (int)n_, (const char *)(p), (s));                                              \
            test_failures_++;                                                                      \
            return;                                                                                \
        }                                                                                          \
    } while (0)

static inline int test_run_all_(const TestCase *tests, int argc, char **argv) {
    int passed = 0, failed = 0;
    for (const TestCase *t = tests; t->name; t++) {
        if (argc > 1) {
            int wanted = 0;
            for (int i = 1; i < argc; i++) wanted |= strcmp(argv[i], t->name) == 0;
            if (!wanted) continue;
        }
        int before = test_failures_;
        t->fn();
        if (test_failures_ == before) {
            passed++;
            printf("ok   %s\n", t->name);
        } else {
            failed++;
            printf("FAIL %s\n", t->name);
        }
        fflush(stdout);
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}

#define TEST_MAIN(table)                                                                           \
    int main(int argc, char **argv) { return test_run_all_(table, argc, argv); }

#endif /* SKV_TEST_H */
