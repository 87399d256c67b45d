/*
 * manifest.h — which table files make up the database: file metadata, version edits, the
 * immutable versions (the files of every level) readers hold, and the version set that logs
 * every edit to the MANIFEST before installing it. On disk: <db>/MANIFEST-<n> (a log of edits
 * in the write-ahead-log framing of wal/) and <db>/CURRENT (the name of the live manifest,
 * replaced by write-temp + fsync + rename + directory fsync). Formats in FORMAT.md.
 */
#ifndef SKV_MANIFEST_H
#define SKV_MANIFEST_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "env/env.h"

enum { SKV_MAX_LEVELS = 16 };

/* One table file. Within a level >= 1 files are sorted and their user-key ranges do not
 * overlap (a user key's versions never span two files of one level); level-0 files may
 * overlap and are ordered newest (highest max_seq) first. */
typedef struct {
    uint64_t number;
    uint64_t size;
    uint64_t entries;
    uint64_t min_seq, max_seq;
    uint8_t *smallest, *largest; /* user keys, malloc'ed */
    uint32_t smallest_len, largest_len;
} SkvFileMeta;

typedef struct {
    int has_log_number, has_next_file, has_last_seq, has_last_ts;
    uint64_t log_number; /* log segments below this number are no longer needed */
    uint64_t next_file;  /* the next file number to hand out */
    uint64_t last_seq, last_ts;
    size_t ndeleted, nadded;
    struct {
        int level;
        uint64_t number;
    } * deleted;
    struct {
        int level;
        SkvFileMeta meta;
    } * added;
} SkvVersionEdit;

void skv__edit_init(SkvVersionEdit *e);
void skv__edit_free(SkvVersionEdit *e);
/* Adds a deleted file / an added file (the metadata's keys are copied). SKV_ENOMEM. */
int skv__edit_delete(SkvVersionEdit *e, int level, uint64_t number);
int skv__edit_add(SkvVersionEdit *e, int level, const SkvFileMeta *meta);
/* Encodes into a malloc'ed buffer. */
int skv__edit_encode(const SkvVersionEdit *e, uint8_t **out, size_t *len);
/* Decodes; SKV_ECORRUPT (with a message) on any malformed input, never reading past len. */
int skv__edit_decode(SkvVersionEdit *e, const void *data, size_t len);

/* An immutable set of files per level, refcounted. */
typedef struct {
    _Atomic long refs;
    int nlevels;
    size_t nfiles[SKV_MAX_LEVELS];
    SkvFileMeta **files[SKV_MAX_LEVELS]; /* shared metadata, refcounted per file */
} SkvVersion;

void skv__version_ref(SkvVersion *v);
void skv__version_unref(SkvVersion *v);
uint64_t skv__version_level_bytes(const SkvVersion *v, int level);

typedef struct SkvVersionSet SkvVersionSet;

/* Opens the version set of the database directory `dir`: reads CURRENT and replays the
 * manifest it names (a torn last edit is ignored; any other damage is SKV_ECORRUPT naming the
 * file and offset), or, when there is no CURRENT, starts empty. Then writes a new manifest
 * holding the whole current state, fsyncs it, points CURRENT at it (temp + fsync + rename +
 * directory fsync) and removes the old manifest. nlevels: the level_count option. */
int skv__vset_open(SkvEnv *env, const char *dir, int nlevels, SkvVersionSet **out);
/* The two halves of skv__vset_open: load reads CURRENT and the manifest and writes nothing
 * (so a database whose other files turn out damaged is left as it was); start writes the
 * new manifest, moves CURRENT to it and removes the old one. */
int skv__vset_load(SkvEnv *env, const char *dir, int nlevels, SkvVersionSet **out);
int skv__vset_start(SkvVersionSet *vs);
void skv__vset_close(SkvVersionSet *vs);
/* The current version with a reference the caller releases with skv__version_unref. */
SkvVersion *skv__vset_current(SkvVersionSet *vs);
/* Appends the edit to the manifest, fsyncs it, and installs the version it produces (the
 * edit's next_file / last_seq / last_ts / log_number fields, when set, update the set's).
 * On failure the current version is unchanged and the error is returned (the caller latches
 * the database). Not thread-safe: one caller at a time. */
int skv__vset_apply(SkvVersionSet *vs, SkvVersionEdit *edit);
/* A new file number (never reused, kept above every file on disk). */
uint64_t skv__vset_new_file_number(SkvVersionSet *vs);
uint64_t skv__vset_log_number(const SkvVersionSet *vs);
uint64_t skv__vset_last_seq(const SkvVersionSet *vs);
uint64_t skv__vset_last_ts(const SkvVersionSet *vs);
/* Makes sure future file numbers are above n (for files found on disk). */
void skv__vset_mark_file_number_used(SkvVersionSet *vs, uint64_t n);
/* Number of the live manifest file. */
uint64_t skv__vset_manifest_number(const SkvVersionSet *vs);

#endif /* SKV_MANIFEST_H */
