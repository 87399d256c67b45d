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

    static Napi::Promise Queue(Napi::Env env, Run run, Done done = nullptr,
                               std::vector<Napi::Object> keep = {}, Finish finish = nullptr) {
        auto *w = new Work(env, std::move(run), std::move(done), std::move(finish));
        for (auto &o : keep) w->keep_.push_back(Napi::Persistent(o));
        Napi::Promise p = w->deferred_.Promise();
        w->Napi::AsyncWorker::Queue();
        return p;
    }

  private:
    Work(Napi::Env env, Run run, Done done, Finish finish)
        : Napi::AsyncWorker(env, "skv"), deferred_(Napi::Promise::Deferred::New(env)),
          run_(std::move(run)), done_(std::move(done)), finish_(std::move(finish)) {}

    void Execute() override {
        rc_ = run_();
        if (rc_ != SKV_OK) msg_ = skv_errmsg(); // the same pool thread as the failing call
    }
    void OnOK() override {
        Napi::Env env = Env();
        if (finish_) finish_(env, rc_);
        if (rc_ != SKV_OK) {
            deferred_.Reject(Napi::Value(env, MakeError(env, rc_, msg_)));
            return;
        }
        try {
            deferred_.Resolve(done_ ? done_(env) : env.Undefined());
        } catch (const Napi::Error &e) {
            deferred_.Reject(e.Value());
        }
    }

    Napi::Promise::Deferred deferred_;
    Run run_;
    Done done_;
    Finish finish_;
    std::vector<Napi::ObjectReference> keep_;
    int rc_ = SKV_OK;
    std::string msg_;
};

} // namespace skvnode

#endif
