/*
 * db_vlog.h — how the database uses the value log (engine/vlog): a flush moves values above
 * vlog_value_threshold into value-log files and gives the table pointers (db_vlog.c); reads
 * resolve pointers through a cache of open files (db_vlog.c); the references every table
 * records in its properties say which files are live, so files no live table names are
 * deleted and files mostly dead are rewritten by compaction (db_vlog_gc.c).
 *
 * Threads: the writer, the marks of a compaction and file deletion belong to whoever runs
 * flushes and compactions (the background thread, or open before it starts); reads and
 * properties may come from any thread (the file list and the references are under mu).
 */
#ifndef SKV_DB_VLOG_H
#define SKV_DB_VLOG_H

#include "db/db.h"

/* A value-log file the database knows of. */
typedef struct {
    uint64_t number;
    uint64_t size;   /* bytes (for the open file of the writer: written so far) */
    uint64_t synced; /* bytes known durable, ending at a record boundary */
    int appending;   /* the writer's open file: it may still grow past synced */
    int damaged;     /* a rewrite met a damaged record: never marked again */
} SkvDbVlogFile;

/* The value-log references of one table (sorted by file). */
typedef struct {
    uint64_t table;
    SkvVlogRef *r;
    size_t n;
} SkvDbVlogTable;

struct SkvDbVlog {
    SkvMutex mu;          /* guards files, tables and the counters */
    SkvDbVlogFile *files; /* by number */
    size_t nfiles, fcap;
    SkvDbVlogTable *tables; /* by table number; tables without references are absent */
    size_t ntables, tcap;
    SkvVlogWriter *w;  /* flush and compaction only */
    SkvCache *readers; /* open SkvVlogFile by number */
    uint64_t *marked;  /* files the running compaction rewrites (sorted) */
    size_t nmarked, mcap;
    SkvVlogBuf gcbuf;    /* values read for rewriting */
    uint64_t job_values; /* values rewritten by the running compaction */
    /* counters */
    uint64_t separated, separated_bytes; /* values a flush moved to the value log */
    uint64_t gc_runs, gc_values, gc_bytes, files_deleted;
};

/* ---- db_vlog.c ---- */
/* The index in vl->files of value-log file `number`, or vl->nfiles when it is not there
 * (mu held). */
size_t skv__db_vlog_find_file(const SkvDbVlog *vl, uint64_t number);
/* The state, the writer and the cache of open files (even with enable_vlog off: existing
 * pointers must still be read and collected). */
int skv__db_vlog_open(skv_db *db);
void skv__db_vlog_free(skv_db *db);
/* Records a table's references (copied). */
int skv__db_vlog_note_table(skv_db *db, uint64_t table, const SkvVlogRef *r, size_t n);
/* Forgets a deleted table's references. */
void skv__db_vlog_forget_table(skv_db *db, uint64_t table);
/* At open, after every table was noted: finds the value-log files on disk (their numbers are
 * never handed out again) and checks that every file a table references exists
 * (SKV_ECORRUPT naming it otherwise). */
int skv__db_vlog_check(skv_db *db);
/* A flush's add of one memtable entry: a value longer than the threshold (enable_vlog on)
 * is appended to the value log and the table gets a pointer to it. */
int skv__db_vlog_flush_add(skv_db *db, SkvSstBuilder *b, const SkvMemEntry *e);
/* Makes every value appended so far durable (before the tables pointing at them are named
 * by the manifest; the caller fsyncs the directory). */
int skv__db_vlog_sync(skv_db *db);
/* Syncs and closes the writer's open file (the next value starts a new one). */
int skv__db_vlog_seal(skv_db *db);
/* Adds a complete, durable file of size bytes written outside the writer (a restore's) to the
 * list; out of memory only hides it from collection until the next open. */
void skv__db_vlog_add_file(skv_db *db, uint64_t number, uint64_t size);
/* Appends a value to the value log (updating the file list); fills *p. */
int skv__db_vlog_append(skv_db *db, const void *key, size_t klen, const void *val, size_t vlen,
                        SkvVlogPtr *p);
/* Turns an entry whose value is a pointer into one with the value (read into buf, valid until
 * buf is reused); no-op for other entries. verify: check the checksums. SKV_ECORRUPT naming
 * the file and offset, SKV_EIO, SKV_ENOMEM. */
