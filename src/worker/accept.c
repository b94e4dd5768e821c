/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Accepting on the shared listeners, and what to do when the process runs
 * out of descriptors.
 *
 * Listeners are in the worker's epoll set with EPOLLEXCLUSIVE, so a new
 * connection wakes one worker rather than all of them, and workers take
 * turns at the head of the listeners' queue of waiters (rotate(),
 * step_aside()) so that they share connections evenly. When accept4 fails
 * with EMFILE/ENFILE the connection stays in the backlog and the listener
 * stays readable: accepting again at once would spin. Instead the worker
 * sheds what waits in the backlog — it gives up a descriptor it keeps in
 * reserve for exactly this, accepts, answers 503, closes — so that those
 * clients learn at once rather than at their own timeout; then it stops
 * accepting for SERVE_ACCEPT_PAUSE_MS while it goes on serving its open
 * connections. One log line per episode, counters in the scoreboard.
 */
#include "worker/serve.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fd/fd.h"

/*
 * Accepts per listener event. The listeners are level-triggered, so what
 * else waits in the backlog wakes the next epoll_wait anyway; a longer
 * loop would end every wakeup with an accept4 that finds EAGAIN. Only a
 * worker that fell behind (it was descheduled, or a burst outran it) and
 * finds at least CATCH_UP_DEPTH connections waiting accepts in batches of
 * CATCH_UP_BATCH, without stepping aside, until the backlog is short
 * again: one epoll_wait per batch instead of one per connection drains
 * it sooner, before it overflows and drops SYNs (a client then waits a
 * whole second for its retransmit). The depth is looked at every
 * PROBE_EVERY accepts, so this costs nothing while the worker keeps up.
 */
#define ACCEPT_BATCH 1
#define CATCH_UP_DEPTH 64
#define CATCH_UP_BATCH 64
#define PROBE_EVERY 16
/*
 * A worker steps to the back of the listeners' queue of waiters after
 * this many accepts, and after every accept while it holds other
 * connections: see rotate().
 */
#define ROTATE_EVERY 16
/* The longest a busy worker stays out of the waiters after a step aside:
 * 0–1 ms on the millisecond clock. */
#define STEP_ASIDE_MS 1
/* At most this many backlog entries are shed per episode step. */
#define SHED_BATCH 64

/*
 * Does the kernel hand over connections from fd only once their first
 * data has come (TCP_DEFER_ACCEPT, set by us or by whoever passed the
 * socket on)? Then reading right after accept pays; otherwise the request
 * is usually still on its way, and the read would only find EAGAIN.
 */
static bool
deferred(int fd)
{
	int secs = 0;
	socklen_t len = sizeof(secs);

	return getsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &secs, &len) ==
		       0 &&
	       secs > 0;
}

/*
 * How many connections wait in listener fd's backlog: for a listening
 * socket TCP_INFO reports its accept queue's length in tcpi_unacked.
 * -1 for other sockets (a UNIX listener has no such count).
 */
static int
backlog_depth(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0 ||
	    len < offsetof(struct tcp_info, tcpi_unacked) +
			    sizeof(ti.tcpi_unacked))
		return -1;
	return (int)ti.tcpi_unacked;
}

int
accept_listen(struct serve *srv, bool on)
{
	struct epoll_event ev = {.events = EPOLLIN | EPOLLEXCLUSIVE};
	int i;

	if (srv->listening == on)
		return 0;
	for (i = 0; i < srv->nls; i++) {
		/*
		 * Another worker may take the connection first: accept must
		 * not block then. The flag is on the shared open file, which
		 * only herd's own workers use.
		 */
		if (on)
			fd_set_nonblock(SERVE_LISTEN_FD0 + i, true);
		if (on && i < 64 && deferred(SERVE_LISTEN_FD0 + i))
			srv->data_first |= (uint64_t)1 << i;
		ev.data.u64 = (uint64_t)(i + 1);
		if (on && epoll_ctl(srv->epfd, EPOLL_CTL_ADD,
				    SERVE_LISTEN_FD0 + i, &ev) < 0)
			return -errno;
		/* EPOLLEXCLUSIVE entries cannot be modified, only removed. */
		if (!on)
			epoll_ctl(srv->epfd, EPOLL_CTL_DEL,
				  SERVE_LISTEN_FD0 + i, NULL);
	}
	srv->listening = on;
	return 0;
}

