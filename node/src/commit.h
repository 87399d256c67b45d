// commit.h — the completion queue of a database's async commits: the engine's commit
// callbacks (engine thread) push their results here, and the JavaScript thread drains every
// queued result in one wake-up (one thread-safe function call per batch, not per commit).
#ifndef SKV_NODE_COMMIT_H
#define SKV_NODE_COMMIT_H

#include <node_api.h>

#include <mutex>
#include <string>
#include <vector>

namespace skvnode {

struct DbCore;

// One async commit: the promise to settle and, once the engine called back (or refused the
// submit), the commit's status and the engine's message for it.
struct CommitRec {
    CommitRec *next = nullptr;
    DbCore *owner = nullptr; // the database whose queue it goes to
    napi_deferred deferred = nullptr;
    int status = 0;
    std::string msg; // a refused submit's skv_errmsg(); empty: skv_strerror(status)
};

// The engine's commit callback (an skv_commit_cb, on an engine or pool thread): queues the
// result of the commit whose record is user_data and wakes the JavaScript thread when the
// queue was idle.
void CommitFinished(void *user_data, int status);

class CommitQueue {
  public:
    CommitQueue() = default;
    CommitQueue(const CommitQueue &) = delete;
    CommitQueue &operator=(const CommitQueue &) = delete;
    ~CommitQueue();

    // A record for a new commit (JS thread): from the pool of settled ones, or new.
    CommitRec *Take();
    // Returns a settled (or never submitted) record to the pool (JS thread).
    void Give(CommitRec *rec);

    // Engine thread: queues a finished commit. True when the queue was idle, i.e. the caller
    // must wake the JavaScript thread (a drain is not already scheduled).
    bool Push(CommitRec *rec, int status);
    // JS thread: every queued record, oldest first (a list through `next`); the queue is idle
    // again, so the next Push schedules a new drain.
    CommitRec *TakeAll();

  private:
    std::mutex mu_;
    CommitRec *head_ = nullptr, *tail_ = nullptr; // (mu_)
    bool scheduled_ = false;                      // (mu_) a drain is scheduled or running
    std::vector<CommitRec *> pool_;               // (JS) settled records for reuse
};

} // namespace skvnode

#endif
