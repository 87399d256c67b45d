// txn.cc — transactions: reads, writes, savepoints, the synchronous commit, rollback,
// cursors and callback scans, each one call of skv.h on the JavaScript thread, addressed by
// the transaction's handle (a number; lib/txn.js wraps it).
#include "txn.h"

#include "cursor.h"

namespace skvnode {

// ---- the handle table ------------------------------------------------------------------------

namespace {
constexpr double kIndexSpan = 16777216.0; // 2^24 slots; generations count above that
}

double TxnTable::Add(std::shared_ptr<TxnCore> core) {
    uint32_t index;
    if (!free_.empty()) {
        index = free_.back();
        free_.pop_back();
    } else {
        if (slots_.size() >= static_cast<size_t>(kIndexSpan)) return -1;
        index = static_cast<uint32_t>(slots_.size());
        slots_.emplace_back();
    }
    slots_[index].core = std::move(core);
    return slots_[index].gen * kIndexSpan + index;
}

const std::shared_ptr<TxnCore> *TxnTable::Find(double id) const {
    if (!(id >= 0)) return nullptr;
    double gen = static_cast<double>(static_cast<uint64_t>(id / kIndexSpan));
    size_t index = static_cast<size_t>(id - gen * kIndexSpan);
    if (index >= slots_.size() || slots_[index].gen != gen || !slots_[index].core) return nullptr;
    return &slots_[index].core;
}

void TxnTable::Release(double id) {
    if (!Find(id)) return;
    double gen = static_cast<double>(static_cast<uint64_t>(id / kIndexSpan));
    size_t index = static_cast<size_t>(id - gen * kIndexSpan);
    std::shared_ptr<TxnCore> core = std::move(slots_[index].core);
    slots_[index].core.reset();
    if (++slots_[index].gen >= 1u << 28) slots_[index].gen = 1; // stays below 2^53 in total
    free_.push_back(static_cast<uint32_t>(index));
    // `core` goes here: skv_txn_free once no cursor holds it
}

Napi::Value NewTxn(Napi::Env env, skv_txn *txn, std::shared_ptr<DbCore> db, int mode) {
    auto core = std::make_shared<TxnCore>();
    core->txn = txn;
    core->mode = mode;
    core->db = std::move(db);
    double id = Data(env)->txns->Add(std::move(core));
    if (id < 0) ThrowWith(env, SKV_ENOMEM, "too many live transactions");
    return Napi::Number::New(env, id);
}

// The transaction of a call: info[0] is its handle. A released handle is SKV_ECLOSED.
std::shared_ptr<TxnCore> TxnOf(const Napi::CallbackInfo &info) {
    const std::shared_ptr<TxnCore> *core =
        Data(info.Env())->txns->Find(info[0].As<Napi::Number>().DoubleValue());
    if (!core) ThrowWith(info.Env(), SKV_ECLOSED, "transaction has ended");
    return *core;
}

skv_txn *TxnHandle(Napi::Env env, const std::shared_ptr<TxnCore> &core) {
    if (core->db->closing) ThrowWith(env, SKV_ECLOSED, "database is closed");
    if (!core->txn) ThrowWith(env, SKV_ECLOSED, "transaction has ended");
    return core->txn;
}

void ReleaseTxn(const Napi::CallbackInfo &info) {
    Data(info.Env())->txns->Release(info[0].As<Napi::Number>().DoubleValue());
}

namespace {

Napi::Value Get(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    auto core = TxnOf(info);
    Bytes key(env, info[1], "key");
    TxnLock lock(env, core);
    const void *val;
    size_t vlen;
    int rc = skv_txn_get(TxnHandle(env, core), key.data(), key.size(), &val, &vlen);
    if (rc == SKV_NOTFOUND) return env.Undefined();
    Check(env, rc);
    return ScratchValue(env, val, vlen);
}

// getAt(id, key, ts): the value as of timestamp ts (time travel; needs enable_versioning).
Napi::Value GetAt(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    auto core = TxnOf(info);
    Bytes key(env, info[1], "key");
    uint64_t ts = ToU64(env, info[2], "timestamp");
    TxnLock lock(env, core);
    const void *val;
    size_t vlen;
    int rc = skv_txn_get_at(TxnHandle(env, core), key.data(), key.size(), ts, &val, &vlen);
    if (rc == SKV_NOTFOUND) return env.Undefined();
    Check(env, rc);
    return ScratchValue(env, val, vlen);
}

Napi::Value Set(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    auto core = TxnOf(info);
    Bytes key(env, info[1], "key"), val(env, info[2], "value");
    TxnLock lock(env, core);
    Check(env, skv_txn_set(TxnHandle(env, core), key.data(), key.size(), val.data(), val.size()));
    return env.Undefined();
}

Napi::Value SetAt(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    auto core = TxnOf(info);
    Bytes key(env, info[1], "key"), val(env, info[2], "value");
    uint64_t ts = ToU64(env, info[3], "timestamp");
    TxnLock lock(env, core);
    Check(env,
          skv_txn_set_at(TxnHandle(env, core), key.data(), key.size(), val.data(), val.size(), ts));
    return env.Undefined();
}

Napi::Value Delete(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    auto core = TxnOf(info);
    Bytes key(env, info[1], "key");
    TxnLock lock(env, core);
    Check(env, skv_txn_delete(TxnHandle(env, core), key.data(), key.size()));
    return env.Undefined();
}

Napi::Value SoftDelete(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    auto core = TxnOf(info);
    Bytes key(env, info[1], "key");
    TxnLock lock(env, core);
    Check(env, skv_txn_soft_delete(TxnHandle(env, core), key.data(), key.size()));
    return env.Undefined();
}

Napi::Value Replace(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    auto core = TxnOf(info);
    Bytes key(env, info[1], "key"), val(env, info[2], "value");
    TxnLock lock(env, core);
    Check(env,
          skv_txn_replace(TxnHandle(env, core), key.data(), key.size(), val.data(), val.size()));
    return env.Undefined();
}

Napi::Value Savepoint(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    auto core = TxnOf(info);
    TxnLock lock(env, core);
    Check(env, skv_txn_savepoint(TxnHandle(env, core)));
    return env.Undefined();
}

Napi::Value RollbackToSavepoint(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    auto core = TxnOf(info);
    TxnLock lock(env, core);
    Check(env, skv_txn_rollback_to_savepoint(TxnHandle(env, core)));
    return env.Undefined();
}

Napi::Value SetDurability(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    auto core = TxnOf(info);
    int durability = info[1].As<Napi::Number>().Int32Value();
    TxnLock lock(env, core);
    Check(env, skv_txn_set_durability(TxnHandle(env, core), durability));
    return env.Undefined();
}

// commitSync(id): the transaction has ended (and its handle is released) whatever it returns.
Napi::Value CommitSync(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    auto core = TxnOf(info);
    int rc;
    std::string msg;
    {
        TxnLock lock(env, core);
        skv_txn *txn = TxnHandle(env, core);
        core->db->submits.SubmitAll(); // async commits begun before it go first
        rc = skv_txn_commit(txn);
        if (rc) msg = skv_errmsg();
        core->End();
    }
    ReleaseTxn(info);
    if (rc) ThrowWith(env, rc, msg);
    return env.Undefined();
}

// rollback(id) / release(id): end the transaction (rolling back) and release the handle; a
// no-op on a released handle, as rolling back an ended transaction is in C.
Napi::Value Rollback(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    const std::shared_ptr<TxnCore> *found =
        Data(env)->txns->Find(info[0].As<Napi::Number>().DoubleValue());
    if (!found) return env.Undefined();
    std::shared_ptr<TxnCore> core = *found;
    {
        TxnLock lock(env, core);
        if (core->txn) skv_txn_rollback(core->txn); // only fails for a NULL handle
        core->End();
    }
    ReleaseTxn(info);
    return env.Undefined();
}

Napi::Value Ended(const Napi::CallbackInfo &info) {
    const std::shared_ptr<TxnCore> *core =
        Data(info.Env())->txns->Find(info[0].As<Napi::Number>().DoubleValue());
    return Napi::Boolean::New(info.Env(), !core || !(*core)->txn || (*core)->db->closing);
}

// cursor(id, lo, hi, flags): an skv_iter over [lo, hi); undefined/null bounds are unbounded.
Napi::Value OpenCursor(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    auto core = TxnOf(info);
    Bytes lo, hi;
    lo.Assign(env, info[1], "lower bound", true);
    hi.Assign(env, info[2], "upper bound", true);
    unsigned flags = info[3].IsNumber() ? info[3].As<Napi::Number>().Uint32Value() : 0;
    TxnLock lock(env, core);
    skv_iter *it;
    Check(env, skv_iter_open(TxnHandle(env, core), lo.data(), lo.size(), hi.data(), hi.size(),
                             flags, &it));
    return Cursor::Wrap(env, it, core, false);
}

// history(id, lo, hi, tsFrom, tsTo, flags, limit): a cursor over the versions of [lo, hi)
// with timestamps in [tsFrom, tsTo] (skv_txn_history).
Napi::Value History(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    auto core = TxnOf(info);
    Bytes lo, hi;
    lo.Assign(env, info[1], "lower bound", true);
    hi.Assign(env, info[2], "upper bound", true);
    uint64_t from = ToU64(env, info[3], "tsFrom"), to = ToU64(env, info[4], "tsTo");
    unsigned flags = info[5].IsNumber() ? info[5].As<Napi::Number>().Uint32Value() : 0;
    size_t limit = ToSize(env, info[6], "limit");
    TxnLock lock(env, core);
    skv_iter *it;
    Check(env, skv_txn_history(TxnHandle(env, core), lo.data(), lo.size(), hi.data(), hi.size(),
                               from, to, flags, limit, &it));
    return Cursor::Wrap(env, it, core, true);
}

struct ScanState {
    Napi::Env env;
    Napi::Function fn;
    bool failed = false;
    Napi::Error error;
};

int ScanEntry(void *user_data, const void *key, size_t klen, const void *val, size_t vlen) {
    auto *s = static_cast<ScanState *>(user_data);
    try {
        Napi::Value stop =
            s->fn.Call({CopyBuffer(s->env, key, klen), CopyBuffer(s->env, val, vlen)});
        return stop.ToBoolean().Value() ? 1 : 0;
    } catch (const Napi::Error &e) {
        s->failed = true;
        s->error = e;
        return 1;
    }
}

// scan(id, lo, hi, flags, limit, fn): fn(key, value) per entry on this thread; a truthy
// return stops the scan; an exception thrown by fn stops it and is rethrown.
Napi::Value Scan(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    auto core = TxnOf(info);
    Bytes lo, hi;
    lo.Assign(env, info[1], "lower bound", true);
    hi.Assign(env, info[2], "upper bound", true);
    unsigned flags = info[3].IsNumber() ? info[3].As<Napi::Number>().Uint32Value() : 0;
    size_t limit = ToSize(env, info[4], "limit");
    if (!info[5].IsFunction()) NAPI_THROW(Napi::TypeError::New(env, "skv: scan needs a callback"));
    ScanState state{env, info[5].As<Napi::Function>(), false, Napi::Error()};
    int rc;
    std::string msg;
    {
        TxnLock lock(env, core);
        skv_txn *txn = TxnHandle(env, core);
        core->inScan = true;
        rc = skv_txn_scan(txn, lo.data(), lo.size(), hi.data(), hi.size(), flags, limit, ScanEntry,
                          &state);
        core->inScan = false;
        if (rc) msg = skv_errmsg();
    }
    if (state.failed) throw state.error;
    if (rc) ThrowWith(env, rc, msg);
    return env.Undefined();
}

} // namespace

void ExportTxnFunctions(Napi::Env env, Napi::Object exports) {
    struct Fn {
        const char *name;
        Napi::Value (*fn)(const Napi::CallbackInfo &);
    };
    static const Fn fns[] = {
        {"txnGet", Get},
        {"txnGetAt", GetAt},
        {"txnSet", Set},
        {"txnSetAt", SetAt},
        {"txnDelete", Delete},
        {"txnSoftDelete", SoftDelete},
        {"txnReplace", Replace},
        {"txnSavepoint", Savepoint},
        {"txnRollbackToSavepoint", RollbackToSavepoint},
        {"txnSetDurability", SetDurability},
        {"txnCommitSync", CommitSync},
        {"txnCommit", TxnCommit},
        {"txnRollback", Rollback},
        {"txnEnded", Ended},
        {"txnCursor", OpenCursor},
        {"txnHistory", History},
        {"txnScan", Scan},
    };
    for (const Fn &f : fns) exports.Set(f.name, Napi::Function::New(env, f.fn, f.name));
}

} // namespace skvnode
