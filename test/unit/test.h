/* A whole unit-test helper: CHECK records a pass or a failure with its
 * location; test_report() prints "N passed, N failed" and gives the exit
 * status. Each test_*.c is its own program. */
#ifndef PLY_TEST_H
#define PLY_TEST_H

#include <stdio.h>
#include <string.h>

/* The fake tracefs under test/ (a few events' formats): tests of the
 * compiler use it through sysroot_set_tracefs, not the host kernel's. The
 * Makefile gives its absolute path. */
#ifndef PLY_TEST_TRACEFS
#define PLY_TEST_TRACEFS "test/tracefs"
#endif

static int test_passed, test_failed;

#define CHECK(cond) do {						\
	if (cond) {							\
		test_passed++;						\
	} else {							\
		test_failed++;						\
		fprintf(stderr, "%s:%d: FAILED: %s\n",			\
			__FILE__, __LINE__, #cond);			\
	}								\
} while (0)

#define CHECK_STR(got, want) do {					\
	const char *_g = (got), *_w = (want);				\
	if (_g && _w && !strcmp(_g, _w)) {				\
		test_passed++;						\
	} else {							\
		test_failed++;						\
		fprintf(stderr, "%s:%d: FAILED: %s\n  got:  %s\n  want: %s\n", \
			__FILE__, __LINE__, #got, _g ? _g : "(null)",	\
			_w ? _w : "(null)");				\
	}								\
} while (0)

static inline int test_report(const char *name)
{
	printf("%s: %d passed, %d failed\n", name, test_passed, test_failed);
	return test_failed ? 1 : 0;
}

#endif
