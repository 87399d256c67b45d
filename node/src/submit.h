// submit.h — the submission side of async commits: `txn.commit()` on the JavaScript thread
// hands its transaction to this queue, and at the end of the turn (a microtask; in long
// turns also every few hundred commits) one job on the thread pool submits the queued
// transactions to the engine (skv_txn_commit_async), in order. The event loop then pays
// neither the encoding of the commit record nor the wake-ups of the engine's commit thread,
// and the transactions of one turn reach the engine together, as one commit group.
#ifndef SKV_NODE_SUBMIT_H
#define SKV_NODE_SUBMIT_H

#include <node_api.h>
#include <skv.h>

#include <memory>
#include <mutex>
#include <vector>

#include "commit.h"

namespace skvnode {

class CommitSubmitter {
  public:
    // JS thread: queues a transaction (this queue now owns it) with the record of its
    // promise; returns how many are queued. StartSubmitJob hands the queue to a job.
    size_t Push(skv_txn *txn, CommitRec *rec);
    // JS thread: true when the caller must start a job: transactions are queued and no job
    // is running or scheduled.
    bool NeedsJob();
    // Any thread: submits every transaction queued so far, after a batch a job may be
    // submitting; returns once all of them are in the engine's commit queue. Commits that
    // must come after the queued ones (commitSync, close, restore...) call it first.
    void SubmitAll();
    // The pool job: submits until the queue stays empty; the next Push starts a new job.
    void RunJob();

  private:
    struct Pending {
        skv_txn *txn;
        CommitRec *rec;
    };
    // Takes the queue; false (and, for a job, no job running any more) when it was empty.
    bool TakeBatch(std::vector<Pending> &batch, bool job);
    static void Submit(std::vector<Pending> &batch);

    std::mutex mu_;
    std::vector<Pending> queue_; // (mu_)
    bool running_ = false;       // (mu_) a job is scheduled or running
    std::mutex order_;           // held while a batch is submitted: batches keep their order
};

// This many queued commits start a job without waiting for the end of the turn, so that the
// engine works on a long turn's first commits while the turn goes on.
constexpr size_t kSubmitEarly = 256;

// Starts the pool job that submits the queued commits of a database, unless one runs or
// nothing is queued (JS thread: at the end of a turn that committed, through lib/txn.js, or
// when kSubmitEarly are queued). Submits them here when the job cannot be created.
void StartSubmitJob(napi_env env, const std::shared_ptr<DbCore> &core);

} // namespace skvnode

#endif
