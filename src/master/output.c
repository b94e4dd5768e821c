/*
 * Relaying what workers print. A worker's stdout and stderr are one pipe
 * to the master, which logs each line as `worker N (pid P): line`: lines
 * from different workers never interleave, each carries its worker, and a
 * log reopen (USR1) covers worker output without the worker's help.
 */
#include "master/master.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "log/log.h"

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

/* Logs every complete line in w->out; a full buffer counts as a line. */
static void
flush_lines(struct worker *w, bool final)
{
	size_t start = 0;
	char *nl;

	while ((nl = memchr(w->out + start, '\n', w->outlen - start)) != NULL) {
		emit(w, w->out + start, (size_t)(nl - (w->out + start)));
		start = (size_t)(nl - w->out) + 1;
	}
	if (start == 0 && (w->outlen == sizeof(w->out) || final) &&
	    w->outlen > 0) {
		emit(w, w->out, w->outlen);
		start = w->outlen;
	}
	memmove(w->out, w->out + start, w->outlen - start);
	w->outlen -= start;
}

void
worker_drain_output(struct master *m, struct worker *w, bool final)
{
	for (;;) {
		ssize_t n;

		if (w->out_fd < 0)
			break;
		n = read(w->out_fd, w->out + w->outlen,
			 sizeof(w->out) - w->outlen);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			/*
			 * EOF: every writer is gone. EAGAIN at the worker's
			 * death: a grandchild may still hold the pipe; we
			 * stop listening to it with the worker.
			 */
			if (n == 0 || final) {
				epoll_ctl(m->epfd, EPOLL_CTL_DEL, w->out_fd,
					  NULL);
				close(w->out_fd);
				w->out_fd = -1;
			}
			break;
		}
		w->outlen += (size_t)n;
		flush_lines(w, false);
	}
	if (final || w->out_fd < 0)
		flush_lines(w, true);
}

void
worker_on_output(struct master *m, struct worker *w)
{
	worker_drain_output(m, w, false);
}
