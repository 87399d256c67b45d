// db.cc — databases: open (on the JavaScript thread or the pool), close, flush, compact,
// sync, properties and begin. A database still open when its environment (the main thread
// or a worker) is torn down is closed by a clean-up hook; one that is garbage-collected is
// closed by its finalizer.
#include "db.h"

#include "options.h"
#include "txn.h"
#include "work.h"

namespace skvnode {

void DbCore::BeginPoolCall() {
    std::lock_guard<std::mutex> lock(mu);
    inflight++;
}

void DbCore::EndPoolCall() {
    std::lock_guard<std::mutex> lock(mu);
    if (--inflight == 0) cv.notify_all();
}

void DbCore::WaitPoolCalls() {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [this] { return inflight == 0; });
}

void DbCore::SetCloseRunning(bool running) {
    std::lock_guard<std::mutex> lock(mu);
    closeRunning = running;
    if (!running) cv.notify_all();
}

void DbCore::WaitClose() {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [this] { return !closeRunning; });
}

namespace {

struct HookArg {
    std::shared_ptr<DbCore> core;
};

// The environment is going away with the database open: close it (pending commit callbacks
// run inside skv_close; their results are dropped with the environment).
void CloseAtTeardown(void *arg) {
    std::shared_ptr<DbCore> core = static_cast<HookArg *>(arg)->core;
    core->hook = nullptr;
    delete static_cast<HookArg *>(arg);
    if (!core->closing) {
        core->closing = true;
        core->submits.SubmitAll();
        core->WaitPoolCalls();
        skv_close(core->db);
    } else {
        core->WaitClose(); // an async close may still be calling back through the channel
    }
    if (!core->released) {
        core->released = true;
        CommitChannelRelease(core.get());
    }
}

} // namespace

void FinishClose(napi_env env, const std::shared_ptr<DbCore> &core) {
    if (core->hook) {
        napi_remove_env_cleanup_hook(env, CloseAtTeardown, core->hook);
        delete static_cast<HookArg *>(core->hook);
        core->hook = nullptr;
    }
    if (!core->released) {
        core->released = true;
        CommitChannelRelease(core.get());
    }
}

int CloseNow(napi_env env, const std::shared_ptr<DbCore> &core) {
    core->closing = true;
    core->submits.SubmitAll(); // the async commits begun before close are committed
    core->WaitPoolCalls();
    int rc = skv_close(core->db);
    std::string msg = rc ? skv_errmsg() : "";
    FinishClose(env, core);
    if (rc) ThrowWith(Napi::Env(env), rc, msg);
    return rc;
}

Napi::Function Db::Class(Napi::Env env) {
    return DefineClass(env, "NativeDb",
                       {
                           InstanceMethod<&Db::Close>("close"),
                           InstanceMethod<&Db::CloseAsync>("closeAsync"),
                           InstanceMethod<&Db::Flush>("flush"),
                           InstanceMethod<&Db::FlushAsync>("flushAsync"),
                           InstanceMethod<&Db::Compact>("compact"),
                           InstanceMethod<&Db::CompactAsync>("compactAsync"),
                           InstanceMethod<&Db::Sync>("sync"),
                           InstanceMethod<&Db::SyncAsync>("syncAsync"),
                           InstanceMethod<&Db::Property>("property"),
                           InstanceMethod<&Db::Checkpoint>("checkpoint"),
                           InstanceMethod<&Db::CheckpointAsync>("checkpointAsync"),
                           InstanceMethod<&Db::Restore>("restore"),
                           InstanceMethod<&Db::RestoreAsync>("restoreAsync"),
                           InstanceMethod<&Db::Verify>("check"),
                           InstanceMethod<&Db::VerifyAsync>("checkAsync"),
                           InstanceMethod<&Db::Begin>("begin"),
                           InstanceMethod<&Db::IsClosed>("closed"),
                           InstanceMethod<&Db::Submit>("submit"),
                       });
}

Db::Db(const Napi::CallbackInfo &info) : Napi::ObjectWrap<Db>(info) {}

// Garbage-collected while open: close it here (never a crash, commits stay durable).
Db::~Db() {
    if (!core_ || core_->closing) return;
    try {
        CloseNow(Env(), core_);
    } catch (...) {
        // nobody is left to tell
    }
}

Napi::Object Db::Wrap(Napi::Env env, skv_db *db) {
    Napi::Object obj;
    try {
        obj = Data(env)->dbClass.New({});
    } catch (...) {
        skv_close(db);
        throw;
    }
    Db *d = Unwrap(obj);
    auto core = std::make_shared<DbCore>();
    core->env = env;
    core->db = db;
    d->core_ = core;
    CommitChannelOpen(env, core); // on failure the finalizer closes the database
    // Registered after the commit channel, so it runs before the channel's own teardown.
    auto *hook = new HookArg{core};
    if (napi_add_env_cleanup_hook(env, CloseAtTeardown, hook) == napi_ok)
        core->hook = hook;
    else
        delete hook;
    return obj;
}

