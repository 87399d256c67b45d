// addon.cc — the module: checks at load that the engine it was built with has the ABI of
// the header it was compiled against, creates the classes, and exports the library-level
// functions of skv.h (versions, error names and texts) next to open/openAsync.
#include "cursor.h"
#include "db.h"
#include "options.h"
#include "txn.h"

namespace skvnode {

AddonData::AddonData() : txns(new TxnTable()) {}
AddonData::~AddonData() = default; // live transactions are freed with the table

AddonData *Data(napi_env env) {
    void *data = nullptr;
    napi_get_instance_data(env, &data);
    return static_cast<AddonData *>(data);
}

namespace {

Napi::Value VersionNumber(const Napi::CallbackInfo &info) {
    return Napi::Number::New(info.Env(), skv_version_number());
}

Napi::Value VersionString(const Napi::CallbackInfo &info) {
    return Napi::String::New(info.Env(), skv_version_string());
}

Napi::Value AbiVersion(const Napi::CallbackInfo &info) {
    return Napi::Number::New(info.Env(), skv_abi_version());
}

Napi::Value ErrName(const Napi::CallbackInfo &info) {
    return Napi::String::New(info.Env(), skv_errname(info[0].As<Napi::Number>().Int32Value()));
}

Napi::Value StrError(const Napi::CallbackInfo &info) {
    return Napi::String::New(info.Env(), skv_strerror(info[0].As<Napi::Number>().Int32Value()));
}

// The JavaScript class skv errors are made of (lib/errors.js), set once at load.
Napi::Value SetErrorClass(const Napi::CallbackInfo &info) {
    Data(info.Env())->errorClass = Napi::Persistent(info[0].As<Napi::Function>());
    return info.Env().Undefined();
}

} // namespace

// The scratch buffer small values are passed through (lib/native.js), set once at load.
Napi::Value SetScratch(const Napi::CallbackInfo &info) {
    AddonData *d = Data(info.Env());
    Napi::Buffer<uint8_t> buf = info[0].As<Napi::Buffer<uint8_t>>();
    d->scratch = Napi::Persistent(buf);
    d->scratchData = buf.Data();
    d->scratchSize = buf.Length();
    return info.Env().Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
    if (skv_abi_version() != SKV_ABI_VERSION) {
        Napi::Error e = Napi::Error::New(env, "skv: the engine's ABI version differs from skv.h's");
        e.Set("code", Napi::String::New(env, "SKV_EVERSION"));
        throw e;
    }
    auto *data = new AddonData();
    env.SetInstanceData<AddonData>(data); // deleted with the environment
    Napi::Function db = Db::Class(env), cursor = Cursor::Class(env), options = Options::Class(env);
    data->dbClass = Napi::Persistent(db);
    data->cursorClass = Napi::Persistent(cursor);
    data->optionsClass = Napi::Persistent(options);
    exports.Set("Options", options);
    ExportTxnFunctions(env, exports);
    exports.Set("open", Napi::Function::New(env, Db::Open, "open"));
    exports.Set("openAsync", Napi::Function::New(env, Db::OpenAsync, "openAsync"));
    exports.Set("checkDir", Napi::Function::New(env, Db::CheckDir, "checkDir"));
    exports.Set("checkDirAsync", Napi::Function::New(env, Db::CheckDirAsync, "checkDirAsync"));
    exports.Set("versionNumber", Napi::Function::New(env, VersionNumber, "versionNumber"));
    exports.Set("versionString", Napi::Function::New(env, VersionString, "versionString"));
    exports.Set("abiVersion", Napi::Function::New(env, AbiVersion, "abiVersion"));
    exports.Set("errname", Napi::Function::New(env, ErrName, "errname"));
    exports.Set("strerror", Napi::Function::New(env, StrError, "strerror"));
    exports.Set("setErrorClass", Napi::Function::New(env, SetErrorClass, "setErrorClass"));
    exports.Set("setScratch", Napi::Function::New(env, SetScratch, "setScratch"));
    return exports;
}

} // namespace skvnode

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) {
    return skvnode::Init(env, exports);
}

NODE_API_MODULE(skv, InitModule)
