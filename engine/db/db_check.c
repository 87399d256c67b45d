/*
 * db_check.c — the integrity check (skv_check, skv_check_dir, `skv check`): the format marker,
 * the manifest (CURRENT, every edit's checksum, and for an open database its agreement with
 * the version in memory), every data file the manifest names (present, with the recorded
 * size and metadata, every block checksum and key order through skv__sst_verify), the level
 * invariants (level 0 newest first with disjoint sequence ranges, deeper levels sorted and
 * non-overlapping), every value pointer of those tables (db_check_vlog.c: the value-log file
 * exists, the record lies inside it, its header, checksums, key and value length are right),
 * the value-log files the tables reference, data files the manifest does not name (orphans:
 * listed, harmless), and every record of the log segments still needed (checksums, record
 * decoding, rising sequence numbers). It reads only: the report lists every problem, the
 * result names the first.
 *
 * An open database is checked as of one moment: with the commit pipeline held and background
 * work paused the view is captured, the directory listed and the manifest read back; then
 * everything is read with writers running again (the captured tables and log segments stay
 * on disk until the check ends; the last segment is checked up to the captured length).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "db/db_check.h"
#include "db/db_vlog.h"

static void chk_vappend(ChkCtx *c, const char *prefix, const char *fmt, va_list ap)
    SKV_PRINTF(3, 0);
static void chk_vappend(ChkCtx *c, const char *prefix, const char *fmt, va_list ap) {
    char line[768];
    int n = snprintf(line, sizeof line, "%s", prefix);
    if (n < 0) n = 0;
    vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    size_t add = strlen(line) + 1;
    if (c->len + add + 1 > c->cap) {
        size_t cap = c->cap ? c->cap : 1024;
        while (c->len + add + 1 > cap) cap *= 2;
        char *t = realloc(c->text, cap);
        if (!t) {
            c->oom = 1;
            return;
        }
        c->text = t;
        c->cap = cap;
    }
    memcpy(c->text + c->len, line, add - 1);
    c->len += add;
    c->text[c->len - 1] = '\n';
    c->text[c->len] = '\0';
}

void skv__chk_line(ChkCtx *c, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    chk_vappend(c, "", fmt, ap);
    va_end(ap);
}

static void chk_note(ChkCtx *c, const char *fmt, ...) SKV_PRINTF(2, 3);
static void chk_note(ChkCtx *c, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    chk_vappend(c, "note: ", fmt, ap);
    va_end(ap);
}

void skv__chk_problem(ChkCtx *c, int rc, const char *fmt, ...) {
    va_list ap;
    c->problems++;
    if (!c->first_rc) {
        c->first_rc = rc;
        va_start(ap, fmt);
        vsnprintf(c->first, sizeof c->first, fmt, ap);
        va_end(ap);
    }
    va_start(ap, fmt);
    chk_vappend(c, "problem: ", fmt, ap);
    va_end(ap);
}

static char *chk_join(const char *dir, const char *name) {
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s/%s", dir, name);
    return p;
}

static int chk_cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* ---- tables ---- */

static void chk_sst_problem(void *ud, int rc) { skv__chk_problem(ud, rc, "%s", skv__errmsg_get()); }

/* Each entry's kind; an entry whose value is kept in the value log must point at an intact
 * record of the same key in one of the version's value-log files (db_check_vlog.c). Any other
 * kind is damage. */
static int chk_value_pointer(void *ud, const SkvSstEntry *e) {
    ChkCtx *c = ud;
    switch (e->kind) {
    case SKV_KIND_VALUE:
    case SKV_KIND_REPLACE:
        if (e->vptr) skv__chk_vlog_pointer(c, e);
        return SKV_OK;
    case SKV_KIND_DELETE:
    case SKV_KIND_SOFT_DELETE: return SKV_OK;
    default:
        skv__chk_problem(c, SKV_ECORRUPT, "entry with sequence %" PRIu64 " has unknown kind %d",
                         e->seq, e->kind);
        return SKV_OK;
    }
}

/* The metadata the manifest records against the table's own properties. */
static const char *chk_meta_differs(const SkvFileMeta *f, const SkvSstProps *p) {
    if (f->entries != p->entries) return "entry count";
    if (f->min_seq != p->min_seq || f->max_seq != p->max_seq) return "sequence range";
    if (skv__key_cmp(f->smallest, f->smallest_len, p->smallest, p->smallest_len) != 0 ||
        skv__key_cmp(f->largest, f->largest_len, p->largest, p->largest_len) != 0)
        return "key range";
    return NULL;
}

