// txn.h — the transaction handle: its shared state (TxnCore) and the JavaScript class.
#ifndef SKV_NODE_TXN_H
#define SKV_NODE_TXN_H

#include <mutex>

#include "db.h"

namespace skvnode {

// One transaction, shared by its Txn object and the cursors opened on it. The C handle is
// used by one thread at a time: every call takes `mu` (cursors read batches on the thread
// pool). A commit or rollback frees the C handle at once; the objects then answer
// SKV_ECLOSED.
struct TxnCore {
    std::recursive_mutex mu;
    skv_txn *txn = nullptr;
    std::shared_ptr<DbCore> db;
    bool inScan = false; // a scan callback is running: calls on this transaction are refused

    void End() {
        if (txn) skv_txn_free(txn);
        txn = nullptr;
    }
    ~TxnCore() { End(); }
};

// Holds a transaction's lock on the JS thread; refuses calls made from inside its own scan
// callback (SKV_EBUSY), which would re-enter the engine.
class TxnLock {
  public:
    TxnLock(Napi::Env env, const std::shared_ptr<TxnCore> &core) : lock_(core->mu) {
        if (core->inScan)
            ThrowWith(env, SKV_EBUSY, "the transaction is scanning: a scan callback cannot use it");
    }

  private:
    std::lock_guard<std::recursive_mutex> lock_;
};

class Txn : public Napi::ObjectWrap<Txn> {
  public:
    static Napi::Function Class(Napi::Env env);
    static Napi::Object Wrap(Napi::Env env, skv_txn *txn, std::shared_ptr<DbCore> db);
    explicit Txn(const Napi::CallbackInfo &info);

  private:
    // The C handle for a call, or throws SKV_ECLOSED (ended, or its database closed).
    skv_txn *Handle(Napi::Env env);

    Napi::Value Get(const Napi::CallbackInfo &info);
    Napi::Value GetAt(const Napi::CallbackInfo &info);
    Napi::Value History(const Napi::CallbackInfo &info);
    Napi::Value Set(const Napi::CallbackInfo &info);
    Napi::Value SetAt(const Napi::CallbackInfo &info);
    Napi::Value Delete(const Napi::CallbackInfo &info);
    Napi::Value SoftDelete(const Napi::CallbackInfo &info);
    Napi::Value Replace(const Napi::CallbackInfo &info);
    Napi::Value Savepoint(const Napi::CallbackInfo &info);
    Napi::Value RollbackToSavepoint(const Napi::CallbackInfo &info);
    Napi::Value SetDurability(const Napi::CallbackInfo &info);
    Napi::Value CommitSync(const Napi::CallbackInfo &info);
    Napi::Value Commit(const Napi::CallbackInfo &info); // commit.cc
    Napi::Value Rollback(const Napi::CallbackInfo &info);
    Napi::Value Free(const Napi::CallbackInfo &info);
    Napi::Value Ended(const Napi::CallbackInfo &info);
    Napi::Value OpenCursor(const Napi::CallbackInfo &info);
    Napi::Value Scan(const Napi::CallbackInfo &info);

    std::shared_ptr<TxnCore> core_;
};

} // namespace skvnode

#endif
