// cursor.h — an skv_iter as a JavaScript object: positioning, the current entry, and batched
// reads on the JavaScript thread or the thread pool.
#ifndef SKV_NODE_CURSOR_H
#define SKV_NODE_CURSOR_H

#include <string>

#include "txn.h"

namespace skvnode {

class Cursor : public Napi::ObjectWrap<Cursor> {
  public:
    static Napi::Function Class(Napi::Env env);
    // history: opened by skv_txn_history (batches then carry each version's timestamp/kind).
    static Napi::Object Wrap(Napi::Env env, skv_iter *it, std::shared_ptr<TxnCore> txn,
                             bool history);
    explicit Cursor(const Napi::CallbackInfo &info);
    ~Cursor() override;

  private:
    skv_iter *Handle(Napi::Env env);
    Napi::Value Move(const Napi::CallbackInfo &info, int (*move)(skv_iter *));

    Napi::Value First(const Napi::CallbackInfo &info);
    Napi::Value Last(const Napi::CallbackInfo &info);
    Napi::Value Next(const Napi::CallbackInfo &info);
    Napi::Value Prev(const Napi::CallbackInfo &info);
    Napi::Value Seek(const Napi::CallbackInfo &info);
    Napi::Value Key(const Napi::CallbackInfo &info);
    Napi::Value Value(const Napi::CallbackInfo &info);
    Napi::Value Version(const Napi::CallbackInfo &info);
    Napi::Value ReadBatch(const Napi::CallbackInfo &info);
    Napi::Value ReadBatchAsync(const Napi::CallbackInfo &info);
    Napi::Value Close(const Napi::CallbackInfo &info);

    // One batch into `out` (any thread, txn lock held): SKV_OK, SKV_NOTFOUND at the end, or
    // an error with its message in `msg`.
    int Batch(size_t maxEntries, size_t maxBytes, std::string &out, std::string &msg);
    int BatchVersions(size_t maxEntries, size_t maxBytes, std::string &out);

    std::shared_ptr<TxnCore> txn_;
    skv_iter *it_ = nullptr;
    bool history_ = false;
    bool started_ = false; // a positioning call or a batch has run
};

} // namespace skvnode

#endif
