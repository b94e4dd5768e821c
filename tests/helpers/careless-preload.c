/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * careless-preload: an LD_PRELOAD library that behaves like the library
 * behind nginx's upgrade leak. Once the process that loaded it is up (its
 * first epoll_wait), it opens $CARELESS_OPEN the careless way, without
 * O_CLOEXEC. It does so in masters only: a worker (HERD_WORKER set) is
 * left alone, and an in-process worker inherits the "done" flag with the
 * master's memory. The upgrade test uses it to prove that no exec carries
 * such a descriptor on, however many upgrades follow.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/epoll.h>

int
epoll_wait(int epfd, struct epoll_event *events, int maxevents, int timeout)
{
	static int (*real)(int, struct epoll_event *, int, int);
	static int done;
	const char *path = getenv("CARELESS_OPEN");

	if (real == NULL)
		real = (int (*)(int, struct epoll_event *, int, int))dlsym(
			RTLD_NEXT, "epoll_wait");
	if (!done) {
		done = 1;
		if (path != NULL && getenv("HERD_WORKER") == NULL)
			(void)open(path, O_RDONLY); /* no CLOEXEC: on purpose */
	}
	return real(epfd, events, maxevents, timeout);
}
