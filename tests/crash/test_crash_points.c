/*
 * test_crash_points.c — crash-point enumeration on the in-memory file system (plan 11.4),
 * value log off: every mutating file operation of the canonical workload is a crash point,
 * each recovered in three states and checked against the model (crash_points.h), also with
 * versioning on (every key's history checked after each recovery). Then a checkpoint and a
 * restore crashed at each of their file operations.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"

#include "crash_points.h"

static void test_no_fault(void) { run_no_fault(0); }
static void test_every_crash_point(void) { run_every_crash_point(0, 0); }
static void test_every_crash_point_versioned(void) { run_every_crash_point(0, 1); }

static void test_checkpoint_crash_points(void) { run_checkpoint_crash_points(0); }
static void test_restore_crash_points(void) { run_restore_crash_points(0); }

static const TestCase TESTS[] = {
    {"no_fault", test_no_fault},
    {"every_crash_point", test_every_crash_point},
    {"every_crash_point_versioned", test_every_crash_point_versioned},
    {"checkpoint_crash_points", test_checkpoint_crash_points},
    {"restore_crash_points", test_restore_crash_points},
    {0, 0},
};

TEST_MAIN(TESTS)
