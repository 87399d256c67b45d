/*
 * db_commit.c — the commit pipeline. Committers queue requests; whoever finds no leader
 * active (a blocking committer, or the engine thread for asynchronous ones) becomes the
 * leader and takes a group of queued requests: it checks each for conflicts and assigns
 * sequence numbers and a timestamp (under the lock), then writes the whole group to the log
 * with one append and at most one fsync, inserts it into the memtable, and publishes the new
 * visible sequence (so a transaction becomes visible all at once). The engine thread also
 * runs the callbacks of asynchronous commits, with no lock held.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "db/db.h"

enum { COMMIT_GROUP_BYTES = 1 << 20 };
/* Groups of at most this many requests are handled in arrays on the stack. */
enum { COMMIT_SMALL_GROUP = 16 };

struct SkvCommitReq {
    SkvCommitReq *next;
    uint8_t *rec;
    size_t len;
    uint64_t *fps; /* fps_small, or a heap array for larger transactions */
    size_t nfps;
    uint64_t fps_small[4];
    SkvSnapshot *snap;
    uint64_t epoch; /* the transaction's: a restore since its begin fails it */
    size_t cost;
    uint64_t last_seq;
    int immediate;
    int status;
    int done;
    skv_commit_cb cb;
    void *user_data;
    char msg[256];
    uint8_t rec_bytes[]; /* the record, in the request's own allocation (commit_build) */
};

static void commit_req_free(SkvCommitReq *r) {
    if (r->rec != r->rec_bytes) free(r->rec);
    if (r->fps != r->fps_small) free(r->fps);
    free(r->snap);
    free(r);
}

static void commit_fail_msg(SkvCommitReq *r, int status, const char *msg) {
    r->status = status;
    snprintf(r->msg, sizeof r->msg, "%s", msg);
}

/* Starts a new log segment and memtable (the old segment is fsynced first); the old
 * memtable becomes immutable and the background thread writes it to a table. Waits first
 * while immutable memtables or level-0 files are over their thresholds. Commit leader only. */
static int commit_switch_memtable(skv_db *db) {
    SkvWalWriter *w = NULL;
    int rc = db->opt.bg_inline ? SKV_OK : skv__bg_wait_for_room(db);
    if (rc) return skv__err(rc, "background work failed: %s", skv_errname(rc));
    if ((rc = skv__wal_sync(db->wal))) return rc;
    char *path = skv__db_wal_path(db, db->wal_number + 1);
    if (!path) return SKV_ENOMEM;
    rc = skv__wal_create(db->env, path, &w);
    free(path);
    if (!rc && (rc = db->env->sync_dir(db->env, db->wal_dir))) skv__wal_close(w);
    if (rc) return rc;
    SkvMemtable *m = skv__mem_new();
    skv__mutex_lock(&db->view_mu);
    SkvView *old = db->view;
    if (old->version) skv__version_ref(old->version);
    SkvView *v = m ? skv__view_derive(db, old, m, old->n, old->version) : NULL;
    if (!v) {
        if (!m && old->version) skv__version_unref(old->version);
        skv__mutex_unlock(&db->view_mu);
        if (m) skv__mem_unref(m);
        skv__wal_close(w);
        return SKV_ENOMEM;
    }
    skv__wal_close(db->wal);
    db->wal = w;
    db->wal_number++;
    db->wal_segments++;
    db->active = m;
    v->mems[0].wal = db->wal_number;
    /* everything published so far is in the memtable that now becomes immutable */
    v->mems[1].last_seq = atomic_load(&db->visible_seq);
    v->mems[1].last_ts = atomic_load(&db->published_ts);
    skv__view_publish(db, v);
    skv__mutex_unlock(&db->view_mu);
    skv__view_release(old);
    if (db->opt.bg_inline) return skv__bg_run_inline(db);
    skv__bg_wake(db);
    return SKV_OK;
}

