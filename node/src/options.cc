// options.cc — skv_options_new, skv_options_set and skv_options_free behind skv.Options: a
// bad name or value throws SKV_EINVAL naming it, before anything is opened.
#include "options.h"

namespace skvnode {

Napi::Function Options::Class(Napi::Env env) {
    return DefineClass(env, "NativeOptions", {InstanceMethod<&Options::Set>("set")});
}

Options::Options(const Napi::CallbackInfo &info) : Napi::ObjectWrap<Options>(info) {
    Check(info.Env(), skv_options_new(&opts_));
}

Options::~Options() { skv_options_free(opts_); }

const skv_options *Options::From(Napi::Value v) {
    if (!v.IsObject()) return nullptr;
    Napi::Object o = v.As<Napi::Object>();
    if (!o.InstanceOf(Data(v.Env())->optionsClass.Value())) return nullptr;
    return Unwrap(o)->opts_;
}

// set(name, value): both strings, as skv_options_set takes them.
Napi::Value Options::Set(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    std::string name = info[0].ToString().Utf8Value();
    std::string value = info[1].ToString().Utf8Value();
    Check(env, skv_options_set(opts_, name.c_str(), value.c_str()));
    return env.Undefined();
}

} // namespace skvnode