// skv.open(path, options?): opens on the calling thread.
Napi::Value Db::Open(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    std::string path = info[0].As<Napi::String>().Utf8Value();
    skv_db *db;
    Check(env, skv_open(path.c_str(), Options::From(info[1]), &db));
    return Wrap(env, db);
}

// skv.openAsync(path, options?): opens on the thread pool (recovery reads the log).
Napi::Value Db::OpenAsync(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    std::string path = info[0].As<Napi::String>().Utf8Value();
    const skv_options *opts = Options::From(info[1]);
    std::vector<Napi::Object> keep;
    if (info[1].IsObject()) keep.push_back(info[1].As<Napi::Object>());
    auto out = std::make_shared<skv_db *>(nullptr);
    return Work::Queue(
        env, [path, opts, out]() { return skv_open(path.c_str(), opts, out.get()); },
        [out](Napi::Env env) -> Napi::Value { return Wrap(env, *out); }, keep);
}

std::shared_ptr<DbCore> Db::Live(Napi::Env env, const char *fn) {
    if (!core_ || core_->closing)
        ThrowWith(env, SKV_ECLOSED, std::string(fn) + ": database is closed");
    return core_;
}

Napi::Value Db::Close(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    if (!core_ || core_->closing) ThrowWith(env, SKV_ECLOSED, "skv_close: database already closed");
    CloseNow(env, core_);
    return env.Undefined();
}

// closeAsync(): skv_close on the pool; the promise settles once every async commit of the
// database has settled its own promise.
Napi::Value Db::CloseAsync(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    napi_deferred deferred;
    napi_value promise;
    NAPI_THROW_IF_FAILED(env, napi_create_promise(env, &deferred, &promise), Napi::Value());
    if (!core_ || core_->closing) {
        napi_reject_deferred(env, deferred,
                             MakeError(env, SKV_ECLOSED, "skv_close: database already closed"));
        return Napi::Value(env, promise);
    }
    std::shared_ptr<DbCore> core = core_;
    core->closing = true;
    struct Result {
        int rc = SKV_OK;
        std::string msg;
    };
    auto result = std::make_shared<Result>();
    core->SetCloseRunning(true);
    Work::Queue(
        env,
        [core, result]() {
            core->submits.SubmitAll();
            core->WaitPoolCalls();
            result->rc = skv_close(core->db);
            if (result->rc) result->msg = skv_errmsg();
            core->SetCloseRunning(false);
            return SKV_OK;
        },
        nullptr, {info.This().As<Napi::Object>()},
        [core, result, deferred](Napi::Env env, int) {
            FinishClose(env, core);
            core->closeWaiters.push_back({deferred, result->rc, result->msg});
            SettleCloseWaiters(env, core.get());
        });
    return Napi::Value(env, promise);
}

Napi::Value Db::RunSync(const Napi::CallbackInfo &info, int (*fn)(skv_db *), const char *name) {
    Napi::Env env = info.Env();
    std::shared_ptr<DbCore> core = Live(env, name);
    core->submits.SubmitAll(); // after the async commits begun before it
    Check(env, fn(core->db));
    return env.Undefined();
}

Napi::Value Db::RunAsync(const Napi::CallbackInfo &info, int (*fn)(skv_db *), const char *name) {
    Napi::Env env = info.Env();
    std::shared_ptr<DbCore> core = Live(env, name);
    core->submits.SubmitAll(); // after the async commits begun before it
    auto call = std::make_shared<PoolCall>(core);
    return Work::Queue(env,
                       [core, call, fn]() mutable {
                           int rc = fn(core->db);
                           call.reset();
                           return rc;
                       },
                       nullptr, {info.This().As<Napi::Object>()});
}

Napi::Value Db::Flush(const Napi::CallbackInfo &info) {
    return RunSync(info, skv_flush, "skv_flush");
}
Napi::Value Db::FlushAsync(const Napi::CallbackInfo &info) {
    return RunAsync(info, skv_flush, "skv_flush");
}
Napi::Value Db::Compact(const Napi::CallbackInfo &info) {
    return RunSync(info, skv_compact, "skv_compact");
}
Napi::Value Db::CompactAsync(const Napi::CallbackInfo &info) {
    return RunAsync(info, skv_compact, "skv_compact");
}
Napi::Value Db::Sync(const Napi::CallbackInfo &info) { return RunSync(info, skv_sync, "skv_sync"); }
Napi::Value Db::SyncAsync(const Napi::CallbackInfo &info) {
    return RunAsync(info, skv_sync, "skv_sync");
}

// checkpoint(dir) / restore(dir): one call with a directory, here or on the pool.
Napi::Value Db::RunDir(const Napi::CallbackInfo &info, int (*fn)(skv_db *, const char *),
                       const char *name, bool async) {
    Napi::Env env = info.Env();
    std::string dir = info[0].As<Napi::String>().Utf8Value();
    std::shared_ptr<DbCore> core = Live(env, name);
    core->submits.SubmitAll(); // after the async commits begun before it
    if (!async) {
        Check(env, fn(core->db, dir.c_str()));
        return env.Undefined();
    }
    auto call = std::make_shared<PoolCall>(core);
    return Work::Queue(env,
                       [core, call, fn, dir]() mutable {
                           int rc = fn(core->db, dir.c_str());
                           call.reset();
                           return rc;
                       },
                       nullptr, {info.This().As<Napi::Object>()});
}

