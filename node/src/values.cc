// values.cc — JavaScript values in and out of the addon: skv errors as SkvError objects,
// byte strings, timestamps and counts.
#include <cstring>

#include "common.h"

namespace skvnode {

napi_value MakeError(napi_env env, int rc, const std::string &detail) {
    napi_value args[3], err = nullptr;
    const char *msg = detail.empty() ? skv_strerror(rc) : detail.c_str();
    napi_create_string_utf8(env, skv_errname(rc), NAPI_AUTO_LENGTH, &args[0]);
    napi_create_int32(env, rc, &args[1]);
    napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &args[2]);
    AddonData *d = Data(env);
    if (d && !d->errorClass.IsEmpty()) {
        napi_new_instance(env, d->errorClass.Value(), 3, args, &err);
    }
    if (!err) napi_create_error(env, args[0], args[2], &err);
    return err;
}

void ThrowWith(Napi::Env env, int rc, const std::string &msg) {
    throw Napi::Error(env, MakeError(env, rc, msg));
}

void Throw(Napi::Env env, int rc) {
    ThrowWith(env, rc, skv_errmsg()); // copied before any other skv call on this thread
}

void Bytes::Assign(napi_env env, napi_value v, const char *what, bool optional) {
    napi_valuetype t;
    napi_typeof(env, v, &t);
    if (t == napi_string) {
        size_t len = 0;
        napi_get_value_string_utf8(env, v, small_, sizeof small_, &len);
        if (len < sizeof small_ - 1) {
            p_ = small_;
            n_ = len;
            return;
        }
        napi_get_value_string_utf8(env, v, nullptr, 0, &len);
        own_.resize(len + 1);
        napi_get_value_string_utf8(env, v, &own_[0], len + 1, &len);
        own_.resize(len);
        p_ = own_.data();
        n_ = len;
        return;
    }
    if (t == napi_object) {
        bool is = false;
        void *data = nullptr;
        if (napi_is_typedarray(env, v, &is) == napi_ok && is) {
            napi_typedarray_type type;
            size_t length;
            napi_get_typedarray_info(env, v, &type, &length, &data, nullptr, nullptr);
            size_t width = 1;
            switch (type) {
            case napi_int16_array:
            case napi_uint16_array: width = 2; break;
            case napi_int32_array:
            case napi_uint32_array:
            case napi_float32_array: width = 4; break;
            case napi_float64_array:
            case napi_bigint64_array:
            case napi_biguint64_array: width = 8; break;
            default: break;
            }
            p_ = data;
            n_ = length * width;
            return;
        }
        if (napi_is_dataview(env, v, &is) == napi_ok && is) {
            napi_get_dataview_info(env, v, &n_, &data, nullptr, nullptr);
            p_ = data;
            return;
        }
        if (napi_is_arraybuffer(env, v, &is) == napi_ok && is) {
            napi_get_arraybuffer_info(env, v, &data, &n_);
            p_ = data;
            return;
        }
    }
    if (optional && (t == napi_undefined || t == napi_null)) {
        absent_ = true;
        return;
    }
    Napi::TypeError e = Napi::TypeError::New(
        env, std::string("skv: ") + what + " must be a Buffer, a TypedArray or a string");
    e.Set("code", Napi::String::New(env, "ERR_INVALID_ARG_TYPE"));
    throw e;
}

uint64_t ToU64(Napi::Env env, Napi::Value v, const char *what) {
    if (v.IsBigInt()) {
        bool lossless = false;
        uint64_t u = v.As<Napi::BigInt>().Uint64Value(&lossless);
        if (lossless) return u;
    } else if (v.IsNumber()) {
        double d = v.As<Napi::Number>().DoubleValue();
        if (d >= 0 && d <= 9007199254740991.0 && d == static_cast<double>(static_cast<uint64_t>(d)))
            return static_cast<uint64_t>(d);
    }
    Napi::RangeError e = Napi::RangeError::New(
        env,
        std::string("skv: ") + what + " must be a BigInt or a safe integer between 0 and 2^64 - 1");
    e.Set("code", Napi::String::New(env, "ERR_OUT_OF_RANGE"));
    throw e;
}

size_t ToSize(Napi::Env env, Napi::Value v, const char *what) {
    if (v.IsUndefined() || v.IsNull()) return 0;
    return static_cast<size_t>(ToU64(env, v, what));
}

Napi::Buffer<uint8_t> CopyBuffer(Napi::Env env, const void *p, size_t n) {
    return Napi::Buffer<uint8_t>::Copy(env, static_cast<const uint8_t *>(p ? p : ""), n);
}

Napi::Value ScratchValue(Napi::Env env, const void *p, size_t n) {
    AddonData *d = Data(env);
    if (n > d->scratchSize) return CopyBuffer(env, p, n);
    if (n) std::memcpy(d->scratchData, p, n);
    return Napi::Number::New(env, static_cast<double>(n));
}

} // namespace skvnode
