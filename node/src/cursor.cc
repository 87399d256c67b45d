// cursor.cc — cursors over a transaction's view: skv_iter_first/last/next/prev/seek, the
// current key and value, and batches (skv_iter_read_batch) read on the JavaScript thread or,
// for `for await`, on the thread pool while the event loop keeps running.
#include "cursor.h"

#include <cstring>

#include "work.h"

namespace skvnode {

Napi::Function Cursor::Class(Napi::Env env) {
    return DefineClass(env, "NativeCursor",
                       {
                           InstanceMethod<&Cursor::First>("first"),
                           InstanceMethod<&Cursor::Last>("last"),
                           InstanceMethod<&Cursor::Next>("next"),
                           InstanceMethod<&Cursor::Prev>("prev"),
                           InstanceMethod<&Cursor::Seek>("seek"),
                           InstanceMethod<&Cursor::Key>("key"),
                           InstanceMethod<&Cursor::Value>("value"),
                           InstanceMethod<&Cursor::Version>("version"),
                           InstanceMethod<&Cursor::ReadBatch>("readBatch"),
                           InstanceMethod<&Cursor::ReadBatchAsync>("readBatchAsync"),
                           InstanceMethod<&Cursor::Close>("close"),
                       });
}

Cursor::Cursor(const Napi::CallbackInfo &info) : Napi::ObjectWrap<Cursor>(info) {}

Cursor::~Cursor() {
    if (it_) {
        std::lock_guard<std::recursive_mutex> lock(txn_->mu);
        skv_iter_free(it_);
    }
}

Napi::Object Cursor::Wrap(Napi::Env env, skv_iter *it, std::shared_ptr<TxnCore> txn, bool history) {
    Napi::Object obj = Data(env)->cursorClass.New({});
    Cursor *c = Unwrap(obj);
    c->it_ = it;
    c->txn_ = std::move(txn);
    c->history_ = history;
    return obj;
}

skv_iter *Cursor::Handle(Napi::Env env) {
    if (!it_) ThrowWith(env, SKV_ECLOSED, "cursor is closed");
    if (txn_->db->closing) ThrowWith(env, SKV_ECLOSED, "database is closed");
    return it_;
}

// A positioning call: true on an entry, false when there is none.
Napi::Value Cursor::Move(const Napi::CallbackInfo &info, int (*move)(skv_iter *)) {
    Napi::Env env = info.Env();
    TxnLock lock(env, txn_);
    int rc = move(Handle(env));
    started_ = true;
    if (rc == SKV_NOTFOUND) return Napi::Boolean::New(env, false);
    Check(env, rc);
    return Napi::Boolean::New(env, true);
}

Napi::Value Cursor::First(const Napi::CallbackInfo &info) { return Move(info, skv_iter_first); }
Napi::Value Cursor::Last(const Napi::CallbackInfo &info) { return Move(info, skv_iter_last); }
Napi::Value Cursor::Next(const Napi::CallbackInfo &info) { return Move(info, skv_iter_next); }
Napi::Value Cursor::Prev(const Napi::CallbackInfo &info) { return Move(info, skv_iter_prev); }

Napi::Value Cursor::Seek(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    Bytes key(env, info[0], "key");
    TxnLock lock(env, txn_);
    int rc = skv_iter_seek(Handle(env), key.data(), key.size());
    started_ = true;
    if (rc == SKV_NOTFOUND) return Napi::Boolean::New(env, false);
    Check(env, rc);
    return Napi::Boolean::New(env, true);
}

// The current key / value; undefined when the cursor is not on an entry.
Napi::Value Cursor::Key(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    TxnLock lock(env, txn_);
    const void *p;
    size_t n;
    int rc = skv_iter_key(Handle(env), &p, &n);
    if (rc == SKV_NOTFOUND) return env.Undefined();
    Check(env, rc);
    return CopyBuffer(env, p, n);
}

Napi::Value Cursor::Value(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    TxnLock lock(env, txn_);
    const void *p;
    size_t n;
    int rc = skv_iter_value(Handle(env), &p, &n);
    if (rc == SKV_NOTFOUND) return env.Undefined();
    Check(env, rc);
    return CopyBuffer(env, p, n);
}

// version(): [timestamp (BigInt), kind (SKV_KIND_*)] of the current version of a history
// cursor; undefined when not on one.
Napi::Value Cursor::Version(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    TxnLock lock(env, txn_);
    uint64_t ts;
    int kind;
    int rc = skv_iter_version(Handle(env), &ts, &kind);
    if (rc == SKV_NOTFOUND) return env.Undefined();
    Check(env, rc);
    Napi::Array out = Napi::Array::New(env, 2);
    out.Set(0u, Napi::BigInt::New(env, ts));
    out.Set(1u, Napi::Number::New(env, kind));
    return out;
}

Napi::Value Cursor::Close(const Napi::CallbackInfo &info) {
    std::lock_guard<std::recursive_mutex> lock(txn_->mu);
    if (it_) skv_iter_free(it_);
    it_ = nullptr;
    return info.Env().Undefined();
}

int Cursor::Batch(size_t maxEntries, size_t maxBytes, std::string &out, std::string &msg) {
    out.clear();
    int rc;
    if (history_) {
        rc = BatchVersions(maxEntries, maxBytes, out);
    } else {
        const void *buf;
        size_t len, count;
        rc = skv_iter_read_batch(it_, maxEntries, maxBytes, &buf, &len, &count);
        if (rc == SKV_OK) out.assign(static_cast<const char *>(buf), len);
    }
    started_ = true;
    if (rc != SKV_OK && rc != SKV_NOTFOUND) msg = skv_errmsg();
    return rc;
}

namespace {
void PutU32(std::string &out, uint32_t v) {
    for (int i = 0; i < 4; i++) out.push_back(static_cast<char>(v >> (8 * i)));
}
void PutU64(std::string &out, uint64_t v) {
    for (int i = 0; i < 8; i++) out.push_back(static_cast<char>(v >> (8 * i)));
}
} // namespace

// skv_iter_read_batch for a history cursor, which also needs each version's timestamp and
// kind: the same walk (from the current version, from the first when never positioned, and
// standing after the last one taken) over skv_iter_key/value/version/next. Entries are laid
// out as [klen u32][vlen u32][kind u32][ts u64][key][value], little-endian.
int Cursor::BatchVersions(size_t maxEntries, size_t maxBytes, std::string &out) {
    const void *k, *v;
    size_t klen, vlen;
    int rc = skv_iter_key(it_, &k, &klen);
    if (rc == SKV_NOTFOUND && !started_) rc = skv_iter_first(it_);
    size_t count = 0, complete = 0;
    while (rc == SKV_OK) {
        uint64_t ts;
        int kind;
        if ((rc = skv_iter_key(it_, &k, &klen)) != SKV_OK) break;
        PutU32(out, static_cast<uint32_t>(klen));
        size_t at = out.size();
        PutU32(out, 0);
        if ((rc = skv_iter_version(it_, &ts, &kind)) != SKV_OK) break;
        PutU32(out, static_cast<uint32_t>(kind));
        PutU64(out, ts);
        out.append(static_cast<const char *>(k), klen);
        if ((rc = skv_iter_value(it_, &v, &vlen)) != SKV_OK) break; // k is stale from here
        for (int i = 0; i < 4; i++) out[at + i] = static_cast<char>(vlen >> (8 * i));
        out.append(static_cast<const char *>(v), vlen);
        count++;
        complete = out.size();
        rc = skv_iter_next(it_);
        if ((maxEntries && count >= maxEntries) || (maxBytes && out.size() >= maxBytes)) break;
    }
    if (rc == SKV_OK || rc == SKV_NOTFOUND) return count ? SKV_OK : SKV_NOTFOUND;
    if (!count) return rc;
    out.resize(complete); // the entries before an error now, the error at the next call
    return SKV_OK;
}

// readBatch(maxEntries, maxBytes): the next entries as one Buffer (layout of
// skv_iter_read_batch; history cursors add each version's kind and timestamp), or undefined
// at the end.
Napi::Value Cursor::ReadBatch(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    size_t maxEntries = ToSize(env, info[0], "maxEntries");
    size_t maxBytes = ToSize(env, info[1], "maxBytes");
    TxnLock lock(env, txn_);
    Handle(env);
    std::string out, msg;
    int rc = Batch(maxEntries, maxBytes, out, msg);
    if (rc == SKV_NOTFOUND) return env.Undefined();
    if (rc) ThrowWith(env, rc, msg);
    return CopyBuffer(env, out.data(), out.size());
}

// The same on the thread pool: a promise of the Buffer or undefined.
Napi::Value Cursor::ReadBatchAsync(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    size_t maxEntries = ToSize(env, info[0], "maxEntries");
    size_t maxBytes = ToSize(env, info[1], "maxBytes");
    {
        TxnLock lock(env, txn_);
        Handle(env);
    }
    struct Result {
        std::string out;
        int rc = SKV_OK;
    };
    auto result = std::make_shared<Result>();
    auto call = std::make_shared<PoolCall>(txn_->db);
    auto txn = txn_;
    return Work::Queue(
        env,
        [this, txn, call, result, maxEntries, maxBytes]() mutable {
            int rc;
            {
                std::lock_guard<std::recursive_mutex> lock(txn->mu);
                std::string msg;
                rc = it_ ? Batch(maxEntries, maxBytes, result->out, msg) : SKV_ECLOSED;
            }
            call.reset(); // the pool call is over before the promise settles
            result->rc = rc;
            return rc == SKV_NOTFOUND ? SKV_OK : rc;
        },
        [result](Napi::Env env) -> Napi::Value {
            if (result->rc == SKV_NOTFOUND) return env.Undefined();
            return CopyBuffer(env, result->out.data(), result->out.size());
        },
        {info.This().As<Napi::Object>()});
}

} // namespace skvnode
