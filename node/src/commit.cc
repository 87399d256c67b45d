// commit.cc — `await txn.commit()`: the transaction is submitted (submit.h) with
// skv_txn_commit_async, whose callback (on an engine thread) queues the result in the
// database's completion queue; the first result of a batch wakes the JavaScript thread
// through the database's thread-safe function, which then settles every queued promise in
// one go. The thread-safe function keeps the event loop
// alive only while commits are pending; at environment teardown queued results are dropped.
#include "db.h"
#include "submit.h"
#include "txn.h"

namespace skvnode {

// ---- the completion queue ----------------------------------------------------------------

namespace {
constexpr size_t kPoolMax = 16384; // settled records kept for reuse
} // namespace

CommitQueue::~CommitQueue() {
    // Records still queued belong to an environment torn down before it could drain them:
    // their promises went with it.
    for (CommitRec *r = head_, *next; r; r = next) {
        next = r->next;
        delete r;
    }
    for (CommitRec *r : pool_) delete r;
}

CommitRec *CommitQueue::Take() {
    if (pool_.empty()) return new CommitRec();
    CommitRec *rec = pool_.back();
    pool_.pop_back();
    return rec;
}

void CommitQueue::Give(CommitRec *rec) {
    if (pool_.size() >= kPoolMax) {
        delete rec;
        return;
    }
    rec->next = nullptr;
    rec->deferred = nullptr;
    rec->msg.clear();
    pool_.push_back(rec);
}

bool CommitQueue::Push(CommitRec *rec, int status) {
    rec->status = status;
    rec->next = nullptr;
    std::lock_guard<std::mutex> lock(mu_);
    if (tail_)
        tail_->next = rec;
    else
        head_ = rec;
    tail_ = rec;
    bool wake = !scheduled_;
    scheduled_ = true;
    return wake;
}

CommitRec *CommitQueue::TakeAll() {
    std::lock_guard<std::mutex> lock(mu_);
    CommitRec *all = head_;
    head_ = tail_ = nullptr;
    scheduled_ = false;
    return all;
}

// ---- the channel -------------------------------------------------------------------------

// Engine thread, no engine lock held, exactly once per successful submit (or a pool thread
// for a refused one). Only the commit that finds the queue idle wakes the JavaScript thread;
// the others ride along with it.
void CommitFinished(void *user_data, int status) {
    auto *rec = static_cast<CommitRec *>(user_data);
    // The database outlives its callbacks: skv_close returns only after every one has run,
    // and the thread-safe function (which holds the DbCore) is released after skv_close.
    DbCore *core = rec->owner;
    if (core->commits.Push(rec, status))
        napi_call_threadsafe_function(core->tsfn, nullptr, napi_tsfn_nonblocking);
    // on failure the environment is going away: the queued records are freed with the core
}

namespace {

// Settles the promises of a drained batch, a handle scope per few so that the handles of a
// large batch do not pile up.
void SettleAll(napi_env env, DbCore *core, CommitRec *rec) {
    constexpr int kPerScope = 64;
    napi_value undef;
    napi_get_undefined(env, &undef);
    uint32_t settled = 0;
    while (rec) {
        napi_handle_scope scope;
        if (napi_open_handle_scope(env, &scope) != napi_ok) scope = nullptr;
        for (int i = 0; rec && i < kPerScope; i++) {
            CommitRec *next = rec->next;
            if (rec->status == SKV_OK)
                napi_resolve_deferred(env, rec->deferred, undef);
            else
                napi_reject_deferred(env, rec->deferred, MakeError(env, rec->status, rec->msg));
            core->commits.Give(rec);
            settled++;
            rec = next;
        }
        if (scope) napi_close_handle_scope(env, scope);
    }
    if (settled >= core->pending) {
        core->pending = 0;
        if (!core->released) napi_unref_threadsafe_function(env, core->tsfn);
        SettleCloseWaiters(env, core);
    } else {
        core->pending -= settled;
    }
}

// JS thread: one call per batch of finished commits. env is NULL when the environment is
// torn down with the call still queued; the records are then freed with the core.
void DrainCommits(napi_env env, napi_value, void *context, void *) {
    if (!env) return;
    DbCore *core = static_cast<std::shared_ptr<DbCore> *>(context)->get();
    CommitRec *all = core->commits.TakeAll();
    if (all) SettleAll(env, core, all);
}

void ReleaseContext(napi_env, void *data, void *) {
    delete static_cast<std::shared_ptr<DbCore> *>(data);
}

} // namespace

void CommitChannelOpen(Napi::Env env, const std::shared_ptr<DbCore> &core) {
    napi_value name;
    napi_create_string_utf8(env, "skv.commit", NAPI_AUTO_LENGTH, &name);
    auto *ctx = new std::shared_ptr<DbCore>(core);
    napi_status s = napi_create_threadsafe_function(env, nullptr, nullptr, name, 0, 1, ctx,
                                                    ReleaseContext, ctx, DrainCommits, &core->tsfn);
    if (s != napi_ok) {
        delete ctx;
        NAPI_THROW_VOID(Napi::Error::New(env, "skv: cannot create the commit channel"));
    }
    napi_unref_threadsafe_function(env, core->tsfn); // idle: the process may exit
}

void CommitSubmitted(DbCore *core) {
    if (core->pending++ == 0) napi_ref_threadsafe_function(core->env, core->tsfn);
}

void CommitChannelRelease(DbCore *core) {
    if (core->tsfn) napi_release_threadsafe_function(core->tsfn, napi_tsfn_release);
}

void SettleCloseWaiters(napi_env env, DbCore *core) {
    if (core->pending != 0 || !core->released) return;
    std::vector<DbCore::Waiter> waiters;
    waiters.swap(core->closeWaiters);
    for (auto &w : waiters) {
        if (w.rc == SKV_OK) {
            napi_value undef;
            napi_get_undefined(env, &undef);
            napi_resolve_deferred(env, w.deferred, undef);
        } else {
            napi_reject_deferred(env, w.deferred, MakeError(env, w.rc, w.msg));
        }
    }
}

// txnCommit(id): a promise settled when the engine has committed (or refused) the writes.
// The transaction has ended and its handle is released either way. A write transaction no
// cursor or pool call shares goes to the submit queue (submit.h), submitted off the event
// loop at the end of the turn (an error the engine finds at submission, such as a restore
// since the transaction began, then rejects the promise later). Otherwise (a read-only one,
// or one whose cursors use its C handle under its lock) it is submitted here, and an error
// skv_txn_commit_async returns at once rejects the promise before it is returned.
Napi::Value TxnCommit(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    std::shared_ptr<TxnCore> core = TxnOf(info);
    napi_deferred deferred;
    napi_value promise;
    NAPI_THROW_IF_FAILED(env, napi_create_promise(env, &deferred, &promise), Napi::Value());
    int rc = SKV_OK;
    std::string msg;
    std::shared_ptr<DbCore> db = core->db;
    {
        TxnLock lock(env, core);
        if (!core->txn || db->closing) {
            rc = SKV_ECLOSED;
            msg = db->closing ? "database is closed" : "transaction has ended";
        } else {
            CommitRec *rec = db->commits.Take();
            rec->deferred = deferred;
            rec->owner = db.get();
            // A transaction that can write, shared by the handle table and `core` only (no
            // cursor can reach its C handle), is queued; a read-only one is refused at once.
            if (core->mode != SKV_TXN_READ_ONLY && core.use_count() <= 2) {
                size_t queued = db->submits.Push(core->txn, rec); // submitted by a job
                core->txn = nullptr; // the queue frees it once submitted
                if (queued >= kSubmitEarly) StartSubmitJob(env, db);
            } else {
                db->submits.SubmitAll(); // the queued ones first: commits keep their order
                rc = skv_txn_commit_async(core->txn, CommitFinished, rec);
                if (rc != SKV_OK) {
                    msg = skv_errmsg();
                    db->commits.Give(rec);
                }
            }
        }
        core->End(); // ended either way
    }
    ReleaseTxn(info);
    if (rc != SKV_OK) {
        napi_reject_deferred(env, deferred, MakeError(env, rc, msg));
    } else {
        CommitSubmitted(db.get());
    }
    return Napi::Value(env, promise);
}

} // namespace skvnode