/* One data file the manifest names: present, with the size it records. Returns its path
 * (malloc'ed) when it is there, else NULL. */
static char *chk_data_file(ChkCtx *c, const SkvDataFile *d) {
    char *path = chk_join(c->dir, d->name);
    if (!path) {
        c->oom = 1;
        return NULL;
    }
    SkvFile *file;
    uint64_t size = 0;
    int rc = c->env->open(c->env, path, SKV_ENV_READ, &file);
    if (rc == SKV_NOTFOUND) {
        skv__chk_problem(c, SKV_ECORRUPT, "%s (level %d) named by the manifest is missing", path,
                         d->level);
        free(path);
        return NULL;
    }
    if (!rc) {
        rc = c->env->size(file, &size);
        c->env->close(file);
    }
    if (rc) {
        skv__chk_problem(c, rc, "%s", skv__errmsg_get());
        free(path);
        return NULL;
    }
    if (size != d->size)
        skv__chk_problem(c, SKV_ECORRUPT, "%s has %" PRIu64 " bytes, the manifest records %" PRIu64,
                         path, size, d->size);
    return path;
}

/* A table in full: its metadata against the manifest's, every block (skv__sst_verify). */
static void chk_table(ChkCtx *c, const SkvDataFile *d, const char *path) {
    const SkvFileMeta *f = d->table;
    SkvSstReader *r = NULL;
    c->tables++;
    int rc = skv__sst_open(c->env, path, f->number, NULL, &r);
    if (rc) {
        skv__chk_problem(c, rc, "%s", skv__errmsg_get());
        return;
    }
    const char *what = chk_meta_differs(f, skv__sst_props(r));
    if (what)
        skv__chk_problem(c, SKV_ECORRUPT, "table %s: the manifest's %s disagrees with the table",
                         path, what);
    SkvSstVerify v = {.problem = chk_sst_problem, .entry = chk_value_pointer, .ud = c};
    skv__chk_vlog_table_begin(c, path);
    if (skv__sst_verify(r, &v) == SKV_ENOMEM) c->oom = 1;
    skv__chk_vlog_table_end(c, skv__sst_props(r));
    c->blocks += v.blocks;
    c->entries += v.entries;
    skv__chk_line(c,
                  "table %s (level %d): %" PRIu64 " bytes, %" PRIu64 " blocks, %" PRIu64 " entries",
                  d->name, d->level, skv__sst_props(r)->size, v.blocks, v.entries);
    skv__sst_close(r);
}

/* Level 0 newest first (by sequence, with disjoint ranges: a read takes the first file that
 * holds a key), deeper levels sorted by key and non-overlapping. */
static void chk_levels(ChkCtx *c, const SkvVersion *v) {
    for (int l = 0; l < v->nlevels; l++)
        for (size_t i = 0; i < v->nfiles[l]; i++) {
            const SkvFileMeta *f = v->files[l][i], *p = i ? v->files[l][i - 1] : NULL;
            if (skv__key_cmp(f->smallest, f->smallest_len, f->largest, f->largest_len) > 0 ||
                f->min_seq > f->max_seq)
                skv__chk_problem(c, SKV_ECORRUPT,
                                 "level %d: table %" PRIu64
                                 " has its smallest key after its largest",
                                 l, f->number);
            if (!p) continue;
            if (l == 0 && p->min_seq <= f->max_seq)
                skv__chk_problem(c, SKV_ECORRUPT,
                                 "level 0: table %" PRIu64 " (sequences %" PRIu64 "..%" PRIu64
                                 ") is listed before table %" PRIu64 " (sequences %" PRIu64
                                 "..%" PRIu64 ") but is not newer",
                                 p->number, p->min_seq, p->max_seq, f->number, f->min_seq,
                                 f->max_seq);
            if (l > 0 &&
                skv__key_cmp(p->largest, p->largest_len, f->smallest, f->smallest_len) >= 0)
                skv__chk_problem(c, SKV_ECORRUPT,
                                 "level %d: tables %" PRIu64 " and %" PRIu64
                                 " overlap or are out of order",
                                 l, p->number, f->number);
        }
}

/* The levels, then every data file of the version (skv__db_data_files): a table present with
 * its recorded size and in full (its value pointers too), then the value-log files the tables
 * reference. vl: the open database's value-log notes (NULL: from the tables' properties). */
