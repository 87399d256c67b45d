/*
 * vlog.h — the value log (WiscKey): append-only files <db>/<n>.vlog (n from the table file
 * counter) that hold large values outside the tables. A record is [header with checksums]
 * [key][value]; a table entry refers to it with a value pointer (file, offset, value length,
 * value checksum). The writer (vlog_writer.c) appends records and rolls to a new file at the
 * size limit; a reader (vlog_reader.c) reads one record by pointer, checking bounds, header
 * and key always and the checksums when asked. Pointers, names and references are in
 * vlog_pointer.c. Byte layouts in FORMAT.md.
 */
#ifndef SKV_VLOG_H
#define SKV_VLOG_H

#include <stddef.h>
#include <stdint.h>

#include "env/env.h"

/* the bytes "skvvalog" */
#define SKV_VLOG_MAGIC UINT64_C(0x676f6c6176766b73)

enum {
    SKV_VLOG_VERSION = 1,
    SKV_VLOG_FILE_HEADER = 24,   /* magic u64 | number u64 | version u32 | checksum u32 */
    SKV_VLOG_RECORD_HEADER = 16, /* checksum u32 | value checksum u32 | klen u32 | vlen u32 */
    SKV_VLOG_PTR_FORMAT = 1,
    SKV_VLOG_PTR_MAX = 1 + 10 + 10 + 5 + 4 /* format, file, offset, vlen, value checksum */
};

/* Where a value lies: the record at `offset` of file `file`, whose value has vlen bytes
 * and the checksum vsum (skv__checksum of the value). */
typedef struct {
    uint64_t file;
    uint64_t offset;
    uint32_t vlen;
    uint32_t vsum;
} SkvVlogPtr;

/* ---- pointers, names, references (vlog_pointer.c) ---- */

/* Encodes p at out (at most SKV_VLOG_PTR_MAX bytes); returns the bytes written. */
size_t skv__vlog_ptr_encode(uint8_t *out, const SkvVlogPtr *p);
/* Decodes a pointer of exactly n bytes: SKV_OK, or SKV_ECORRUPT (with a message) when it is
 * malformed (unknown format byte, bad varint, file 0, offset inside the file header, a value
 * above SKV_MAX_VALUE_SIZE, bytes left over). */
int skv__vlog_ptr_decode(const void *data, size_t n, SkvVlogPtr *p);

/* Bytes of the record of a key of klen bytes and a value of vlen bytes. */
static inline uint64_t skv__vlog_record_size(size_t klen, uint64_t vlen) {
    return SKV_VLOG_RECORD_HEADER + (uint64_t)klen + vlen;
}

/* "<dir>/<20-digit number>.vlog" (malloc'ed; NULL when out of memory). */
char *skv__vlog_path(const char *dir, uint64_t number);
/* 1 and *number when name is "<20 digits>.vlog", else 0. */
int skv__vlog_parse_name(const char *name, uint64_t *number);

/* What a table refers to in one value-log file: the bytes of the records its pointers name
 * (each pointer counted once per table entry). */
typedef struct {
    uint64_t file;
    uint64_t bytes;
} SkvVlogRef;

/* A list of references sorted by file number, each file once. */
typedef struct {
    SkvVlogRef *r;
    size_t n, cap;
} SkvVlogRefs;

/* Adds bytes to file's entry (creating it): SKV_OK or SKV_ENOMEM. */
int skv__vlog_refs_add(SkvVlogRefs *refs, uint64_t file, uint64_t bytes);
void skv__vlog_refs_free(SkvVlogRefs *refs);

/* ---- writing (vlog_writer.c) ---- */

typedef struct SkvVlogWriter SkvVlogWriter;

/* Hands out the number of each new file (the caller's file-number counter). */
typedef uint64_t (*SkvVlogNumberFn)(void *ctx);

/* A writer of files in dir. Nothing is created before the first add. A file is closed and a
 * new one started when a record would take it past max_file_size (a record larger than that
 * gets a file of its own). SKV_EINVAL when max_file_size is below 64 bytes; SKV_ENOMEM. */
int skv__vlog_writer_new(SkvEnv *env, const char *dir, uint64_t max_file_size,
                         SkvVlogNumberFn new_number, void *ctx, SkvVlogWriter **out);
/* Closes the open file (without fsync) and frees the writer. NULL is a no-op. */
void skv__vlog_writer_free(SkvVlogWriter *w);
/* Appends a record (buffered) and fills *ptr. A file it finishes is fsynced and closed
 * first. After an I/O error (SKV_EIO, SKV_ENOSPC) the writer refuses further work with that
 * error. SKV_EINVAL for a key or value longer than 2^32 - 1 bytes. */
int skv__vlog_writer_add(SkvVlogWriter *w, const void *key, size_t klen, const void *val,
                         size_t vlen, SkvVlogPtr *ptr);
/* Writes out the buffer and fsyncs the open file: every record added so far is durable once
 * the directory is fsynced too (the caller's job). No-op when nothing was added since. */
int skv__vlog_writer_sync(SkvVlogWriter *w);
/* Syncs and closes the open file: the next add starts a new one. */
int skv__vlog_writer_seal(SkvVlogWriter *w);
/* Number of the open file (0 when none) and its size in bytes (records added included). */
uint64_t skv__vlog_writer_file(const SkvVlogWriter *w);
uint64_t skv__vlog_writer_size(const SkvVlogWriter *w);

/* ---- reading (vlog_reader.c) ---- */

typedef struct SkvVlogFile SkvVlogFile;

/* A growable buffer a value is read into (zeroed = empty). */
typedef struct {
    uint8_t *p;
    size_t cap;
} SkvVlogBuf;

void skv__vlog_buf_free(SkvVlogBuf *b);

/* Opens file `number` at path for reading and checks its header (magic, version, number,
 * checksum). SKV_ECORRUPT naming the file (also for a missing file), SKV_EIO, SKV_ENOMEM. */
int skv__vlog_file_open(SkvEnv *env, const char *path, uint64_t number, SkvVlogFile **out);
void skv__vlog_file_close(SkvVlogFile *f);
uint64_t skv__vlog_file_number(const SkvVlogFile *f);

/* Reads the record p points at, which must hold key: the record must lie inside the file and
 * its header must carry klen, p->vlen and p->vsum, and its key must equal key. With verify,
 * also the record checksum and the value's checksum. *val points into buf (valid until buf
 * is reused or freed). SKV_ECORRUPT naming the file and offset, SKV_EIO, SKV_ENOMEM. May be
 * called from several threads at once with different buffers. */
int skv__vlog_read(SkvVlogFile *f, const SkvVlogPtr *p, const void *key, size_t klen, int verify,
                   SkvVlogBuf *buf, const uint8_t **val);

#endif /* SKV_VLOG_H */
