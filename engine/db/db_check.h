/*
 * db_check.h — what the parts of the integrity check share (db_check.c, db_check_vlog.c): the
 * state of one check and its report.
 */
#ifndef SKV_DB_CHECK_H
#define SKV_DB_CHECK_H

#include "db/db.h"

typedef struct SkvChkVlog SkvChkVlog;

typedef struct {
    SkvEnv *env;
    const char *dir;
    int mode; /* the log recovery mode the database opens with */
    char *text;
    size_t len, cap;
    int oom;
    int first_rc;
    char first[512];
    uint64_t problems, orphans, tables, blocks, entries, segments, records;
    /* the log segment being replayed */
    const char *seg;
    uint64_t next_seq;
    /* value pointers (db_check_vlog.c) */
    SkvChkVlog *vlog;
    uint64_t pointers, vlog_files;
} ChkCtx;

/* Appends a line to the report. */
void skv__chk_line(ChkCtx *c, const char *fmt, ...) SKV_PRINTF(2, 3);
/* Records a problem (a "problem: " line); the first one is what the check returns. */
void skv__chk_problem(ChkCtx *c, int rc, const char *fmt, ...) SKV_PRINTF(3, 4);

/* ---- db_check_vlog.c ---- */
/* Starts a table's pointer checks (its path, for messages). */
void skv__chk_vlog_table_begin(ChkCtx *c, const char *table);
/* One entry of that table whose value is a value pointer. */
void skv__chk_vlog_pointer(ChkCtx *c, const SkvSstEntry *e);
/* Ends the table: its properties' references (props) must match what its pointers named. */
void skv__chk_vlog_table_end(ChkCtx *c, const SkvSstProps *props);
/* The value-log file d of the version: present, with a valid header; a file that pointers
 * could not be read through is reported once here, naming the first of them. */
void skv__chk_vlog_file(ChkCtx *c, const SkvDataFile *d);
/* Frees what the checks kept. */
void skv__chk_vlog_free(ChkCtx *c);

#endif /* SKV_DB_CHECK_H */