static void chk_version(ChkCtx *c, const SkvVersion *v, SkvDbVlog *vl) {
    chk_levels(c, v);
    SkvDataFile *files;
    size_t n;
    if (skv__db_data_files(c->env, c->dir, v, vl, &files, &n)) {
        c->oom = 1;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (files[i].vlog) continue;
        char *path = chk_data_file(c, &files[i]);
        if (path && files[i].table) chk_table(c, &files[i], path);
        free(path);
    }
    for (size_t i = 0; i < n; i++)
        if (files[i].vlog) skv__chk_vlog_file(c, &files[i]);
    free(files);
}

/* Data files in the directory that nothing needs (known: sorted numbers). They are listed,
 * not counted as problems: a crash leaves them behind (a table written but not yet named),
 * and so does a compaction whose inputs a reader still held when the database closed; the
 * database deletes them (an open database after its next flush or compaction, or at the next
 * open) and never reads them. */
static void chk_orphans(ChkCtx *c, char **names, size_t n, const uint64_t *known, size_t nknown) {
    uint64_t num;
    for (size_t i = 0; i < n; i++)
        if (skv__db_parse_data_name(names[i], &num) &&
            !bsearch(&num, known, nknown, sizeof *known, chk_cmp_u64)) {
            c->orphans++;
            skv__chk_line(c, "orphan: %s/%s is not named by the manifest (the database deletes it)",
                          c->dir, names[i]);
        }
}

/* ---- the log ---- */

static int chk_record(void *ud, const void *rec, size_t len) {
    ChkCtx *c = ud;
    SkvBatchReader r;
    SkvWrite w;
    uint64_t seq;
    int rc = skv__batch_open(&r, rec, len);
    while (!rc && (rc = skv__batch_next(&r, &w, &seq)) == SKV_OK) {}
    if (rc != SKV_NOTFOUND) {
        char msg[400];
        snprintf(msg, sizeof msg, "%s", skv__errmsg_get());
        return skv__err(SKV_ECORRUPT, "%s: record %" PRIu64 ": %s", c->seg, c->records + 1, msg);
    }
    if (r.count == 0 || r.first_seq < c->next_seq)
        return skv__err(SKV_ECORRUPT,
                        "%s: record %" PRIu64 " has sequence %" PRIu64 " after sequence %" PRIu64,
                        c->seg, c->records + 1, r.first_seq, c->next_seq - 1);
    c->next_seq = r.first_seq + r.count;
    c->records++;
    return SKV_OK;
}

/* One segment. limit: the bytes known to hold whole commits (an open database's last
 * segment, still being written), or UINT64_MAX to judge the whole file by the recovery mode. */
static void chk_segment(ChkCtx *c, const char *wal_dir, uint64_t number, int last, uint64_t limit) {
    char *path = skv__db_wal_path_in(wal_dir, number);
    if (!path) {
        c->oom = 1;
        return;
    }
    c->seg = path;
    c->segments++;
    uint64_t before = c->records, valid_end = 0, size = 0;
    int mode = limit == UINT64_MAX ? c->mode : SKV_WAL_TOLERATE_TAIL;
    int rc = skv__wal_replay(c->env, path, mode, last, chk_record, c, &valid_end);
    SkvFile *f;
    if (!rc && c->env->open(c->env, path, SKV_ENV_READ, &f) == SKV_OK) {
        c->env->size(f, &size);
        c->env->close(f);
    }
    if (rc == SKV_ENOMEM)
        c->oom = 1;
    else if (rc)
        skv__chk_problem(c, rc, "%s", skv__errmsg_get());
    else if (limit != UINT64_MAX && valid_end < limit)
        skv__chk_problem(c, SKV_ECORRUPT,
                         "%s: damaged at offset %" PRIu64 ", inside committed records", path,
                         valid_end);
    else if (limit == UINT64_MAX && valid_end < size)
        chk_note(c,
                 "%s: torn tail: the %" PRIu64 " bytes after offset %" PRIu64
                 " are dropped at the next open",
                 path, size - valid_end, valid_end);
    skv__chk_line(c, "log %s: %" PRIu64 " records", path + strlen(wal_dir) + 1,
                  c->records - before);
    free(path);
    c->seg = NULL;
}

