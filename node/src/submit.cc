// submit.cc — the pool job that hands queued async commits to the engine (submit.h).
#include "submit.h"

#include "db.h"

namespace skvnode {

size_t CommitSubmitter::Push(skv_txn *txn, CommitRec *rec) {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back({txn, rec});
    return queue_.size();
}

bool CommitSubmitter::NeedsJob() {
    std::lock_guard<std::mutex> lock(mu_);
    if (running_ || queue_.empty()) return false;
    running_ = true;
    return true;
}

bool CommitSubmitter::TakeBatch(std::vector<Pending> &batch, bool job) {
    std::lock_guard<std::mutex> lock(mu_);
    if (queue_.empty()) {
        if (job) running_ = false;
        return false;
    }
    batch.swap(queue_);
    return true;
}

// Each transaction goes to the engine's commit queue and is freed; a submit the engine
// refuses at once (its callback never runs) settles its promise with that error.
void CommitSubmitter::Submit(std::vector<Pending> &batch) {
    for (Pending &p : batch) {
        int rc = skv_txn_commit_async(p.txn, CommitFinished, p.rec);
        if (rc != SKV_OK) {
            p.rec->msg = skv_errmsg();
            CommitFinished(p.rec, rc);
        }
        skv_txn_free(p.txn);
    }
    batch.clear();
}

void CommitSubmitter::SubmitAll() {
    std::lock_guard<std::mutex> order(order_);
    std::vector<Pending> batch;
    if (TakeBatch(batch, false)) Submit(batch);
}

void CommitSubmitter::RunJob() {
    std::vector<Pending> batch;
    for (;;) {
        std::lock_guard<std::mutex> order(order_);
        if (!TakeBatch(batch, true)) return;
        Submit(batch);
    }
}

namespace {

struct SubmitJob {
    std::shared_ptr<DbCore> core;
    napi_async_work work = nullptr;
};

// Pool thread. Counted as a pool call, so skv_close waits for it.
void ExecuteSubmit(napi_env, void *data) {
    DbCore *core = static_cast<SubmitJob *>(data)->core.get();
    core->submits.RunJob();
    core->EndPoolCall();
}

void CompleteSubmit(napi_env env, napi_status, void *data) {
    auto *job = static_cast<SubmitJob *>(data);
    napi_delete_async_work(env, job->work);
    delete job;
}

} // namespace

void StartSubmitJob(napi_env env, const std::shared_ptr<DbCore> &core) {
    if (!core->submits.NeedsJob()) return;
    auto *job = new SubmitJob{core};
    napi_value name;
    core->BeginPoolCall();
    if (napi_create_string_utf8(env, "skv.submit", NAPI_AUTO_LENGTH, &name) == napi_ok &&
        napi_create_async_work(env, nullptr, name, ExecuteSubmit, CompleteSubmit, job,
                               &job->work) == napi_ok) {
        if (napi_queue_async_work(env, job->work) == napi_ok) return;
        napi_delete_async_work(env, job->work);
    }
    delete job;
    core->submits.RunJob(); // here, then
    core->EndPoolCall();
}

} // namespace skvnode
