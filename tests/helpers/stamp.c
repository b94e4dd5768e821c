/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * stamp: a worker for timing benchmarks. At the first instruction of
 * main it writes CLOCK_MONOTONIC (nanoseconds) to $STAMP_DIR/<pid>, then
 * waits for SIGTERM. The benchmark compares that with the moment it sent
 * the signal that made herd start this worker.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int
main(void)
{
	struct timespec ts;
	char path[512];
	const char *dir = getenv("STAMP_DIR");
	FILE *f;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (dir != NULL) {
		snprintf(path, sizeof(path), "%s/%d", dir, (int)getpid());
		f = fopen(path, "we");
		if (f != NULL) {
			fprintf(f, "%lld\n",
				(long long)ts.tv_sec * 1000000000LL +
					ts.tv_nsec);
			fclose(f);
		}
	}
	for (;;)
		pause();
}