/* The segments of a closed database: those the manifest still needs, in number order. */
static void chk_log_dir(ChkCtx *c, const char *wal_dir, uint64_t log_number) {
    char **names;
    size_t n;
    int rc = c->env->list(c->env, wal_dir, &names, &n);
    if (rc == SKV_NOTFOUND) {
        skv__chk_problem(c, SKV_ECORRUPT, "%s: the log directory is missing", wal_dir);
        return;
    }
    if (rc) {
        skv__chk_problem(c, rc, "%s", skv__errmsg_get());
        return;
    }
    uint64_t *nums = malloc((n ? n : 1) * sizeof *nums);
    size_t m = 0;
    for (size_t i = 0; nums && i < n; i++)
        if (skv__db_parse_wal_name(names[i], &nums[m])) m++;
    skv__env_free_list(names, n);
    if (!nums) {
        c->oom = 1;
        return;
    }
    qsort(nums, m, sizeof *nums, chk_cmp_u64);
    for (size_t i = 0; i < m; i++) {
        if (nums[i] < log_number)
            chk_note(c,
                     "%s/%020" PRIu64 ".log: older than the manifest's log number (the next "
                     "open removes it)",
                     wal_dir, nums[i]);
        else
            chk_segment(c, wal_dir, nums[i], i + 1 == m, UINT64_MAX);
    }
    free(nums);
}

/* ---- the result ---- */

static int chk_finish(ChkCtx *c, char **report) {
    skv__chk_vlog_free(c);
    skv__chk_line(c,
                  "%" PRIu64 " tables, %" PRIu64 " blocks, %" PRIu64 " entries, %" PRIu64
                  " value-log files, %" PRIu64 " value pointers, %" PRIu64 " log segments, %" PRIu64
                  " records: %s%" PRIu64 " problem%s, %" PRIu64 " orphan%s",
                  c->tables, c->blocks, c->entries, c->vlog_files, c->pointers, c->segments,
                  c->records, c->problems ? "" : "clean, ", c->problems,
                  c->problems == 1 ? "" : "s", c->orphans, c->orphans == 1 ? "" : "s");
    if (c->oom) {
        free(c->text);
        return skv__err(SKV_ENOMEM, "skv_check: out of memory");
    }
    if (report)
        *report = c->text;
    else
        free(c->text);
    if (c->first_rc) return skv__err(c->first_rc, "%s", c->first);
    skv__errmsg_clear();
    return SKV_OK;
}

/* The format marker's state (rc and message of skv__db_read_format). */
static void chk_format(ChkCtx *c, int rc, const char *msg) {
    if (rc == SKV_NOTFOUND)
        skv__chk_problem(c, SKV_ECORRUPT, "%s/FORMAT: missing", c->dir);
    else if (rc)
        skv__chk_problem(c, rc, "%s", msg);
}

int skv__db_check_dir(SkvEnv *env, const char *dir, const SkvDbOptions *opt, char **report) {
    if (report) *report = NULL;
    ChkCtx c = {.env = env, .dir = dir, .mode = opt->wal_recovery_mode};
    int is_dir = 0;
    int rc = env->exists(env, dir, &is_dir);
    if (rc == SKV_NOTFOUND) return skv__err(SKV_NOTFOUND, "skv_check: %s does not exist", dir);
    if (rc) return rc;
    if (!is_dir) return skv__err(SKV_EINVAL, "skv_check: %s is not a directory", dir);
    char *lock_path = chk_join(dir, "LOCK"), *wal_dir = chk_join(dir, "wal");
    char *cur_path = chk_join(dir, "CURRENT");
    SkvFileLock *lock = NULL;
    if (!lock_path || !wal_dir || !cur_path) rc = SKV_ENOMEM;
    int format_rc = rc ? rc : skv__db_read_format(env, dir);
    char format_msg[512];
    snprintf(format_msg, sizeof format_msg, "%s", skv__errmsg_get());
    /* a directory with neither a format marker nor a manifest is no database */
    if (format_rc == SKV_NOTFOUND && env->exists(env, cur_path, NULL) == SKV_NOTFOUND)
        rc = skv__err(SKV_NOTFOUND, "skv_check: %s holds no database", dir);
    /* an open database has a LOCK file; taking the lock writes nothing when it exists (a
     * checkpoint never opened has none, and nothing can hold it) */
    if (!rc && env->exists(env, lock_path, NULL) == SKV_OK &&
        (rc = env->lock(env, lock_path, &lock)) == SKV_ELOCKED)
        rc = skv__err(SKV_ELOCKED, "skv_check: %s is open (check it through its handle)", dir);
    char **names = NULL;
    size_t n = 0;
    if (!rc) rc = env->list(env, dir, &names, &n);
    if (rc) {
        if (lock) env->unlock(lock);
        free(lock_path);
        free(wal_dir);
        free(cur_path);
        return rc;
    }
    skv__chk_line(&c, "check of %s", dir);
    chk_format(&c, format_rc, format_msg);
    SkvVersionSet *vs = NULL;
    if (format_rc == SKV_EVERSION) {
        /* a newer format: nothing else can be read */
    } else if ((rc = skv__vset_load(env, dir, opt->level_count, &vs))) {
        skv__chk_problem(&c, rc, "%s", skv__errmsg_get());
    } else {
        SkvVersion *v = skv__vset_current(vs);
        chk_version(&c, v, NULL);
        SkvDataFile *files = NULL;
        size_t nfiles = 0;
        uint64_t *known = NULL;
        if (skv__db_data_files(env, dir, v, NULL, &files, &nfiles) ||
            !(known = malloc((nfiles ? nfiles : 1) * sizeof *known))) {
            c.oom = 1;
        } else {
            for (size_t i = 0; i < nfiles; i++) known[i] = files[i].number;
            qsort(known, nfiles, sizeof *known, chk_cmp_u64);
            chk_orphans(&c, names, n, known, nfiles);
        }
        free(files);
        free(known);
        skv__version_unref(v);
        chk_log_dir(&c, wal_dir, skv__vset_log_number(vs));
        skv__vset_close(vs);
    }
    skv__env_free_list(names, n);
    if (lock) env->unlock(lock);
    free(lock_path);
    free(wal_dir);
    free(cur_path);
    return chk_finish(&c, report);
}

