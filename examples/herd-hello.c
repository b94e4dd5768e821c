/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * herd-hello: the demo server `herd` runs when given no command.
 *
 * A small HTTP/1.1 server that takes its listening sockets the systemd way
 * (LISTEN_FDS sockets at descriptor 3 and up) and answers every request
 * with "hello from herd worker N (pid P)". It shows what a program needs to
 * run under herd: nothing but reading LISTEN_FDS, and exiting on SIGTERM.
 * One connection at a time, keep-alive; it is a demo, not a server to
 * deploy.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* strcasestr, accept4 */
#endif
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_LISTENERS 16

static volatile sig_atomic_t stopping;

static void
on_term(int sig)
{
	(void)sig;
	stopping = 1;
}

/* Serves one connection until the client closes or asks to. */
static void
serve(int fd, const char *body, size_t bodylen)
{
	char buf[8192], head[256];
	size_t have = 0;

	while (!stopping) {
		char *end;
		ssize_t n;
		int close_after, len;

		n = recv(fd, buf + have, sizeof(buf) - 1 - have, 0);
		if (n <= 0)
			return;
		have += (size_t)n;
		buf[have] = '\0';
		end = strstr(buf, "\r\n\r\n");
		if (end == NULL) {
			if (have == sizeof(buf) - 1)
				return; /* headers too large for a demo */
			continue;
		}
		close_after = strstr(buf, "HTTP/1.0") != NULL ||
			      strcasestr(buf, "\r\nconnection: close") != NULL;
		len = snprintf(head, sizeof(head),
			       "HTTP/1.1 200 OK\r\n"
			       "Content-Type: text/plain\r\n"
			       "Content-Length: %zu\r\n"
			       "Connection: %s\r\n\r\n",
			       bodylen, close_after ? "close" : "keep-alive");
		if (send(fd, head, (size_t)len, MSG_NOSIGNAL) != len ||
		    send(fd, body, bodylen, MSG_NOSIGNAL) != (ssize_t)bodylen ||
		    close_after)
			return;
		/* Requests without bodies only: drop what was consumed. */
		end += 4;
		have -= (size_t)(end - buf);
		memmove(buf, end, have);
	}
}

int
main(void)
{
	struct pollfd pfd[MAX_LISTENERS];
	const char *nfds = getenv("LISTEN_FDS"),
		   *worker = getenv("HERD_WORKER");
	struct sigaction sa;
	char body[128];
	size_t bodylen;
	int n, i;

	n = nfds != NULL ? atoi(nfds) : 0;
	if (n < 1 || n > MAX_LISTENERS) {
		fprintf(stderr,
			"herd-hello: expected 1..%d sockets in "
			"LISTEN_FDS; run me under herd\n",
			MAX_LISTENERS);
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
	bodylen = (size_t)snprintf(body, sizeof(body),
				   "hello from herd worker %s (pid %d)\n",
				   worker ? worker : "?", (int)getpid());
	for (i = 0; i < n; i++) {
		pfd[i].fd = 3 + i;
		pfd[i].events = POLLIN;
	}
	while (!stopping) {
		if (poll(pfd, (nfds_t)n, -1) < 0) {
			if (errno == EINTR)
				continue;
			perror("herd-hello: poll");
			return 1;
		}
		for (i = 0; i < n && !stopping; i++) {
			int c;

			if (!(pfd[i].revents & POLLIN))
				continue;
			/* Several workers share the socket: another may win. */
			c = accept4(pfd[i].fd, NULL, NULL, SOCK_CLOEXEC);
			if (c < 0)
				continue;
			serve(c, body, bodylen);
			close(c);
		}
	}
	return 0;
}
