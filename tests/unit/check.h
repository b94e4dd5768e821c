/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A tiny unit-test harness shared by the per-module test binaries.
 * CHECK records a failure with file:line and goes on; each binary ends with
 * check_done(), which prints the plain closing line "N passed, N failed,
 * N skipped" and returns the exit status. A test skips only for something
 * outside the repository that a clone may lack (the shared corpus), through
 * check_skip(), which says what and why: nothing passes by not running.
 */
#ifndef HERD_TEST_CHECK_H
#define HERD_TEST_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_passed, check_failed, check_skipped;

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (cond) {                                                    \
			check_passed++;                                        \
		} else {                                                       \
			check_failed++;                                        \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, \
				__LINE__, #cond);                              \
		}                                                              \
	} while (0)

#define CHECK_INT(got, want)                                              \
	do {                                                              \
		long long g_ = (long long)(got), w_ = (long long)(want);  \
		if (g_ == w_) {                                           \
			check_passed++;                                   \
		} else {                                                  \
			check_failed++;                                   \
			fprintf(stderr, "%s:%d: %s == %lld, want %lld\n", \
				__FILE__, __LINE__, #got, g_, w_);        \
		}                                                         \
	} while (0)

#define CHECK_STR(got, want)                                                  \
	do {                                                                  \
		const char *g_ = (got), *w_ = (want);                         \
		if (g_ != NULL && w_ != NULL && strcmp(g_, w_) == 0) {        \
			check_passed++;                                       \
		} else {                                                      \
			check_failed++;                                       \
			fprintf(stderr, "%s:%d: %s == \"%s\", want \"%s\"\n", \
				__FILE__, __LINE__, #got, g_ ? g_ : "(null)", \
				w_ ? w_ : "(null)");                          \
		}                                                             \
	} while (0)

/*
 * Counts a test that cannot run here and prints what and why on stdout,
 * before the closing line that counts it.
 */
static inline void
check_skip(const char *what, const char *why)
{
	check_skipped++;
	printf("skipped: %s: %s\n", what, why);
}

static inline int
check_done(const char *name)
{
	printf("%s: %d passed, %d failed, %d skipped\n", name, check_passed,
	       check_failed, check_skipped);
	return check_failed == 0 ? 0 : 1;
}

#endif
