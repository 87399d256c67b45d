/*
 * db_recover.c — rebuilding the memtables from the write-ahead log at open: every segment the
 * manifest still needs (number >= its log number), in number order, each commit record
 * applied with its own sequence numbers; a torn tail of the last segment is cut off so that
 * later segments never follow a damaged one. Older segments are leftovers and are removed.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "db/db.h"

char *skv__db_wal_path_in(const char *wal_dir, uint64_t n) {
    size_t len = strlen(wal_dir) + 32;
    char *p = malloc(len);
    if (p) snprintf(p, len, "%s/%020" PRIu64 ".log", wal_dir, n);
    return p;
}

char *skv__db_wal_path(const skv_db *db, uint64_t n) { return skv__db_wal_path_in(db->wal_dir, n); }

int skv__db_parse_wal_name(const char *name, uint64_t *n) {
    char *end;
    if (strlen(name) != 24 || name[0] < '0' || name[0] > '9') return 0;
    unsigned long long x = strtoull(name, &end, 10);
    if (end != name + 20 || strcmp(end, ".log") != 0) return 0;
    *n = x;
    return 1;
}

typedef struct {
    skv_db *db;
    SkvMemtable **mems; /* oldest first */
    size_t n, cap;
    const char *path;
    uint64_t next;    /* the sequence after the last record replayed */
    uint64_t last_ts; /* the highest commit timestamp replayed */
} RecoverState;

static int recover_new_mem(RecoverState *st) {
    if (st->n == st->cap) {
        size_t cap = st->cap ? st->cap * 2 : 4;
        SkvMemtable **m = realloc(st->mems, cap * sizeof *m);
        if (!m) return SKV_ENOMEM;
        st->mems = m;
        st->cap = cap;
    }
    if (!(st->mems[st->n] = skv__mem_new())) return SKV_ENOMEM;
    st->n++;
    return SKV_OK;
}

/* Prefixes the thread's error message with the segment's path. */
static int recover_fail(const RecoverState *st, int rc) {
    char detail[400];
    snprintf(detail, sizeof detail, "%s", skv__errmsg_get());
    return skv__err(rc, "%s: %s", st->path, detail);
}

static int recover_record(void *ud, const void *rec, size_t len) {
    RecoverState *st = ud;
    skv_db *db = st->db;
    SkvBatchReader r;
    int rc = skv__batch_open(&r, rec, len);
    if (rc) return recover_fail(st, rc);
    if (r.first_seq < st->next || r.count == 0)
        return skv__err(SKV_ECORRUPT,
                        "%s: commit record with sequence %" PRIu64 " after sequence %" PRIu64,
                        st->path, r.first_seq, st->next - 1);
    if (skv__mem_bytes(st->mems[st->n - 1]) >= db->opt.max_memtable_size &&
        (rc = recover_new_mem(st)))
        return rc;
    SkvMemtable *m = st->mems[st->n - 1];
    SkvWrite w;
    uint64_t seq;
    while ((rc = skv__batch_next(&r, &w, &seq)) == SKV_OK) {
        if (w.ts != r.commit_ts) skv__mem_note_ts_unordered(m); /* an explicit timestamp */
        if ((rc = skv__mem_add(m, seq, w.kind, w.ts, w.key, w.klen, w.val, w.vlen))) return rc;
    }
    if (rc != SKV_NOTFOUND) return recover_fail(st, rc);
    st->next = r.first_seq + r.count;
    if (r.commit_ts > st->last_ts) st->last_ts = r.commit_ts;
    return SKV_OK;
}

static int recover_cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The numbers of the segment files in the log directory, sorted. */
static int recover_list(skv_db *db, const char *wal_dir, uint64_t **nums, size_t *count) {
    char **names;
    size_t n;
    int rc = db->env->list(db->env, wal_dir, &names, &n);
    if (rc) return rc;
    uint64_t *v = malloc((n ? n : 1) * sizeof *v);
    size_t m = 0;
    if (!v) {
        skv__env_free_list(names, n);
        return SKV_ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        if (skv__db_parse_wal_name(names[i], &v[m])) m++;
    skv__env_free_list(names, n);
    qsort(v, m, sizeof *v, recover_cmp_u64);
    *nums = v;
    *count = m;
    return SKV_OK;
}

static int recover_cut_tail(skv_db *db, const char *path, uint64_t valid_end) {
    SkvFile *f;
    uint64_t size;
    int rc = db->env->open(db->env, path, SKV_ENV_APPEND, &f);
    if (rc) return rc;
    if (!(rc = db->env->size(f, &size)) && size > valid_end &&
        !(rc = db->env->truncate(f, valid_end)))
        rc = db->env->sync(f);
    int rc2 = db->env->close(f);
    return rc ? rc : rc2;
}

void skv__db_replay_free(SkvLogReplay *r) {
    for (size_t i = 0; i < r->n; i++) skv__mem_unref(r->mems[i]);
    free(r->mems);
    memset(r, 0, sizeof *r);
}

int skv__db_replay_log(skv_db *db, const char *wal_dir, uint64_t log_number, int cut_tail,
                       SkvLogReplay *out) {
    RecoverState st = {.db = db};
    uint64_t *nums = NULL;
    size_t count = 0, first = 0;
    memset(out, 0, sizeof *out);
    int rc = recover_new_mem(&st);
    if (!rc) rc = recover_list(db, wal_dir, &nums, &count);
    while (first < count && nums[first] < log_number) first++;
    for (size_t i = first; !rc && i < count; i++) {
        char *path = skv__db_wal_path_in(wal_dir, nums[i]);
        uint64_t valid_end = 0;
        if (!path) {
            rc = SKV_ENOMEM;
            break;
        }
        st.path = path;
        int last = i + 1 == count;
        rc = skv__wal_replay(db->env, path, db->opt.wal_recovery_mode, last, recover_record, &st,
                             &valid_end);
        if (!rc && last && cut_tail) rc = recover_cut_tail(db, path, valid_end);
        free(path);
    }
    out->mems = st.mems;
    out->n = st.n;
    out->next_seq = st.next;
    out->last_ts = st.last_ts;
    out->last_wal = count ? nums[count - 1] : 0;
    free(nums);
    if (rc) skv__db_replay_free(out);
    return rc;
}

int skv__db_recover(skv_db *db, SkvMemtable ***mems, size_t *nmems) {
    uint64_t log_number = skv__vset_log_number(db->vset);
    SkvLogReplay r;
    int rc = skv__db_replay_log(db, db->wal_dir, log_number, 1, &r);
    if (rc) return rc;
    db->next_seq = skv__vset_last_seq(db->vset) + 1;
    db->last_ts = skv__vset_last_ts(db->vset);
    if (r.next_seq > db->next_seq) db->next_seq = r.next_seq;
    if (r.last_ts > db->last_ts) db->last_ts = r.last_ts;
    /* segments below the log number are leftovers */
    skv__db_delete_segments(db, log_number);
    db->wal_number = r.last_wal;
    if (log_number > db->wal_number + 1) db->wal_number = log_number - 1;
    *mems = r.mems;
    *nmems = r.n;
    return SKV_OK;
}
