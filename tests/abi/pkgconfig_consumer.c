/*
 * pkgconfig_consumer.c — a program outside the build, written only against the installed
 * skv.h and linked with the flags of the installed skv.pc (tests/abi/check_pkgconfig.sh
 * builds and runs it). It checks the run-time ABI version, then opens a database in a fresh
 * temporary directory, sets a key, commits, reads it back in a new transaction, checks the
 * value and closes. Exit status 0 on success.
 */
#include <skv.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const char *what, int rc) {
    char msg[512]; /* skv_errmsg() is valid only until the next skv call: copy it first */
    snprintf(msg, sizeof msg, "%s", skv_errmsg());
    fprintf(stderr, "pkgconfig_consumer: %s: %s: %s\n", what, skv_errname(rc), msg);
    return 1;
}

int main(int argc, char **argv) {
    char tmpl[] = "/tmp/skv-pkgconfig-XXXXXX";
    const char *dir = argc > 1 ? argv[1] : mkdtemp(tmpl);
    if (dir == NULL) {
        perror("mkdtemp");
        return 1;
    }
    if (skv_abi_version() != SKV_ABI_VERSION) {
        fprintf(stderr, "pkgconfig_consumer: library ABI %u, header ABI %d\n", skv_abi_version(),
                SKV_ABI_VERSION);
        return 1;
    }
    if (skv_version_number() != SKV_VERSION_NUMBER ||
        strcmp(skv_version_string(), SKV_VERSION_STRING) != 0) {
        fprintf(stderr, "pkgconfig_consumer: library %s, header %s\n", skv_version_string(),
                SKV_VERSION_STRING);
        return 1;
    }

    skv_db *db = NULL;
    skv_txn *txn = NULL;
    int rc = skv_open(dir, NULL, &db);
    if (rc != SKV_OK) return fail("skv_open", rc);

    rc = skv_txn_begin(db, SKV_TXN_READ_WRITE, &txn);
    if (rc != SKV_OK) return fail("skv_txn_begin", rc);
    rc = skv_txn_set(txn, "hello", 5, "world", 5);
    if (rc != SKV_OK) return fail("skv_txn_set", rc);
    rc = skv_txn_commit(txn);
    if (rc != SKV_OK) return fail("skv_txn_commit", rc);
    skv_txn_free(txn);

    rc = skv_txn_begin(db, SKV_TXN_READ_ONLY, &txn);
    if (rc != SKV_OK) return fail("skv_txn_begin", rc);
    const void *val = NULL;
    size_t vlen = 0;
    rc = skv_txn_get(txn, "hello", 5, &val, &vlen);
    if (rc != SKV_OK) return fail("skv_txn_get", rc);
    if (vlen != 5 || memcmp(val, "world", 5) != 0) {
        fprintf(stderr, "pkgconfig_consumer: read back %.*s, expected world\n", (int)vlen,
                (const char *)val);
        return 1;
    }
    rc = skv_txn_get(txn, "absent", 6, &val, &vlen);
    if (rc != SKV_NOTFOUND) return fail("skv_txn_get(absent)", rc);
    skv_txn_free(txn);

    rc = skv_close(db);
    if (rc != SKV_OK) return fail("skv_close", rc);
    printf("pkgconfig_consumer: OK (skv %s, ABI %u)\n", skv_version_string(), skv_abi_version());
    return 0;
}
