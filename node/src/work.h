// work.h — runs one blocking skv call on the libuv thread pool and settles a Promise with
// its result on the JavaScript thread.
#ifndef SKV_NODE_WORK_H
#define SKV_NODE_WORK_H

#include <functional>
#include <string>
#include <vector>

#include "common.h"

namespace skvnode {

// run() executes off the event loop and returns an skv code; on SKV_OK the promise resolves
// with done(env) (undefined when done is empty), otherwise it rejects with the SkvError.
// finish(env, rc) (optional) runs first on the JavaScript thread, whatever the result. The
// objects in `keep` stay referenced until then, so nothing the call uses is collected.
class Work : public Napi::AsyncWorker {
  public:
    using Run = std::function<int()>;
    using Done = std::function<Napi::Value(Napi::Env)>;
    using Finish = std::function<void(Napi::Env, int)>;

    static Napi::Value Queue(Napi::Env env, Run run, Done done = nullptr,
                             std::vector<Napi::Object> keep = {}, Finish finish = nullptr) {
        auto *w = new Work(env, std::move(run), std::move(done), std::move(finish));
        napi_value promise;
        if (napi_create_promise(env, &w->deferred_, &promise) != napi_ok) {
            delete w;
            NAPI_THROW(Napi::Error::New(env, "skv: cannot create a promise"), Napi::Value());
        }
        for (auto &o : keep) w->keep_.push_back(Napi::Persistent(o));
        w->Napi::AsyncWorker::Queue();
        return Napi::Value(env, promise);
    }

  private:
    Work(Napi::Env env, Run run, Done done, Finish finish)
        : Napi::AsyncWorker(env, "skv"), run_(std::move(run)), done_(std::move(done)),
          finish_(std::move(finish)) {}

    void Execute() override {
        rc_ = run_();
        if (rc_ != SKV_OK) msg_ = skv_errmsg(); // the same pool thread as the failing call
    }
    // Settles through the plain Node-API calls, which fail quietly (instead of throwing) when
    // the environment is being torn down, e.g. a worker terminated with this call in flight.
    void OnOK() override {
        napi_env env = Env();
        if (finish_) finish_(Env(), rc_);
        if (rc_ != SKV_OK) {
            napi_reject_deferred(env, deferred_, MakeError(env, rc_, msg_));
            return;
        }
        napi_value value = nullptr;
        try {
            value = done_ ? static_cast<napi_value>(done_(Env())) : Env().Undefined();
        } catch (const Napi::Error &e) {
            napi_value err = e.Value();
            if (!err) napi_get_undefined(env, &err);
            napi_reject_deferred(env, deferred_, err);
            return;
        }
        napi_resolve_deferred(env, deferred_, value);
    }

    napi_deferred deferred_ = nullptr;
    Run run_;
    Done done_;
    Finish finish_;
    std::vector<Napi::ObjectReference> keep_;
    int rc_ = SKV_OK;
    std::string msg_;
};

} // namespace skvnode

#endif
