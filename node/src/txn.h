// txn.h — transactions: their shared state (TxnCore) and the table of their handles.
#ifndef SKV_NODE_TXN_H
#define SKV_NODE_TXN_H

#include <mutex>
#include <vector>

#include "db.h"

namespace skvnode {

// One transaction, shared by its handle in the TxnTable and the cursors opened on it. The C
// handle is used by one thread at a time: every call takes `mu` (cursors read batches on the
// thread pool). A commit or rollback frees the C handle at once; calls then answer
// SKV_ECLOSED.
struct TxnCore {
    std::recursive_mutex mu;
    skv_txn *txn = nullptr;
    std::shared_ptr<DbCore> db;
    int mode = SKV_TXN_READ_WRITE; // as begun
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

// Transactions are plain numbers on the JavaScript side (lib/txn.js): an index into this
// per-environment table plus a generation, so that beginning one costs no wrapped object.
// A handle is released when its transaction ends (commit, rollback, close) or when its Txn
// object is collected (a FinalizationRegistry); a released handle answers SKV_ECLOSED.
class TxnTable {
  public:
    double Add(std::shared_ptr<TxnCore> core);
    // The transaction of a live handle, or nullptr.
    const std::shared_ptr<TxnCore> *Find(double id) const;
    void Release(double id);

  private:
    struct Slot {
        std::shared_ptr<TxnCore> core;
        uint32_t gen = 1;
    };
    std::vector<Slot> slots_;
    std::vector<uint32_t> free_;
};

// Begins the transaction object of a new skv_txn (begun in `mode`): its handle (Db::Begin).
Napi::Value NewTxn(Napi::Env env, skv_txn *txn, std::shared_ptr<DbCore> db, int mode);
// The transaction whose handle is info[0]; SKV_ECLOSED once released.
std::shared_ptr<TxnCore> TxnOf(const Napi::CallbackInfo &info);
// Its C handle for a call; SKV_ECLOSED when it has ended or its database was closed.
skv_txn *TxnHandle(Napi::Env env, const std::shared_ptr<TxnCore> &core);
// Releases the handle info[0] (the transaction has ended).
void ReleaseTxn(const Napi::CallbackInfo &info);
// txn.commit(): commit.cc.
Napi::Value TxnCommit(const Napi::CallbackInfo &info);
// The transaction functions of the module (txnGet, txnSet, ... txnCommit).
void ExportTxnFunctions(Napi::Env env, Napi::Object exports);

} // namespace skvnode

#endif
