// commit.cc — `await txn.commit()`: skv_txn_commit_async, whose callback (on an engine
// thread) hands the result to the JavaScript thread through one thread-safe function per
// database, where the promise is settled. The thread-safe function keeps the event loop alive
// only while commits are pending; at environment teardown queued results are dropped.
#include "db.h"
#include "txn.h"

namespace skvnode {

namespace {

struct CommitRec {
    napi_threadsafe_function tsfn;
    napi_deferred deferred;
    int status;
};

// Engine thread, no engine lock held, exactly once per successful submit.
void OnCommitted(void *user_data, int status) {
    auto *rec = static_cast<CommitRec *>(user_data);
    rec->status = status;
    if (napi_call_threadsafe_function(rec->tsfn, rec, napi_tsfn_nonblocking) != napi_ok)
        delete rec; // the environment is going away: nobody is left to tell
}

// JS thread; env is NULL when the environment is torn down with results still queued.
void SettleCommit(napi_env env, napi_value, void *context, void *data) {
    auto *rec = static_cast<CommitRec *>(data);
    auto *core = static_cast<std::shared_ptr<DbCore> *>(context)->get();
    if (env) {
        if (rec->status == SKV_OK) {
            napi_value undef;
            napi_get_undefined(env, &undef);
            napi_resolve_deferred(env, rec->deferred, undef);
        } else {
            napi_reject_deferred(env, rec->deferred, MakeError(env, rec->status, ""));
        }
        if (core->pending > 0 && --core->pending == 0) {
            if (!core->released) napi_unref_threadsafe_function(env, core->tsfn);
            SettleCloseWaiters(env, core);
        }
    }
    delete rec;
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
                                                    ReleaseContext, ctx, SettleCommit, &core->tsfn);
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
// An error skv_txn_commit_async returns at once rejects the promise before it is returned.
// The transaction has ended and its handle is released either way.
Napi::Value TxnCommit(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    std::shared_ptr<TxnCore> core = TxnOf(info);
    napi_deferred deferred;
    napi_value promise;
    NAPI_THROW_IF_FAILED(env, napi_create_promise(env, &deferred, &promise), Napi::Value());
    int rc;
    std::string msg;
    std::shared_ptr<DbCore> db = core->db;
    {
        TxnLock lock(env, core);
        if (!core->txn || db->closing) {
            rc = SKV_ECLOSED;
            msg = db->closing ? "database is closed" : "transaction has ended";
        } else {
            auto *rec = new CommitRec{db->tsfn, deferred, SKV_OK};
            rc = skv_txn_commit_async(core->txn, OnCommitted, rec);
            if (rc != SKV_OK) {
                msg = skv_errmsg();
                delete rec;
            }
        }
        core->End(); // ended either way
    }
    ReleaseTxn(info);
    if (rc != SKV_OK)
        napi_reject_deferred(env, deferred, MakeError(env, rc, msg));
    else
        CommitSubmitted(db.get());
    return Napi::Value(env, promise);
}

} // namespace skvnode
