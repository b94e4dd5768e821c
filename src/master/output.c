/*
 * Relaying what workers print. A worker's stdout and stderr are one pipe
 * to the master, which logs each line as `worker N (pid P): line`: lines
 * from different workers never interleave, each carries its worker, and a
 * log reopen (USR1) covers worker output without the worker's help.
 *
 * A worker that floods its output must not starve the master nor fill the
 * disk. Each wakeup reads at most MASTER_OUTPUT_READ_MAX bytes (the pipe is
 * level-triggered: what is left comes back on the next turn of the loop,
 * after signals, pidfds and control clients had theirs). Each worker may
 * log MASTER_OUTPUT_LINES_PER_S lines a second; past that, lines are
 * dropped and counted, and the pipe leaves the loop until the second is
 * over, so that the worker, blocked on a full pipe meanwhile, costs the
 * master one read per second, not one per line. A flood is logged when it
 * begins and, with the count of lines dropped, when a whole second passes
 * without a drop.
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
emit(struct worker *w, const char *line, size_t len)
{
	char msg[sizeof(w->out) + 64];
	int n;

	n = snprintf(msg, sizeof(msg), "worker %d (pid %d): %.*s", w->number,
		     (int)w->pid, (int)len, line);
	if (n > (int)sizeof(msg) - 1)
		n = (int)sizeof(msg) - 1;
	log_write_raw(LOG_LEVEL_INFO, msg, n);
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
line(struct worker *w, const char *text, size_t len, int64_t now)
{
	if (admit(w, now))
		emit(w, text, len);
}

/* Logs every complete line in w->out; a full buffer counts as a line. */
static void
flush_lines(struct worker *w, bool final, int64_t now)
{
	size_t start = 0;
	char *nl;

	while ((nl = memchr(w->out + start, '\n', w->outlen - start)) != NULL) {
		line(w, w->out + start, (size_t)(nl - (w->out + start)), now);
		start = (size_t)(nl - w->out) + 1;
	}
	if (start == 0 && (w->outlen == sizeof(w->out) || final) &&
	    w->outlen > 0) {
		line(w, w->out, w->outlen, now);
		start = w->outlen;
	}
	memmove(w->out, w->out + start, w->outlen - start);
	w->outlen -= start;
}

/* The pipe leaves the loop until the window ends (timer: resume). */
static void
pause_pipe(struct master *m, struct worker *w)
{
	if (w->out_paused || w->out_fd < 0)
		return;
	epoll_ctl(m->epfd, EPOLL_CTL_DEL, w->out_fd, NULL);
	w->out_paused = true;
}

static void
close_pipe(struct master *m, struct worker *w)
{
	w->out_fd = master_unwatch(m, w->out_fd);
	w->out_paused = false;
}

void
worker_drain_output(struct master *m, struct worker *w, bool final)
{
	size_t budget =
		final ? MASTER_OUTPUT_FINAL_MAX : MASTER_OUTPUT_READ_MAX;
	int64_t now = proc_now_ms();

	while (w->out_fd >= 0 && budget > 0) {
		size_t room = sizeof(w->out) - w->outlen;
		ssize_t n;

		n = read(w->out_fd, w->out + w->outlen,
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
				close_pipe(m, w);
			break;
		}
		budget -= (size_t)n;
		w->outlen += (size_t)n;
		flush_lines(w, false, now);
		if (!final && w->out_window_dropped) {
			pause_pipe(m, w);
			break;
		}
	}
	/* At death the pipe closes, however much a grandchild still writes. */
	if (final && w->out_fd >= 0)
		close_pipe(m, w);
	if (final || w->out_fd < 0) {
		flush_lines(w, true, now);
		if (w->out_dropped > 0) {
			w->out_window_dropped = false;
			roll_window(w, now);
		}
	}
}

void
worker_on_output(struct master *m, struct worker *w)
{
	worker_drain_output(m, w, false);
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
		master_watch(m, w->out_fd, MASTER_TAG_OUTPUT,
			     (uint32_t)(w - m->slots));
	}
}
