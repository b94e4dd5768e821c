/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The scoreboard's mapping and its sequence-counter protocol (see
 * scoreboard.h for who writes what).
 */
#include "scoreboard/scoreboard.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#define SCOREBOARD_READ_TRIES 100000

static const char *const phase_names[] = {
	[SCOREBOARD_STARTING] = "starting", [SCOREBOARD_WAITING] = "waiting",
	[SCOREBOARD_WORKING] = "working",   [SCOREBOARD_HANDLER] = "handler",
	[SCOREBOARD_EXITING] = "exiting",
};

const char *
scoreboard_phase_name(enum scoreboard_phase phase)
{
	if ((size_t)phase >= sizeof(phase_names) / sizeof(phase_names[0]))
		return "?";
	return phase_names[phase];
}

int
scoreboard_create(struct scoreboard *sb, int n)
{
	void *p;

	sb->bytes = (size_t)n * sizeof(struct scoreboard_slot);
	/* Anonymous and shared: zeroed, inherited across fork, never a
	 * file or a descriptor that could leak across an exec. */
	p = mmap(NULL, sb->bytes, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		sb->slots = NULL;
		sb->n = 0;
		return -errno;
	}
	sb->slots = p;
	sb->n = n;
	return 0;
}

void
scoreboard_destroy(struct scoreboard *sb)
{
	if (sb->slots != NULL)
		munmap(sb->slots, sb->bytes);
	sb->slots = NULL;
	sb->n = 0;
}

void
scoreboard_slot_reset(struct scoreboard_slot *s, int64_t now_ms)
{
	/* No worker uses the slot now: its last one has been reaped. */
	memset((void *)s, 0, sizeof(*s));
	atomic_store(&s->phase, SCOREBOARD_STARTING);
	atomic_store(&s->busy_ms, now_ms);
	atomic_store(&s->heartbeat_ms, now_ms);
}

/* The writer's side of the sequence counter: odd while changing. */
static void
write_begin(struct scoreboard_slot *s)
{
	uint32_t seq = atomic_load_explicit(&s->seq, memory_order_relaxed);

	atomic_store_explicit(&s->seq, seq + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
}

static void
write_end(struct scoreboard_slot *s)
{
	uint32_t seq = atomic_load_explicit(&s->seq, memory_order_relaxed);

	atomic_store_explicit(&s->seq, seq + 1, memory_order_release);
}

void
scoreboard_set_phase(struct scoreboard_slot *s, enum scoreboard_phase phase,
		     int64_t now_ms)
{
	if (s == NULL)
		return;
	write_begin(s);
	atomic_store_explicit(&s->phase, phase, memory_order_relaxed);
	atomic_store_explicit(&s->busy_ms, now_ms, memory_order_relaxed);
	atomic_store_explicit(&s->heartbeat_ms, now_ms, memory_order_relaxed);
	write_end(s);
}

void
scoreboard_handler_begin(struct scoreboard_slot *s, const char *head,
			 size_t len, int64_t now_ms)
{
	size_t n = 0;

	if (s == NULL)
		return;
	write_begin(s);
	/* The request line only, printable, cut to fit. */
	while (n < len && n < SCOREBOARD_LINE_MAX - 1 && head[n] != '\r' &&
	       head[n] != '\n') {
		unsigned char ch = (unsigned char)head[n];

		s->line[n++] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
	}
	s->line[n] = '\0';
	atomic_store_explicit(&s->phase, SCOREBOARD_HANDLER,
			      memory_order_relaxed);
	atomic_store_explicit(&s->busy_ms, now_ms, memory_order_relaxed);
	write_end(s);
}

bool
scoreboard_read(const struct scoreboard_slot *s, struct scoreboard_view *v)
{
	struct scoreboard_slot *w = (struct scoreboard_slot *)s;
	uint32_t before, after;
	int tries;

	/*
	 * Retry while the worker is mid-write (a few dozen nanoseconds at a
	 * time). A worker stopped mid-write (SIGSTOP, or killed) would leave
	 * seq odd forever, so after about a millisecond take what is there.
	 */
	for (tries = 0; tries < SCOREBOARD_READ_TRIES; tries++) {
		before = atomic_load_explicit(&w->seq, memory_order_acquire);
		if (before & 1)
			continue;
		v->phase = (enum scoreboard_phase)atomic_load_explicit(
			&w->phase, memory_order_relaxed);
		v->busy_ms =
			atomic_load_explicit(&w->busy_ms, memory_order_relaxed);
		memcpy(v->line, (const char *)w->line, SCOREBOARD_LINE_MAX);
		atomic_thread_fence(memory_order_acquire);
		after = atomic_load_explicit(&w->seq, memory_order_relaxed);
		if (before == after)
			break;
	}
	if (tries == SCOREBOARD_READ_TRIES) {
		v->phase = (enum scoreboard_phase)atomic_load(&w->phase);
		v->busy_ms = atomic_load(&w->busy_ms);
		memcpy(v->line, (const char *)w->line, SCOREBOARD_LINE_MAX);
	}
	v->line[SCOREBOARD_LINE_MAX] = '\0';
	v->pid = (pid_t)atomic_load_explicit(&w->pid, memory_order_relaxed);
	v->draining = atomic_load_explicit(&w->draining, memory_order_relaxed);
	v->heartbeat_ms =
		atomic_load_explicit(&w->heartbeat_ms, memory_order_relaxed);
	v->requests = atomic_load_explicit(&w->requests, memory_order_relaxed);
	v->bytes_in = atomic_load_explicit(&w->bytes_in, memory_order_relaxed);
	v->bytes_out =
		atomic_load_explicit(&w->bytes_out, memory_order_relaxed);
	v->connections =
		atomic_load_explicit(&w->connections, memory_order_relaxed);
	v->accepted = atomic_load_explicit(&w->accepted, memory_order_relaxed);
	v->emfile = atomic_load_explicit(&w->emfile, memory_order_relaxed);
	v->shed = atomic_load_explicit(&w->shed, memory_order_relaxed);
	v->timeouts = atomic_load_explicit(&w->timeouts, memory_order_relaxed);
	return tries < SCOREBOARD_READ_TRIES;
}
