/* fuzz_wal_replay.c — libFuzzer target for log replay: the input is a segment file on memfs.
 * Replay in every mode must end in SKV_OK or SKV_ECORRUPT, never crash or over-read; when the
 * tolerant replay succeeds, the file cut at the valid end it reports replays with no damage
 * at all (absolute mode) and delivers the same records. */
#include "base/base.h"
#include "env/env.h"
#include "wal/wal.h"

#include "fuzz_main.h"

typedef struct {
    size_t count;
    uint64_t digest;
} FuzzRecords;

static int fuzz_record(void *ud, const void *rec, size_t n) {
    FuzzRecords *r = ud;
    r->count++;
    r->digest = r->digest * 31 + skv__fingerprint(rec, n);
    return 0;
}

static int fuzz_replay(SkvEnv *env, int mode, int is_last, FuzzRecords *r, uint64_t *end) {
    int rc = skv__wal_replay(env, "/seg.log", mode, is_last, fuzz_record, r, end);
    if (rc != SKV_OK && rc != SKV_ECORRUPT && rc != SKV_ENOMEM) abort();
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    SkvMemFs *fs = skv__memfs_new();
    SkvEnv *env = skv__memfs_env(fs);
    SkvFile *f;
    if (env->open(env, "/seg.log", SKV_ENV_TRUNCATE, &f) != SKV_OK) abort();
    if (size && env->append(f, data, size) != SKV_OK) abort();
    FuzzRecords tolerant = {0, 0}, other = {0, 0};
    uint64_t end = 0, end2 = 0;
    int rc = fuzz_replay(env, SKV_WAL_TOLERATE_TAIL, 1, &tolerant, &end);
    fuzz_replay(env, SKV_WAL_TOLERATE_TAIL, 0, &other, &end2);
    fuzz_replay(env, SKV_WAL_ABSOLUTE, 1, &other, &end2);
    if (rc == SKV_OK) {
        if (end > size) abort();
        FuzzRecords cut = {0, 0};
        if (env->truncate(f, end) != SKV_OK) abort();
        if (fuzz_replay(env, SKV_WAL_ABSOLUTE, 1, &cut, &end2) != SKV_OK) abort();
        if (cut.count != tolerant.count || cut.digest != tolerant.digest || end2 != end) abort();
    }
    env->close(f);
    skv__memfs_free(fs);
    return 0;
}
