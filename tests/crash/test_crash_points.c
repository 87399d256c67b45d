/*
 * test_crash_points.c — crash-point enumeration on the in-memory file system (plan 11.4),
 * value log off: every mutating file operation of the canonical workload is a crash point,
 * each recovered in three states and checked against the model (crash_points.h).
 */
#include "test.h"

#include "crash_points.h"

static void test_no_fault(void) { run_no_fault(0); }
static void test_every_crash_point(void) { run_every_crash_point(0); }

static const TestCase TESTS[] = {
    {"no_fault", test_no_fault},
    {"every_crash_point", test_every_crash_point},
    {0, 0},
};

TEST_MAIN(TESTS)