int skv__commit_switch_now(skv_db *db) {
    skv__mutex_lock(&db->commit_mu);
    while (db->leader_active) skv__cond_wait(&db->commit_cv, &db->commit_mu);
    int rc = atomic_load(&db->fatal);
    if (rc) {
        skv__mutex_unlock(&db->commit_mu);
        return skv__err(SKV_EFATAL, "database latched after %s", skv_errname(rc));
    }
    db->leader_active = 1;
    skv__mutex_unlock(&db->commit_mu);
    if (skv__mem_count(db->active) > 0 && (rc = commit_switch_memtable(db)))
        atomic_store(&db->fatal, rc);
    skv__mutex_lock(&db->commit_mu);
    db->leader_active = 0;
    skv__cond_broadcast(&db->commit_cv);
    if (db->q_head) skv__cond_signal(&db->worker_cv);
    skv__mutex_unlock(&db->commit_mu);
    return rc;
}

static int commit_apply(SkvMemtable *m, const SkvCommitReq *r) {
    SkvBatchReader br;
    SkvWrite w;
    uint64_t seq;
    int rc = skv__batch_open(&br, r->rec, r->len);
    while (!rc && (rc = skv__batch_next(&br, &w, &seq)) == SKV_OK) {
        if (w.ts != br.commit_ts) skv__mem_note_ts_unordered(m); /* an explicit timestamp */
        rc = skv__mem_add(m, seq, w.kind, w.ts, w.key, w.klen, w.val, w.vlen);
    }
    return rc == SKV_NOTFOUND ? SKV_OK : rc;
}

/* Writes the accepted requests of a group; returns the status they all share. */
static int commit_write_group(skv_db *db, SkvCommitReq **ok, size_t n, size_t cost, int immediate) {
    /* small groups (the usual case) need no allocation */
    const void *recs_small[COMMIT_SMALL_GROUP];
    size_t lens_small[COMMIT_SMALL_GROUP];
    int small = n <= COMMIT_SMALL_GROUP;
    const void **recs = small ? recs_small : malloc(n * sizeof *recs);
    size_t *lens = small ? lens_small : malloc(n * sizeof *lens);
    int rc = (recs && lens) ? SKV_OK : SKV_ENOMEM;
    if (!rc && skv__mem_bytes(db->active) > 0 &&
        skv__mem_bytes(db->active) + cost > db->opt.max_memtable_size)
        rc = commit_switch_memtable(db);
    for (size_t i = 0; !rc && i < n; i++) {
        recs[i] = ok[i]->rec;
        lens[i] = ok[i]->len;
    }
    if (!rc) rc = skv__wal_add_many(db->wal, recs, lens, n);
    if (!rc && immediate) rc = skv__wal_sync(db->wal);
    if (rc) atomic_store(&db->fatal, rc);
    for (size_t i = 0; !rc && i < n; i++)
        if ((rc = commit_apply(db->active, ok[i]))) atomic_store(&db->fatal, rc);
    if (!small) {
        free(recs);
        free(lens);
    }
    return rc;
}

