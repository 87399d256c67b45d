// db.h — the database handle: its shared state (DbCore) and the JavaScript class wrapping it.
#ifndef SKV_NODE_DB_H
#define SKV_NODE_DB_H

#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "commit.h"
#include "common.h"
#include "submit.h"

namespace skvnode {

// The state of one open database, shared by its Db object, its transactions, the
// thread-safe function that settles async commits and the environment clean-up hook; freed
// when the last of them lets go. Fields marked (JS) are used on the JavaScript thread only.
struct DbCore {
    napi_env env = nullptr;
    skv_db *db = nullptr;
    napi_threadsafe_function tsfn = nullptr; // wakes the JS thread to settle async commits
    CommitQueue commits;                     // finished async commits, settled in batches
    CommitSubmitter submits;                 // async commits not yet handed to the engine
    bool closing = false;                    // (JS) close began: every call answers SKV_ECLOSED
    bool released = false;                   // (JS) skv_close returned, tsfn released
    void *hook = nullptr;                    // (JS) the environment clean-up hook's argument
    uint32_t pending = 0;                    // (JS) async commits whose promise is unsettled
    struct Waiter {
        napi_deferred deferred;
        int rc;
        std::string msg;
    };
    std::vector<Waiter> closeWaiters; // (JS) close promises waiting for pending == 0

    // Calls running on the thread pool (flush, batch reads...): skv_close waits for them.
    std::mutex mu;
    std::condition_variable cv;
    int inflight = 0;
    bool closeRunning = false; // an async close is in skv_close on the pool

    void BeginPoolCall();
    void EndPoolCall();
    void WaitPoolCalls();
    void SetCloseRunning(bool running);
    void WaitClose();
};

// Marks a call on the pool for its whole life (constructed on the JS thread before queueing,
// destroyed on the pool thread when the call is done).
class PoolCall {
  public:
    explicit PoolCall(std::shared_ptr<DbCore> core) : core_(std::move(core)) {
        core_->BeginPoolCall();
    }
    ~PoolCall() {
        if (core_) core_->EndPoolCall();
    }
    PoolCall(PoolCall &&o) noexcept : core_(std::move(o.core_)) {}
    PoolCall(const PoolCall &) = delete;

  private:
    std::shared_ptr<DbCore> core_;
};

// Async commits (commit.cc): the thread-safe function of a database, and its accounting.
void CommitChannelOpen(Napi::Env env, const std::shared_ptr<DbCore> &core);
void CommitSubmitted(DbCore *core);
void CommitChannelRelease(DbCore *core);
// Settles every close promise waiting on a database once no commit is pending.
void SettleCloseWaiters(napi_env env, DbCore *core);

class Db : public Napi::ObjectWrap<Db> {
  public:
    static Napi::Function Class(Napi::Env env);
    static Napi::Value Open(const Napi::CallbackInfo &info);
    static Napi::Value OpenAsync(const Napi::CallbackInfo &info);
    static Napi::Value CheckDir(const Napi::CallbackInfo &info);
    static Napi::Value CheckDirAsync(const Napi::CallbackInfo &info);
    explicit Db(const Napi::CallbackInfo &info);
    ~Db() override;

  private:
    static Napi::Object Wrap(Napi::Env env, skv_db *db);
    std::shared_ptr<DbCore> Live(Napi::Env env, const char *fn);

    Napi::Value Close(const Napi::CallbackInfo &info);
    Napi::Value CloseAsync(const Napi::CallbackInfo &info);
    Napi::Value Flush(const Napi::CallbackInfo &info);
    Napi::Value FlushAsync(const Napi::CallbackInfo &info);
    Napi::Value Compact(const Napi::CallbackInfo &info);
    Napi::Value CompactAsync(const Napi::CallbackInfo &info);
    Napi::Value Sync(const Napi::CallbackInfo &info);
    Napi::Value SyncAsync(const Napi::CallbackInfo &info);
    Napi::Value Property(const Napi::CallbackInfo &info);
    Napi::Value Checkpoint(const Napi::CallbackInfo &info);
    Napi::Value CheckpointAsync(const Napi::CallbackInfo &info);
    Napi::Value Restore(const Napi::CallbackInfo &info);
    Napi::Value RestoreAsync(const Napi::CallbackInfo &info);
    Napi::Value Verify(const Napi::CallbackInfo &info);
    Napi::Value VerifyAsync(const Napi::CallbackInfo &info);
    Napi::Value Begin(const Napi::CallbackInfo &info);
    Napi::Value IsClosed(const Napi::CallbackInfo &info);
    Napi::Value Submit(const Napi::CallbackInfo &info);

    Napi::Value RunSync(const Napi::CallbackInfo &info, int (*fn)(skv_db *), const char *name);
    Napi::Value RunAsync(const Napi::CallbackInfo &info, int (*fn)(skv_db *), const char *name);
    Napi::Value RunDir(const Napi::CallbackInfo &info, int (*fn)(skv_db *, const char *),
                       const char *name, bool async);

    std::shared_ptr<DbCore> core_;
};

// Ends a database: skv_close (after the pool calls on it), then the commit channel and the
// clean-up hook. Returns skv_close's code. JS thread.
int CloseNow(napi_env env, const std::shared_ptr<DbCore> &core);
void FinishClose(napi_env env, const std::shared_ptr<DbCore> &core);

} // namespace skvnode

#endif