Napi::Value Db::Checkpoint(const Napi::CallbackInfo &info) {
    return RunDir(info, skv_checkpoint, "skv_checkpoint", false);
}
Napi::Value Db::CheckpointAsync(const Napi::CallbackInfo &info) {
    return RunDir(info, skv_checkpoint, "skv_checkpoint", true);
}
Napi::Value Db::Restore(const Napi::CallbackInfo &info) {
    return RunDir(info, skv_restore, "skv_restore", false);
}
Napi::Value Db::RestoreAsync(const Napi::CallbackInfo &info) {
    return RunDir(info, skv_restore, "skv_restore", true);
}

namespace {

// The outcome of an integrity check: the report text when it ran.
struct CheckResult {
    int rc = SKV_OK;
    std::string msg, report;
    bool hasReport = false;

    void Take(int code, char *text) {
        rc = code;
        if (rc) msg = skv_errmsg();
        if (text) {
            report = text;
            hasReport = true;
            skv_free(text);
        }
    }
    // The report when everything is intact; else throws the SkvError, with `report` set when
    // the check ran.
    Napi::Value Settle(Napi::Env env) const {
        if (rc == SKV_OK) return Napi::String::New(env, report);
        Napi::Object err = Napi::Value(env, MakeError(env, rc, msg)).As<Napi::Object>();
        if (hasReport) err.Set("report", Napi::String::New(env, report));
        throw Napi::Error(env, err);
    }
};

} // namespace

Napi::Value Db::Verify(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    char *report = nullptr;
    CheckResult r;
    int rc = skv_check(Live(env, "skv_check")->db, &report);
    r.Take(rc, report);
    return r.Settle(env);
}

Napi::Value Db::VerifyAsync(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    std::shared_ptr<DbCore> core = Live(env, "skv_check");
    auto call = std::make_shared<PoolCall>(core);
    auto r = std::make_shared<CheckResult>();
    return Work::Queue(
        env,
        [core, call, r]() mutable {
            char *report = nullptr;
            int rc = skv_check(core->db, &report);
            r->Take(rc, report);
            call.reset();
            return SKV_OK;
        },
        [r](Napi::Env env) { return r->Settle(env); }, {info.This().As<Napi::Object>()});
}

// skv.checkDir(path, options?): the check of a closed database directory.
Napi::Value Db::CheckDir(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    std::string path = info[0].As<Napi::String>().Utf8Value();
    char *report = nullptr;
    CheckResult r;
    int rc = skv_check_dir(path.c_str(), Options::From(info[1]), &report);
    r.Take(rc, report);
    return r.Settle(env);
}

Napi::Value Db::CheckDirAsync(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    std::string path = info[0].As<Napi::String>().Utf8Value();
    const skv_options *opts = Options::From(info[1]);
    std::vector<Napi::Object> keep;
    if (info[1].IsObject()) keep.push_back(info[1].As<Napi::Object>());
    auto r = std::make_shared<CheckResult>();
    return Work::Queue(
        env,
        [path, opts, r]() {
            char *report = nullptr;
            int rc = skv_check_dir(path.c_str(), opts, &report);
            r->Take(rc, report);
            return SKV_OK;
        },
        [r](Napi::Env env) { return r->Settle(env); }, keep);
}

Napi::Value Db::Property(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    std::string name = info[0].As<Napi::String>().Utf8Value();
    char *value;
    Check(env, skv_property(Live(env, "skv_property")->db, name.c_str(), &value));
    Napi::String s = Napi::String::New(env, value);
    skv_free(value);
    return s;
}

// begin(mode, durability): durability -1 leaves the default.
Napi::Value Db::Begin(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    int mode = info[0].As<Napi::Number>().Int32Value();
    int durability = info[1].IsNumber() ? info[1].As<Napi::Number>().Int32Value() : -1;
    std::shared_ptr<DbCore> core = Live(env, "skv_txn_begin");
    skv_txn *txn;
    Check(env, skv_txn_begin(core->db, mode, &txn));
    if (durability >= 0) {
        int rc = skv_txn_set_durability(txn, durability);
        if (rc) {
            std::string msg = skv_errmsg();
            skv_txn_free(txn);
            ThrowWith(env, rc, msg);
        }
    }
    return NewTxn(env, txn, core, mode);
}

// submit(): hands the async commits queued in this turn to a pool job (submit.h); a no-op
// once close began (close submits them itself).
Napi::Value Db::Submit(const Napi::CallbackInfo &info) {
    if (core_ && !core_->closing) StartSubmitJob(info.Env(), core_);
    return info.Env().Undefined();
}

Napi::Value Db::IsClosed(const Napi::CallbackInfo &info) {
    return Napi::Boolean::New(info.Env(), !core_ || core_->closing);
}

} // namespace skvnode