/* Leads one group. Called and returns with commit_mu held. */
static void commit_lead(skv_db *db) {
    db->leader_active = 1;
    SkvCommitReq *group = db->q_head, *end = group, **ok = NULL;
    size_t bytes = 0, count = 0, nok = 0, cost = 0;
    while (end && (count == 0 || bytes + end->len <= COMMIT_GROUP_BYTES)) {
        bytes += end->len;
        count++;
        end = end->next;
    }
    db->q_head = end;
    if (!end) db->q_tail = NULL;
    SkvCommitReq *ok_small[COMMIT_SMALL_GROUP];
    ok = count <= COMMIT_SMALL_GROUP ? ok_small : malloc(count * sizeof *ok);
    int immediate = 0, fatal = atomic_load(&db->fatal);
    uint64_t last_seq = 0, last_ts = 0;
    uint64_t epoch = atomic_load(&db->restores);
    for (SkvCommitReq *r = group; r != end; r = r->next) {
        int rc = !ok                 ? SKV_ENOMEM
                 : fatal             ? SKV_EFATAL
                 : r->epoch != epoch ? SKV_ECLOSED
                                     : skv__oracle_check(db->oracle, r->snap->seq, r->fps, r->nfps);
        if (rc == SKV_ECLOSED)
            commit_fail_msg(r, rc,
                            "the database was restored after this transaction began: "
                            "nothing was written");
        else if (rc == SKV_ECONFLICT)
            commit_fail_msg(r, rc,
                            "write conflict: another transaction committed one of "
                            "the written keys after this transaction's snapshot");
        else if (rc == SKV_ERETRY)
            commit_fail_msg(r, rc, "snapshot older than the conflict window: retry");
        else if (rc == SKV_EFATAL)
            commit_fail_msg(r, rc, "database latched after a failed log write: reopen it");
        else if (rc)
            commit_fail_msg(r, rc, "out of memory");
        else {
            SkvBatchReader br;
            skv__batch_open(&br, r->rec, r->len);
            uint64_t now = db->env->now_ns(db->env);
            db->last_ts = now > db->last_ts ? now : db->last_ts + 1;
            skv__batch_stamp(r->rec, db->next_seq, db->last_ts);
            db->next_seq += br.count;
            r->last_seq = last_seq = db->next_seq - 1;
            last_ts = db->last_ts;
            if (skv__oracle_record(db->oracle, r->last_seq, r->fps, r->nfps))
                atomic_store(&db->fatal, SKV_ENOMEM);
            immediate |= r->immediate;
            cost += r->cost;
            ok[nok++] = r;
        }
        skv__snapshots_release(&db->snaps, r->snap);
    }
    skv__oracle_prune(db->oracle, skv__snapshots_oldest(&db->snaps, &db->visible_seq));
    int rc = SKV_OK;
    if (nok) {
        skv__mutex_unlock(&db->commit_mu);
        rc = commit_write_group(db, ok, nok, cost, immediate);
        skv__mutex_lock(&db->commit_mu);
        if (!rc) {
            atomic_store_explicit(&db->published_ts, last_ts, memory_order_release);
            atomic_store_explicit(&db->visible_seq, last_seq, memory_order_release);
        }
    }
    for (size_t i = 0; i < nok; i++)
        if (rc) commit_fail_msg(ok[i], rc, skv__errmsg_get());
    if (ok != ok_small) free(ok);
    for (SkvCommitReq *r = group, *next; r != end; r = next) {
        next = r->next;
        r->done = 1;
        if (r->cb) {
            r->next = NULL;
            if (db->done_tail)
                db->done_tail->next = r;
            else
                db->done_head = r;
            db->done_tail = r;
        }
    }
    db->leader_active = 0;
    skv__cond_broadcast(&db->commit_cv);
    if (db->done_head || db->q_head) skv__cond_signal(&db->worker_cv);
}

static void commit_worker(void *arg) {
    skv_db *db = arg;
    skv__mutex_lock(&db->commit_mu);
    for (;;) {
        if (db->done_head) {
            SkvCommitReq *r = db->done_head;
            db->done_head = db->done_tail = NULL;
            skv__mutex_unlock(&db->commit_mu);
            int n = 0;
            for (SkvCommitReq *next; r; r = next, n++) {
                next = r->next;
                r->cb(r->user_data, r->status);
                commit_req_free(r);
            }
            skv__mutex_lock(&db->commit_mu);
            db->async_pending -= n;
            skv__cond_broadcast(&db->commit_cv);
        } else if (db->q_head && !db->leader_active) {
            commit_lead(db);
        } else if (db->worker_stop) {
            break;
        } else {
            skv__cond_wait(&db->worker_cv, &db->commit_mu);
        }
    }
    skv__mutex_unlock(&db->commit_mu);
}

int skv__commit_start(skv_db *db) {
    return db->env->thread_start(db->env, commit_worker, db, &db->worker);
}

void skv__commit_hold(skv_db *db) {
    skv__mutex_lock(&db->commit_mu);
    while (db->leader_active) skv__cond_wait(&db->commit_cv, &db->commit_mu);
    db->leader_active = 1;
    skv__mutex_unlock(&db->commit_mu);
}

void skv__commit_release(skv_db *db) {
    skv__mutex_lock(&db->commit_mu);
    db->leader_active = 0;
    skv__cond_broadcast(&db->commit_cv);
    if (db->q_head) skv__cond_signal(&db->worker_cv);
    skv__mutex_unlock(&db->commit_mu);
}