/* The on-disk manifest against the version in memory: the same files, level by level. */
static void chk_manifest_agrees(ChkCtx *c, const SkvVersion *mem, SkvVersionSet *disk) {
    SkvVersion *d = skv__vset_current(disk);
    for (int l = 0; l < mem->nlevels; l++) {
        int same = l < d->nlevels && d->nfiles[l] == mem->nfiles[l];
        for (size_t i = 0; same && i < mem->nfiles[l]; i++)
            same = d->files[l][i]->number == mem->files[l][i]->number &&
                   d->files[l][i]->size == mem->files[l][i]->size;
        if (!same)
            skv__chk_problem(c, SKV_ECORRUPT,
                             "level %d: the manifest on disk names other tables than the open "
                             "database uses",
                             l);
    }
    skv__version_unref(d);
}

int skv__db_check(skv_db *db, char **report) {
    if (report) *report = NULL;
    int rc = skv__db_maint_begin(db, "skv_check");
    if (rc) return rc;
    ChkCtx c = {.env = db->env, .dir = db->path, .mode = db->opt.wal_recovery_mode};
    SkvCapture cap = {0};
    char **names = NULL;
    size_t n = 0, nknown = 0;
    uint64_t *known = NULL;
    SkvVersionSet *disk = NULL;
    /* one moment: no commit, flush or compaction while the state is taken */
    skv__commit_hold(db);
    skv__bg_pause(db);
    skv__db_capture(db, &cap);
    int format_rc = skv__db_read_format(db->env, db->path);
    char format_msg[512], disk_msg[512] = "";
    snprintf(format_msg, sizeof format_msg, "%s", skv__errmsg_get());
    int disk_rc = skv__vset_load(db->env, db->path, db->opt.level_count, &disk);
    if (disk_rc) snprintf(disk_msg, sizeof disk_msg, "%s", skv__errmsg_get());
    if (!(rc = skv__db_live_numbers(db, &known, &nknown)) &&
        !(rc = skv__db_vlog_live_files(db, &known, &nknown)))
        rc = db->env->list(db->env, db->path, &names, &n);
    skv__bg_resume(db);
    skv__commit_release(db);

    if (!rc) {
        skv__chk_line(&c, "check of %s (open)", db->path);
        chk_format(&c, format_rc, format_msg);
        if (disk_rc)
            skv__chk_problem(&c, disk_rc, "%s", disk_msg);
        else
            chk_manifest_agrees(&c, cap.view->version, disk);
        chk_version(&c, cap.view->version, db->vlog);
        chk_orphans(&c, names, n, known, nknown);
        for (uint64_t w = cap.first_wal; w <= cap.last_wal; w++)
            chk_segment(&c, db->wal_dir, w, w == cap.last_wal,
                        w == cap.last_wal ? cap.last_wal_size : UINT64_MAX);
    }
    skv__vset_close(disk);
    skv__env_free_list(names, n);
    free(known);
    skv__db_capture_release(db, &cap);
    skv__db_maint_end(db);
    if (rc) {
        free(c.text);
        return rc;
    }
    return chk_finish(&c, report);
}
