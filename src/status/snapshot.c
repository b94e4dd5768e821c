/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The snapshot: the master's state for the status process, in one shared
 * anonymous mapping made before any fork (so no descriptor, and nothing to
 * hand over: a new master makes its own for its own status process).
 *
 * One writer, the master; readers copy it under a sequence counter, odd
 * while a write is under way, the way the scoreboard protects its request
 * line. The reader never blocks the master: it retries a bounded number of
 * times and otherwise gives up on that answer.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "status/status.h"

int
status_snapshot_create(struct status_snapshot *s, int nslots)
{
	void *p;

	s->nslots = nslots;
	s->bytes = sizeof(struct status_shm) +
		   (size_t)nslots * sizeof(struct status_worker);
	p = mmap(NULL, s->bytes, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		s->shm = NULL;
		return -errno;
	}
	s->shm = p;
	s->shm->nslots = nslots;
	return 0;
}

void
status_snapshot_destroy(struct status_snapshot *s)
{
	if (s->shm != NULL)
		munmap(s->shm, s->bytes);
	s->shm = NULL;
}

struct status_shm *
status_snapshot_begin(struct status_snapshot *s)
{
	uint32_t seq = atomic_load_explicit(&s->shm->seq, memory_order_relaxed);

	/* Odd: readers that start now retry; the fence orders the data after.
	 */
	atomic_store_explicit(&s->shm->seq, seq | 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	return s->shm;
}

void
status_snapshot_end(struct status_snapshot *s)
{
	uint32_t seq = atomic_load_explicit(&s->shm->seq, memory_order_relaxed);

	/* Even again and never 0: 0 means "never published". */
	seq = (seq | 1) + 1;
	if (seq == 0)
		seq = 2;
	atomic_store_explicit(&s->shm->seq, seq, memory_order_release);
}

bool
status_snapshot_read(const struct status_snapshot *s, struct status_state *st,
		     struct status_worker *w)
{
	const struct status_shm *shm = s->shm;
	int tries, n;

	for (tries = 0; tries < 10000; tries++) {
		uint32_t a = atomic_load_explicit((_Atomic uint32_t *)&shm->seq,
						  memory_order_acquire);

		if (a == 0)
			return false;
		if (a & 1)
			continue;
		memcpy(st, (const void *)&shm->st, sizeof(*st));
		n = st->hi < 0 || st->hi > s->nslots ? s->nslots : st->hi;
		memcpy(w, (const void *)shm->w, (size_t)n * sizeof(*w));
		atomic_thread_fence(memory_order_acquire);
		if (atomic_load_explicit((_Atomic uint32_t *)&shm->seq,
					 memory_order_relaxed) == a)
			return true;
	}
	return false;
}