/*
 * With EPOLLEXCLUSIVE the kernel wakes the first waiter in the listener's
 * queue that is not busy, and an entry keeps its place: on this 2-core
 * machine the two workers at the head took every connection of a wrk
 * burst (67/33/0/0 % with 4 workers), and a worker added by TTIN or a new
 * generation, queued last, waited for connections until the others were
 * all busy. Taking the entry out and adding it again puts it at the tail,
 * so the others come first next time; adding reports what is pending, so
 * nothing is missed in between. It costs two epoll_ctl calls, paid only
 * by a worker that already holds connections (the one a burst would pile
 * onto) and otherwise once per ROTATE_EVERY accepts, which keeps a new
 * worker's wait short without a cost per request.
 */
static void
rotate(struct serve *srv, int index)
{
	struct epoll_event ev = {.events = EPOLLIN | EPOLLEXCLUSIVE,
				 .data.u64 = (uint64_t)(index + 1)};

	srv->accepts_unrotated = 0;
	if (epoll_ctl(srv->epfd, EPOLL_CTL_DEL, SERVE_LISTEN_FD0 + index,
		      NULL) < 0 ||
	    epoll_ctl(srv->epfd, EPOLL_CTL_ADD, SERVE_LISTEN_FD0 + index, &ev) <
		    0) {
		/* Out of the set for good would stop this listener: take
		 * all listeners out and back in a moment. */
		serve_say("epoll_ctl on listener %d: %s", index,
			  strerror(errno));
		accept_listen(srv, false);
		srv->accept_resume_ms = srv->now_ms + SERVE_ACCEPT_PAUSE_MS;
	}
}

/*
 * A worker that accepts while it already holds connections is the one a
 * burst piles onto: a level-triggered listener stays on its ready list
 * while the backlog is not empty, so it would take the whole backlog
 * (43 of wrk's 50 connections, measured). It leaves the listeners for
 * STEP_ASIDE_MS and rejoins at the tail of the waiters (accept_rejoin):
 * meanwhile the others are woken for what is queued. It comes back
 * sooner, when idle, only if the backlog grows deep (the others are not
 * keeping up): with a fixed pause alone, a burst of 8000 connections
 * took 7.6 s with 4 workers, all holding idle connections and so all
 * stepping aside. A worker with no connection never steps aside, nor
 * does a lone worker, nor one catching up.
 */
static void
step_aside(struct serve *srv)
{
	accept_listen(srv, false);
	srv->accepts_unrotated = 0;
	srv->rejoin_ms = srv->now_ms + STEP_ASIDE_MS;
}

/* Does some listener hold a backlog the workers are not keeping up with? */
static bool
backlog_deep(const struct serve *srv)
{
	int i;

	for (i = 0; i < srv->nls; i++)
		if (backlog_depth(SERVE_LISTEN_FD0 + i) >= CATCH_UP_DEPTH)
			return true;
	return false;
}

/*
 * An idle worker that stepped aside rejoins before its time only when the
 * backlog is deep: the others are not keeping up, so everyone accepts
 * (and catches up in batches). Rejoining whenever it was idle let a lone
 * running worker take every connection of a wrk start while the others,
 * woken but not yet run on a loaded machine, got none (100/0/0/0 %).
 */
void
accept_rejoin(struct serve *srv, bool idle)
{
	if (srv->rejoin_ms == 0)
		return;
	if (srv->rejoin_ms > srv->now_ms && !(idle && backlog_deep(srv)))
		return;
	srv->rejoin_ms = 0;
	if (!srv->draining && srv->accept_resume_ms == 0)
		accept_listen(srv, true);
}

