// txn.cc — transactions: reads, writes, savepoints, the synchronous commit, rollback and
// callback scans, each one call of skv.h on the JavaScript thread.
#include "txn.h"

#include "cursor.h"

namespace skvnode {

Napi::Function Txn::Class(Napi::Env env) {
    return DefineClass(env, "NativeTxn",
                       {
                           InstanceMethod<&Txn::Get>("get"),
                           InstanceMethod<&Txn::GetAt>("getAt"),
                           InstanceMethod<&Txn::History>("history"),
                           InstanceMethod<&Txn::Set>("set"),
                           InstanceMethod<&Txn::SetAt>("setAt"),
                           InstanceMethod<&Txn::Delete>("delete"),
                           InstanceMethod<&Txn::SoftDelete>("softDelete"),
                           InstanceMethod<&Txn::Replace>("replace"),
                           InstanceMethod<&Txn::Savepoint>("savepoint"),
                           InstanceMethod<&Txn::RollbackToSavepoint>("rollbackToSavepoint"),
                           InstanceMethod<&Txn::SetDurability>("setDurability"),
                           InstanceMethod<&Txn::CommitSync>("commitSync"),
                           InstanceMethod<&Txn::Commit>("commit"),
                           InstanceMethod<&Txn::Rollback>("rollback"),
                           InstanceMethod<&Txn::Free>("free"),
                           InstanceMethod<&Txn::Ended>("ended"),
                           InstanceMethod<&Txn::OpenCursor>("cursor"),
                           InstanceMethod<&Txn::Scan>("scan"),
                       });
}

Txn::Txn(const Napi::CallbackInfo &info) : Napi::ObjectWrap<Txn>(info) {}

Napi::Object Txn::Wrap(Napi::Env env, skv_txn *txn, std::shared_ptr<DbCore> db) {
    Napi::Object obj = Data(env)->txnClass.New({});
    Txn *t = Unwrap(obj);
    t->core_ = std::make_shared<TxnCore>();
    t->core_->txn = txn;
    t->core_->db = std::move(db);
    return obj;
}

skv_txn *Txn::Handle(Napi::Env env) {
    if (core_->db->closing) ThrowWith(env, SKV_ECLOSED, "database is closed");
    if (!core_->txn) ThrowWith(env, SKV_ECLOSED, "transaction has ended");
    return core_->txn;
}

Napi::Value Txn::Get(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    Bytes key(env, info[0], "key");
    TxnLock lock(env, core_);
    const void *val;
    size_t vlen;
    int rc = skv_txn_get(Handle(env), key.data(), key.size(), &val, &vlen);
    if (rc == SKV_NOTFOUND) return env.Undefined();
    Check(env, rc);
    return ScratchValue(env, val, vlen);
}

// getAt(key, ts): the value as of timestamp ts (time travel; needs enable_versioning).
Napi::Value Txn::GetAt(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    Bytes key(env, info[0], "key");
    uint64_t ts = ToU64(env, info[1], "timestamp");
    TxnLock lock(env, core_);
    const void *val;
    size_t vlen;
    int rc = skv_txn_get_at(Handle(env), key.data(), key.size(), ts, &val, &vlen);
    if (rc == SKV_NOTFOUND) return env.Undefined();
    Check(env, rc);
    return ScratchValue(env, val, vlen);
}

// history(lo, hi, tsFrom, tsTo, flags, limit): a cursor over the versions of [lo, hi) with
// timestamps in [tsFrom, tsTo] (skv_txn_history).
Napi::Value Txn::History(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    Bytes lo, hi;
    lo.Assign(env, info[0], "lower bound", true);
    hi.Assign(env, info[1], "upper bound", true);
    uint64_t from = ToU64(env, info[2], "tsFrom"), to = ToU64(env, info[3], "tsTo");
    unsigned flags = info[4].IsNumber() ? info[4].As<Napi::Number>().Uint32Value() : 0;
    size_t limit = ToSize(env, info[5], "limit");
    TxnLock lock(env, core_);
    skv_iter *it;
    Check(env, skv_txn_history(Handle(env), lo.data(), lo.size(), hi.data(), hi.size(), from, to,
                               flags, limit, &it));
    return Cursor::Wrap(env, it, core_, true);
}

Napi::Value Txn::Set(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    Bytes key(env, info[0], "key"), val(env, info[1], "value");
    TxnLock lock(env, core_);
    Check(env, skv_txn_set(Handle(env), key.data(), key.size(), val.data(), val.size()));
    return env.Undefined();
}

Napi::Value Txn::SetAt(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    Bytes key(env, info[0], "key"), val(env, info[1], "value");
    uint64_t ts = ToU64(env, info[2], "timestamp");
    TxnLock lock(env, core_);
    Check(env, skv_txn_set_at(Handle(env), key.data(), key.size(), val.data(), val.size(), ts));
    return env.Undefined();
}

Napi::Value Txn::Delete(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    Bytes key(env, info[0], "key");
    TxnLock lock(env, core_);
    Check(env, skv_txn_delete(Handle(env), key.data(), key.size()));
    return env.Undefined();
}

Napi::Value Txn::SoftDelete(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    Bytes key(env, info[0], "key");
    TxnLock lock(env, core_);
    Check(env, skv_txn_soft_delete(Handle(env), key.data(), key.size()));
    return env.Undefined();
}

Napi::Value Txn::Replace(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    Bytes key(env, info[0], "key"), val(env, info[1], "value");
    TxnLock lock(env, core_);
    Check(env, skv_txn_replace(Handle(env), key.data(), key.size(), val.data(), val.size()));
    return env.Undefined();
}

Napi::Value Txn::Savepoint(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    TxnLock lock(env, core_);
    Check(env, skv_txn_savepoint(Handle(env)));
    return env.Undefined();
}

Napi::Value Txn::RollbackToSavepoint(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    TxnLock lock(env, core_);
    Check(env, skv_txn_rollback_to_savepoint(Handle(env)));
    return env.Undefined();
}

Napi::Value Txn::SetDurability(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    int durability = info[0].As<Napi::Number>().Int32Value();
    TxnLock lock(env, core_);
    Check(env, skv_txn_set_durability(Handle(env), durability));
    return env.Undefined();
}

Napi::Value Txn::CommitSync(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    TxnLock lock(env, core_);
    int rc = skv_txn_commit(Handle(env));
    std::string msg = rc ? skv_errmsg() : "";
    core_->End(); // the transaction has ended whatever the commit returned
    if (rc) ThrowWith(env, rc, msg);
    return env.Undefined();
}

// Rolling back an ended transaction is a no-op, as in C.
Napi::Value Txn::Rollback(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    TxnLock lock(env, core_);
    if (core_->txn) {
        int rc = skv_txn_rollback(core_->txn);
        std::string msg = rc ? skv_errmsg() : "";
        core_->End();
        if (rc) ThrowWith(env, rc, msg);
    }
    return env.Undefined();
}

// skv_txn_free now: rolls back if still open; later calls answer SKV_ECLOSED.
Napi::Value Txn::Free(const Napi::CallbackInfo &info) {
    TxnLock lock(info.Env(), core_);
    core_->End();
    return info.Env().Undefined();
}

Napi::Value Txn::Ended(const Napi::CallbackInfo &info) {
    return Napi::Boolean::New(info.Env(), !core_->txn || core_->db->closing);
}

// cursor(lo, hi, flags): an skv_iter over [lo, hi); undefined/null bounds are unbounded.
Napi::Value Txn::OpenCursor(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    Bytes lo, hi;
    lo.Assign(env, info[0], "lower bound", true);
    hi.Assign(env, info[1], "upper bound", true);
    unsigned flags = info[2].IsNumber() ? info[2].As<Napi::Number>().Uint32Value() : 0;
    TxnLock lock(env, core_);
    skv_iter *it;
    Check(env, skv_iter_open(Handle(env), lo.data(), lo.size(), hi.data(), hi.size(), flags, &it));
    return Cursor::Wrap(env, it, core_, false);
}

namespace {

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

} // namespace

// scan(lo, hi, flags, limit, fn): fn(key, value) per entry on this thread; a truthy return
// stops the scan; an exception thrown by fn stops it and is rethrown.
Napi::Value Txn::Scan(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    Bytes lo, hi;
    lo.Assign(env, info[0], "lower bound", true);
    hi.Assign(env, info[1], "upper bound", true);
    unsigned flags = info[2].IsNumber() ? info[2].As<Napi::Number>().Uint32Value() : 0;
    size_t limit = ToSize(env, info[3], "limit");
    if (!info[4].IsFunction()) NAPI_THROW(Napi::TypeError::New(env, "skv: scan needs a callback"));
    ScanState state{env, info[4].As<Napi::Function>(), false, Napi::Error()};
    int rc;
    std::string msg;
    {
        TxnLock lock(env, core_);
        skv_txn *txn = Handle(env);
        core_->inScan = true;
        rc = skv_txn_scan(txn, lo.data(), lo.size(), hi.data(), hi.size(), flags, limit, ScanEntry,
                          &state);
        core_->inScan = false;
        if (rc) msg = skv_errmsg();
    }
    if (state.failed) throw state.error;
    if (rc) ThrowWith(env, rc, msg);
    return env.Undefined();
}

} // namespace skvnode
