/*
 * wal.h — the write-ahead log: a directory of numbered segment files, each a sequence of
 * 32 KiB blocks holding checksummed record fragments (the format is in FORMAT.md and
 * wal_format.h). The log knows nothing of what a record means: the transaction layer
 * writes one record per committed transaction.
 */
#ifndef SKV_WAL_H
#define SKV_WAL_H

#include <stddef.h>
#include <stdint.h>

#include "env/env.h"

enum { SKV_WAL_TOLERATE_TAIL = 0, SKV_WAL_ABSOLUTE = 1 };

typedef struct SkvWalWriter SkvWalWriter;

/* Creates (truncating) a segment file and opens it for appending. The caller fsyncs the
 * directory (skv__env sync_dir) before relying on the name. */
int skv__wal_create(SkvEnv *env, const char *path, SkvWalWriter **out);
/* Appends one record: frames it into fragments and hands all of them to the env in ONE
 * append call (so several records may also be grouped with skv__wal_add_many). */
int skv__wal_add(SkvWalWriter *w, const void *rec, size_t n);
/* Appends several records with one env append call. */
int skv__wal_add_many(SkvWalWriter *w, const void *const *recs, const size_t *lens, size_t count);
int skv__wal_sync(SkvWalWriter *w);
uint64_t skv__wal_size(const SkvWalWriter *w); /* bytes written to the segment so far */
/* Closes the file (without syncing) and frees the writer. */
int skv__wal_close(SkvWalWriter *w);

/* Called once per intact record, in order. A non-zero return stops the replay and is
 * returned by skv__wal_replay. */
typedef int (*SkvWalRecordFn)(void *user_data, const void *rec, size_t n);

/* Replays one segment.
 * - A record that is incomplete at the end of the file, or damage after which the file
 *   holds no intact record (a torn tail), ends the replay: SKV_OK in TOLERATE_TAIL mode when
 *   `is_last` is set, with *valid_end = the offset just past the last intact record.
 * - Damage followed by an intact record, any damage in a segment that is not the last
 *   (is_last == 0), and any damage at all in ABSOLUTE mode: SKV_ECORRUPT, with the message
 *   naming the file and the byte offset of the damage.
 * A file that is entirely empty is valid (no records). */
int skv__wal_replay(SkvEnv *env, const char *path, int mode, int is_last, SkvWalRecordFn fn,
                    void *user_data, uint64_t *valid_end);

#endif /* SKV_WAL_H */