void
accept_reserve(struct serve *srv)
{
	if (srv->reserve_fd < 0)
		srv->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

/*
 * Turns away what waits on listener index, using the reserve descriptor
 * for each connection in turn: read what the client sent (so the close is
 * a FIN, not a reset that could destroy the answer), answer 503, close.
 */
static void
shed(struct serve *srv, int index)
{
	static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\n"
				   "Connection: close\r\n"
				   "Content-Length: 0\r\n\r\n";
	char sink[4096];
	int i, fd;

	for (i = 0; i < SHED_BATCH; i++) {
		if (srv->reserve_fd >= 0)
			srv->reserve_fd = fd_close(srv->reserve_fd);
		fd = accept4(SERVE_LISTEN_FD0 + index, NULL, NULL,
			     SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0)
			break;
		(void)!read(fd, sink, sizeof(sink));
		(void)!send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL);
		close(fd);
		srv->episode_shed++;
		SCOREBOARD_ADD(srv->sb, shed, 1);
	}
	accept_reserve(srv);
}

static void
out_of_descriptors(struct serve *srv, int index, int err)
{
	SCOREBOARD_ADD(srv->sb, emfile, 1);
	if (srv->episode_ms == 0) {
		srv->episode_ms = srv->now_ms;
		srv->episode_shed = 0;
		serve_say("accept: %s; shedding the backlog with 503 and "
			  "pausing accepts (%d ms at a time) while open "
			  "connections are served",
			  strerror(err), SERVE_ACCEPT_PAUSE_MS);
	}
	if (err == EMFILE || err == ENFILE)
		shed(srv, index);
	accept_listen(srv, false);
	srv->accept_resume_ms = srv->now_ms + SERVE_ACCEPT_PAUSE_MS;
}

static void
episode_over(struct serve *srv)
{
	serve_say("accept: descriptors available again after %.1f s; %llu "
		  "connections shed",
		  (double)(srv->now_ms - srv->episode_ms) / 1000.0,
		  (unsigned long long)srv->episode_shed);
	srv->episode_ms = 0;
}

void
accept_from(struct serve *srv, int index)
{
	struct sockaddr_storage peer;
	socklen_t len;
	int i, fd, held;
	int batch = srv->catching_up ? CATCH_UP_BATCH : ACCEPT_BATCH;

	for (i = 0; i < batch && srv->listening; i++) {
		len = sizeof(peer);
		fd = accept4(SERVE_LISTEN_FD0 + index, (struct sockaddr *)&peer,
			     &len, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd >= 0) {
			if (srv->episode_ms != 0)
				episode_over(srv);
			held = srv->nconns;
			conn_accepted(srv, fd, index, &peer, len);
			if (!srv->listening)
				return;
			if (++srv->accepts_unprobed >= PROBE_EVERY) {
				srv->accepts_unprobed = 0;
				srv->catching_up =
					backlog_depth(SERVE_LISTEN_FD0 +
						      index) >= CATCH_UP_DEPTH;
				batch = srv->catching_up ? CATCH_UP_BATCH
							 : ACCEPT_BATCH;
			}
			/* Behind: every worker takes what it can. */
			if (srv->catching_up)
				continue;
			if (held > 0 && srv->plan->cfg->workers > 1) {
				step_aside(srv);
				return;
			}
			if (++srv->accepts_unrotated >= ROTATE_EVERY)
				rotate(srv, index);
			continue;
		}
		switch (errno) {
		case EAGAIN:
			srv->catching_up = false;
			return;
		case EINTR:
			return;
		case EMFILE:
		case ENFILE:
		case ENOBUFS:
		case ENOMEM:
			out_of_descriptors(srv, index, errno);
			return;
		default:
			/* ECONNABORTED and the network errors accept(2)
			 * passes on: that connection is gone, not us. */
			continue;
		}
	}
}

void
accept_on_timer(struct serve *srv)
{
	if (srv->accept_resume_ms == 0 || srv->accept_resume_ms > srv->now_ms)
		return;
	srv->accept_resume_ms = 0;
	accept_reserve(srv);
	if (!srv->draining)
		accept_listen(srv, true);
}