int skv__db_vlog_read(skv_db *db, SkvMemEntry *e, int verify, SkvVlogBuf *buf);
/* skv__db_vlog_read with the vlog_checksum_verification option. */
int skv__db_vlog_resolve(skv_db *db, SkvMemEntry *e, SkvVlogBuf *buf);
/* Live bytes of each known file in version v (an array parallel to files, malloc'ed; call
 * with mu held). NULL when out of memory. */
uint64_t *skv__db_vlog_live_bytes(SkvDbVlog *vl, const SkvVersion *v);
/* The references of a table, or NULL (call with mu held). */
const SkvDbVlogTable *skv__db_vlog_table(const SkvDbVlog *vl, uint64_t table);
/* Properties "vlog-files", "vlog-bytes", "vlog-live-bytes", "vlog-gc-runs": SKV_OK with the
 * number, SKV_NOTFOUND for another name. */
int skv__db_vlog_property(skv_db *db, const char *name, uint64_t *out);
/* The value-log line of the "stats" property (malloc'ed). */
char *skv__db_vlog_stats(skv_db *db);

/* ---- db_vlog_gc.c ---- */
/* Called at the start of a compaction job with the version it reads: marks the files whose
 * dead bytes (in v) pass vlog_gc_discard_ratio, and seals the writer's file if it is one. */
int skv__db_vlog_gc_begin(skv_db *db, const SkvVersion *v);
/* When no compaction is due: the table of a level >= 1 with the most bytes in marked files
 * (its level, *f), or -1 when no table references a marked file. */
int skv__db_vlog_gc_pick(skv_db *db, const SkvVersion *v, const SkvFileMeta **f);
/* A compaction's add of one entry: a pointer into a marked file gets its value copied to the
 * value log anew (a damaged record keeps its pointer); other entries are copied as they are. */
int skv__db_vlog_compact_add(skv_db *db, SkvSstBuilder *b, const SkvSstEntry *e);
/* Called at the end of a compaction job (rc: its result): counts a GC run. */
void skv__db_vlog_gc_end(skv_db *db, int rc);
/* Adds to the sorted table numbers *live (malloc'ed; grown) the value-log files those tables
 * reference, keeping it sorted: every data file live views need. */
int skv__db_vlog_live_files(skv_db *db, uint64_t **live, size_t *nlive);
/* Deletes value-log files no live table (numbers sorted in live) references. */
void skv__db_vlog_delete_obsolete(skv_db *db, const uint64_t *live, size_t nlive);

/* ---- db_restore_vlog.c: a checkpoint's value log, staged by skv_restore ---- */
typedef struct {
    uint64_t from; /* the number in the checkpoint */
    uint64_t to;   /* the fresh number in this database */
    uint64_t size; /* bytes of the staged copy (header and the intact records) */
} SkvRstVlogFile;

typedef struct {
    SkvRstVlogFile *f; /* by `from` */
    size_t n, nstaged; /* files; how many were given a number (and maybe written) */
    SkvVlogFile **src; /* the checkpoint's files opened for checking (parallel to f) */
    SkvVlogBuf buf;
    SkvEnv *env;
} SkvRstVlog;

/* Adds the files of one checkpoint table's references to the set (before staging). */
int skv__rst_vlog_collect(SkvRstVlog *rv, const SkvVlogRef *r, size_t n);
/* Stages every collected file of the checkpoint in src under a fresh number (header
 * rewritten, records checked, the copy fsynced). */
int skv__rst_vlog_stage(skv_db *db, const char *src, SkvRstVlog *rv);
/* Writes the checkpoint table read by r (at table_path) anew as table `number` of level
 * `level`, its value pointers checked and translated to the staged files; fills *props.
 * SKV_ECORRUPT naming the table, the key and the value-log file for a bad pointer. */
int skv__rst_vlog_table(skv_db *db, SkvRstVlog *rv, const char *src, const char *table_path,
                        SkvSstReader *r, int level, uint64_t number, SkvSstProps *props);
/* After the switch: the staged files join the database's list. */
void skv__rst_vlog_publish(skv_db *db, const SkvRstVlog *rv);
/* Frees the set; with remove_files also deletes the staged files. */
void skv__rst_vlog_free(skv_db *db, SkvRstVlog *rv, int remove_files);

#endif /* SKV_DB_VLOG_H */