void skv__commit_stop(skv_db *db) {
    skv__mutex_lock(&db->commit_mu);
    /* a running checkpoint, restore or check finishes first (it holds a reference) */
    while (db->q_head || db->leader_active || db->async_pending || db->maint_busy)
        skv__cond_wait(&db->commit_cv, &db->commit_mu);
    db->worker_stop = 1;
    skv__cond_signal(&db->worker_cv);
    skv__mutex_unlock(&db->commit_mu);
    db->env->thread_join(db->worker);
    db->worker = NULL;
}

/* Builds the request from the transaction's writes and takes its snapshot. */
static int commit_build(skv_txn *txn, SkvCommitReq **out) {
    size_t len = skv__batch_size(&txn->ws);
    if (len > SIZE_MAX - sizeof(SkvCommitReq)) return SKV_ENOMEM;
    SkvCommitReq *r = malloc(sizeof *r + len);
    if (!r) return SKV_ENOMEM;
    memset(r, 0, offsetof(SkvCommitReq, msg));
    r->msg[0] = '\0';
    r->rec = r->rec_bytes;
    r->len = len;
    skv__batch_encode_to(&txn->ws, r->rec);
    size_t n = txn->ws.n;
    r->fps = n <= sizeof r->fps_small / sizeof r->fps_small[0] ? r->fps_small
                                                               : malloc(n * sizeof *r->fps);
    if (!r->fps) {
        commit_req_free(r);
        return SKV_ENOMEM;
    }
    for (size_t i = 0; i < txn->ws.n; i++) r->fps[r->nfps++] = txn->ws.w[i].fp;
    r->cost = txn->ws.cost;
    r->immediate = txn->durability == SKV_DURABILITY_IMMEDIATE;
    r->snap = txn->snap;
    r->epoch = txn->epoch;
    txn->snap = NULL;
    *out = r;
    return SKV_OK;
}

static void commit_enqueue(skv_db *db, SkvCommitReq *r) {
    if (db->q_tail)
        db->q_tail->next = r;
    else
        db->q_head = r;
    db->q_tail = r;
}

int skv__commit(skv_txn *txn, skv_commit_cb cb, void *user_data) {
    skv_db *db = txn->db;
    SkvCommitReq *r = NULL;
    int rc = txn->ws.n ? commit_build(txn, &r) : SKV_OK;
    skv__txn_end(txn);
    if (rc) return rc;
    if (!r && !cb) return SKV_OK; /* empty commit */
    if (!r && !(r = calloc(1, sizeof *r))) return SKV_ENOMEM;
    r->cb = cb;
    r->user_data = user_data;
    skv__mutex_lock(&db->commit_mu);
    if (atomic_load(&db->closed) || db->worker_stop)
        rc = SKV_ECLOSED;
    else if ((rc = atomic_load(&db->fatal)))
        rc = SKV_EFATAL;
    if (rc) {
        skv__mutex_unlock(&db->commit_mu);
        if (r->snap) skv__snapshots_release(&db->snaps, r->snap);
        commit_req_free(r);
        return rc == SKV_ECLOSED ? skv__err(rc, "database is closed")
                                 : skv__err(rc, "database latched after a failed log write");
    }
    if (cb) {
        db->async_pending++;
        if (r->rec)
            commit_enqueue(db, r);
        else {
            r->done = 1;
            if (db->done_tail)
                db->done_tail->next = r;
            else
                db->done_head = r;
            db->done_tail = r;
        }
        skv__cond_signal(&db->worker_cv);
        skv__mutex_unlock(&db->commit_mu);
        return SKV_OK;
    }
    commit_enqueue(db, r);
    while (!r->done) {
        if (!db->leader_active)
            commit_lead(db);
        else
            skv__cond_wait(&db->commit_cv, &db->commit_mu);
    }
    skv__mutex_unlock(&db->commit_mu);
    rc = r->status;
    if (rc) skv__err(rc, "%s", r->msg);
    commit_req_free(r);
    return rc;
}
