/*
 * test_crash_points_vlog.c — crash-point enumeration (plan 11.4) with the value log on:
 * every mutating file operation of the canonical workload, value-log writes, fsyncs, rewrites
 * and deletions included, is a crash point, each recovered in three states and checked
 * against the model (crash_points.h); the fault-free run must have rewritten value-log files.
 * Then a checkpoint and a restore of a database with value-log files crashed at each of their
 * file operations (value-log files linked, copied, staged under new numbers, tables rewritten).
 */
#include "test.h"

#include "crash_points.h"

static void test_no_fault_vlog(void) { run_no_fault(1); }
static void test_every_crash_point_vlog(void) { run_every_crash_point(1, 0); }
static void test_checkpoint_crash_points_vlog(void) { run_checkpoint_crash_points(1); }
static void test_restore_crash_points_vlog(void) { run_restore_crash_points(1); }

static const TestCase TESTS[] = {
    {"no_fault_vlog", test_no_fault_vlog},
    {"every_crash_point_vlog", test_every_crash_point_vlog},
    {"checkpoint_crash_points_vlog", test_checkpoint_crash_points_vlog},
    {"restore_crash_points_vlog", test_restore_crash_points_vlog},
    {0, 0},
};

TEST_MAIN(TESTS)
