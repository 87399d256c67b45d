// common.h — what every file of the addon shares: the per-environment data, skv errors as
// JavaScript exceptions, byte-string arguments and 64-bit timestamps.
#ifndef SKV_NODE_COMMON_H
#define SKV_NODE_COMMON_H

#include <napi.h>
#include <skv.h>

#include <cstdint>
#include <memory>
#include <string>

namespace skvnode {

class TxnTable;

// Per environment (main thread or worker): the constructors the addon creates objects with,
// the JavaScript error class (lib/errors.js) skv errors are made of, and the transactions.
struct AddonData {
    AddonData();
    ~AddonData();
    std::unique_ptr<TxnTable> txns;
    Napi::FunctionReference errorClass;
    Napi::FunctionReference dbClass;
    Napi::FunctionReference cursorClass;
    Napi::FunctionReference optionsClass;
    // A Buffer the JavaScript side copies small values out of (lib/native.js): filling it
    // and copying from it costs far less than a new ArrayBuffer per value.
    Napi::Reference<Napi::Buffer<uint8_t>> scratch;
    uint8_t *scratchData = nullptr;
    size_t scratchSize = 0;
};

AddonData *Data(napi_env env);

// An skv error as a JavaScript value: new SkvError(code name, errno, message). The message is
// `detail` when non-empty, else skv_strerror(rc).
napi_value MakeError(napi_env env, int rc, const std::string &detail);

// Throws the error of a failed call; reads skv_errmsg() of this thread, so call it right after
// the failing skv call.
[[noreturn]] void Throw(Napi::Env env, int rc);
// Throws an skv error with a message of the addon's own (e.g. SKV_ECLOSED for a closed handle).
[[noreturn]] void ThrowWith(Napi::Env env, int rc, const std::string &msg);

inline void Check(Napi::Env env, int rc) {
    if (rc != SKV_OK) Throw(env, rc);
}

// A byte-string argument: a Buffer or any TypedArray, a DataView, an ArrayBuffer, or a string
// (UTF-8). The bytes are borrowed from the JavaScript value (or held here for strings) and
// stay valid while this object lives, on any thread, as long as the value is not collected.
class Bytes {
  public:
    Bytes() = default;
    Bytes(napi_env env, napi_value v, const char *what) { Assign(env, v, what); }
    Bytes(const Bytes &) = delete;
    Bytes &operator=(const Bytes &) = delete;
    // undefined/null leave it absent (an unbounded range end).
    void Assign(napi_env env, napi_value v, const char *what, bool optional = false);
    bool absent() const { return absent_; }
    const void *data() const { return absent_ ? nullptr : (p_ ? p_ : ""); }
    size_t size() const { return n_; }

  private:
    const void *p_ = nullptr;
    size_t n_ = 0;
    bool absent_ = false;
    std::string own_;
    char small_[128];
};

// A timestamp: a BigInt, or a non-negative safe-integer Number.
uint64_t ToU64(Napi::Env env, Napi::Value v, const char *what);
// An optional count: undefined/null/0 = 0.
size_t ToSize(Napi::Env env, Napi::Value v, const char *what);

Napi::Buffer<uint8_t> CopyBuffer(Napi::Env env, const void *p, size_t n);
// A value for the JavaScript side: its length as a Number when it was copied into the
// scratch buffer, else a Buffer of its own.
Napi::Value ScratchValue(Napi::Env env, const void *p, size_t n);

} // namespace skvnode

#endif
