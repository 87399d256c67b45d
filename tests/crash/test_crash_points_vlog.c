/*
 * test_crash_points_vlog.c — crash-point enumeration (plan 11.4) with the value log on:
 * every mutating file operation of the canonical workload, value-log writes, fsyncs, rewrites
 * and deletions included, is a crash point, each recovered in three states and checked
 * against the model (crash_points.h); the fault-free run must have rewritten value-log files.
 */
#include "test.h"

#include "crash_points.h"

static void test_no_fault_vlog(void) { run_no_fault(1); }
static void test_every_crash_point_vlog(void) { run_every_crash_point(1, 0); }

static const TestCase TESTS[] = {
    {"no_fault_vlog", test_no_fault_vlog},
    {"every_crash_point_vlog", test_every_crash_point_vlog},
    {0, 0},
};

TEST_MAIN(TESTS)
