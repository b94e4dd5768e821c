/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Relaying what workers print. A worker's stdout and stderr are two pipes
 * to the master, which logs each line as `worker N (pid P): line`, stdout
 * at info and stderr at warn: lines from different workers never
 * interleave, each carries its worker, and a log reopen (USR1) covers
 * worker output without the worker's help.
 *
 * A worker that floods its output must not starve the master nor fill the
 * disk. Each wakeup reads at most MASTER_OUTPUT_READ_MAX bytes (the pipe is
 * level-triggered: what is left comes back on the next turn of the loop,
 * after signals, pidfds and control clients had theirs). Each worker may
 * log MASTER_OUTPUT_LINES_PER_S lines a second, both pipes together;
 * past that, lines are dropped and counted, and both pipes leave the loop until
 * the second is over, so that the worker, blocked on a full pipe meanwhile,
 * costs the master one read per second, not one per line. A flood is logged
 * when it begins and, with the count of lines dropped, when a whole second
 * passes without a drop.
 */
#include "master/master.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "log/log.h"

#define WINDOW_MS 1000

static void
emit(struct worker *w, int pipe, const char *line, size_t len)
{
	log_write_worker(pipe == 1 ? LOG_LEVEL_WARN : LOG_LEVEL_INFO, w->number,
			 (int)w->pid, w->generation,
			 pipe == 1 ? "stderr" : "stdout", line, (int)len);
}

/* Starts a new one-second window; a calm window ends a flood. */
static void
roll_window(struct worker *w, int64_t now)
{
	if (w->out_dropped > 0 && !w->out_window_dropped) {
		log_warn("worker %d (pid %d): output flood over: %llu lines "
			 "dropped in %.1f s",
			 w->number, (int)w->pid,
			 (unsigned long long)w->out_dropped,
			 (double)(now - w->out_flood_ms) / 1000.0);
		w->out_dropped = 0;
	}
	w->out_window_ms = now;
	w->out_lines = 0;
	w->out_window_dropped = false;
}

/* Whether a line may be logged now; counts it either way. */
static bool
admit(struct worker *w, int64_t now)
{
	if (now - w->out_window_ms >= WINDOW_MS)
		roll_window(w, now);
	if (w->out_lines < MASTER_OUTPUT_LINES_PER_S) {
		w->out_lines++;
		return true;
	}
	if (w->out_dropped == 0) {
		w->out_flood_ms = now;
		log_warn("worker %d (pid %d): output flood: more than %d "
			 "lines/s; dropping lines until it slows down",
			 w->number, (int)w->pid, MASTER_OUTPUT_LINES_PER_S);
	}
	w->out_dropped++;
	w->out_window_dropped = true;
	return false;
}

static void
line(struct worker *w, int pipe, const char *text, size_t len, int64_t now)
{
	if (admit(w, now))
		emit(w, pipe, text, len);
}

/* Logs every complete line in w->out[pipe]; a full buffer is a line. */
static void
flush_lines(struct worker *w, int pipe, bool final, int64_t now)
{
	char *out = w->out[pipe];
	size_t start = 0, *len = &w->outlen[pipe];
	char *nl;

	while ((nl = memchr(out + start, '\n', *len - start)) != NULL) {
		line(w, pipe, out + start, (size_t)(nl - (out + start)), now);
		start = (size_t)(nl - out) + 1;
	}
	if (start == 0 && (*len == sizeof(w->out[pipe]) || final) && *len > 0) {
		line(w, pipe, out, *len, now);
		start = *len;
	}
	memmove(out, out + start, *len - start);
	*len -= start;
}

/* Both pipes leave the loop until the window ends (timer: resume). */
static void
pause_pipes(struct master *m, struct worker *w)
{
	int i;

	if (w->out_paused)
		return;
	for (i = 0; i < 2; i++)
		if (w->out_fd[i] >= 0)
			epoll_ctl(m->epfd, EPOLL_CTL_DEL, w->out_fd[i], NULL);
	w->out_paused = true;
}

static void
close_pipe(struct master *m, struct worker *w, int pipe)
{
	/* Paused, it is out of epoll already; closing is all that is left. */
	w->out_fd[pipe] = master_unwatch(m, w->out_fd[pipe]);
	if (w->out_fd[0] < 0 && w->out_fd[1] < 0)
		w->out_paused = false;
}

static void
drain_pipe(struct master *m, struct worker *w, int pipe, bool final)
{
	size_t budget =
		final ? MASTER_OUTPUT_FINAL_MAX : MASTER_OUTPUT_READ_MAX;
	int64_t now = proc_now_ms();

	while (w->out_fd[pipe] >= 0 && budget > 0) {
		size_t room = sizeof(w->out[pipe]) - w->outlen[pipe];
		ssize_t n;

		n = read(w->out_fd[pipe], w->out[pipe] + w->outlen[pipe],
			 room < budget ? room : budget);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			/*
			 * EOF: every writer is gone. EAGAIN at the worker's
			 * death: a grandchild may still hold the pipe; we
			 * stop listening to it with the worker.
			 */
			if (n == 0 || final)
				close_pipe(m, w, pipe);
			break;
		}
		budget -= (size_t)n;
		w->outlen[pipe] += (size_t)n;
		flush_lines(w, pipe, false, now);
		if (!final && w->out_window_dropped) {
			pause_pipes(m, w);
			break;
		}
	}
	/* At death the pipe closes, however much a grandchild still writes. */
	if (final && w->out_fd[pipe] >= 0)
		close_pipe(m, w, pipe);
	if (final || w->out_fd[pipe] < 0) {
		flush_lines(w, pipe, true, now);
		if (w->out_dropped > 0 && w->out_fd[!pipe] < 0) {
			w->out_window_dropped = false;
			roll_window(w, now);
		}
	}
}

void
worker_drain_output(struct master *m, struct worker *w, bool final)
{
	drain_pipe(m, w, 0, final);
	drain_pipe(m, w, 1, final);
}

void
worker_on_output(struct master *m, struct worker *w, int pipe)
{
	drain_pipe(m, w, pipe, false);
}

int64_t
worker_output_deadline(const struct worker *w)
{
	if (w->out_paused || w->out_dropped > 0)
		return w->out_window_ms + WINDOW_MS;
	return 0;
}

void
worker_output_on_timer(struct master *m, struct worker *w, int64_t now)
{
	int64_t due = worker_output_deadline(w);

	if (due == 0 || now < due)
		return;
	roll_window(w, now);
	if (w->out_paused) {
		w->out_paused = false;
		if (w->out_fd[0] >= 0)
			master_watch(m, w->out_fd[0], MASTER_TAG_OUTPUT,
				     (uint32_t)(w - m->slots));
		if (w->out_fd[1] >= 0)
			master_watch(m, w->out_fd[1], MASTER_TAG_OUTPUT_ERR,
				     (uint32_t)(w - m->slots));
	}
}
