/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Recycling: a worker that has answered max-requests requests (plus its
 * own jitter), or whose private memory has grown past max-memory, asks the
 * master to replace it (HERD_RETIRE= on the notify socket). The master
 * starts the successor first and only then stops this worker, which drains
 * like any graceful stop — so recycling costs no capacity and no request.
 *
 * Memory is the worker's USS, Private_Clean + Private_Dirty from
 * /proc/self/smaps_rollup: what this process alone holds. Pages shared
 * copy-on-write with the master and its siblings (a preloaded app) do not
 * count until the worker writes to them — which is the real cost a worker
 * adds. Reading it costs a few dozen microseconds, so it is done at most
 * once per RECYCLE_MEMORY_EVERY_MS, after a request (memory grows with
 * requests; an idle worker is not read at all).
 */
#include "worker/serve.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "notify/notify.h"

#define RECYCLE_MEMORY_EVERY_MS 1000
/* Asked and still here (the successor failed?): ask again after this. */
#define RECYCLE_ASK_AGAIN_MS 10000

void
recycle_init(struct serve *srv)
{
	const struct config *cfg = srv->plan->cfg;
	struct timespec ts;
	uint64_t seed;

	srv->recycle_after = 0;
	if (cfg->max_requests > 0) {
		srv->recycle_after = (uint64_t)cfg->max_requests;
		if (cfg->max_requests_jitter > 0) {
			clock_gettime(CLOCK_MONOTONIC, &ts);
			/* Spread, not secrecy: pid and time are enough. */
			seed = ((uint64_t)getpid() * 2654435761u) ^
			       (uint64_t)ts.tv_nsec;
			srv->recycle_after +=
				seed % ((uint64_t)cfg->max_requests_jitter + 1);
		}
	}
}

int64_t
recycle_uss_bytes(void)
{
	char line[256];
	int64_t kb, total = 0;
	FILE *f = fopen("/proc/self/smaps_rollup", "re");

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "Private_Clean: %" SCNd64, &kb) == 1 ||
		    sscanf(line, "Private_Dirty: %" SCNd64, &kb) == 1)
			total += kb;
	fclose(f);
	return total * 1024;
}

static void
ask(struct serve *srv, const char *why)
{
	char text[160];

	if (srv->retire_asked_ms != 0 &&
	    srv->now_ms - srv->retire_asked_ms < RECYCLE_ASK_AGAIN_MS)
		return;
	srv->retire_asked_ms = srv->now_ms;
	snprintf(text, sizeof(text), "HERD_RETIRE=%s", why);
	notify_send(srv->plan->notify_addr, text);
}

void
recycle_count(struct serve *srv)
{
	const struct config *cfg = srv->plan->cfg;
	char why[128];
	int64_t uss;

	srv->served++;
	SCOREBOARD_ADD(srv->sb, requests, 1);
	if (srv->draining)
		return;
	if (srv->recycle_after > 0 && srv->served >= srv->recycle_after) {
		snprintf(why, sizeof(why), "max-requests: %" PRIu64 " answered",
			 srv->served);
		ask(srv, why);
		return;
	}
	if (cfg->max_memory <= 0 || srv->now_ms < srv->memory_check_ms)
		return;
	srv->memory_check_ms = srv->now_ms + RECYCLE_MEMORY_EVERY_MS;
	uss = recycle_uss_bytes();
	if (uss > cfg->max_memory) {
		snprintf(why, sizeof(why),
			 "max-memory: private memory %.1f MiB > %.1f MiB",
			 (double)uss / 1048576.0,
			 (double)cfg->max_memory / 1048576.0);
		ask(srv, why);
	}
}
