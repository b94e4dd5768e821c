/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Input placed against an unreadable page, for the parser tests: a parser
 * that reads one byte past what it was given faults at once (and ASan
 * need not be there to see it).
 */
#ifndef HERD_TEST_GUARD_H
#define HERD_TEST_GUARD_H

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static char *guard_end; /* the first byte of the PROT_NONE page */
static size_t guard_room;

/* Maps room writable bytes and the page after them unreadable; 0 or -1. */
static inline int
guard_init(size_t room)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	char *map = mmap(NULL, room + page, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (map == MAP_FAILED)
		return -1;
	guard_end = map + room;
	guard_room = room;
	return mprotect(guard_end, page, PROT_NONE);
}

/* A copy of data whose last byte sits just before the unreadable page. */
static inline char *
at_guard(const char *data, size_t len)
{
	char *p = guard_end - len;

	if (len > guard_room)
		abort();
	memmove(p, data, len);
	return p;
}

#endif
