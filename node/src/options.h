// options.h — an skv_options set as a JavaScript object (skv.Options).
#ifndef SKV_NODE_OPTIONS_H
#define SKV_NODE_OPTIONS_H

#include "common.h"

namespace skvnode {

class Options : public Napi::ObjectWrap<Options> {
  public:
    static Napi::Function Class(Napi::Env env);
    // The option set behind a value made by this class; NULL (every default) for anything else.
    static const skv_options *From(Napi::Value v);
    explicit Options(const Napi::CallbackInfo &info);
    ~Options() override;

  private:
    Napi::Value Set(const Napi::CallbackInfo &info);
    skv_options *opts_ = nullptr;
};

} // namespace skvnode

#endif
