/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fd — descriptor hygiene, the bottom of herd's module stack.
 *
 * Owns the helpers that keep the invariant of DESIGN.md: every descriptor
 * herd creates is close-on-exec from birth, and a child clears the flag only
 * on what it hands over. The child-side helpers (fd_place, fd_close_above)
 * are async-signal-safe and may run between fork and exec. Nothing here logs.
 */
#ifndef HERD_FD_H
#define HERD_FD_H

#include <stdbool.h>

/*
 * Closes fd if it is valid and returns -1, so that `fd = fd_close(fd)` leaves
 * no dangling number behind. errno is preserved. Async-signal-safe.
 */
int fd_close(int fd);

/* Sets or clears FD_CLOEXEC. Returns 0 or -errno. Async-signal-safe. */
int fd_set_cloexec(int fd, bool on);

/* Sets or clears O_NONBLOCK. Returns 0 or -errno. Async-signal-safe. */
int fd_set_nonblock(int fd, bool on);

/*
 * Child side, between fork and exec: moves src[0..n-1] to first, first+1, …
 * with their close-on-exec flag cleared, so they survive exec. A source that
 * already sits inside the target range is first lifted above it, so no
 * placement overwrites a descriptor still to be placed. Sources keep their
 * own numbers open (they are close-on-exec and vanish at exec).
 * Returns 0 or -errno. Async-signal-safe.
 */
int fd_place(const int *src, int n, int first);

/*
 * Marks every descriptor >= first close-on-exec: close_range() with
 * CLOSE_RANGE_CLOEXEC on kernels that have it, else FD_CLOEXEC on each
 * descriptor /proc/self/fd lists, else (no /proc) on each open one up to
 * the soft RLIMIT_NOFILE. Marking
 * rather than closing keeps a close-on-exec report pipe usable until exec.
 * Returns 0 or -errno. Async-signal-safe.
 */
int fd_cloexec_from(int first);

/* The fallback without close_range(), exported so tests cover it. */
int fd_cloexec_from_fallback(int first);

/*
 * Closes every descriptor >= first: close_range() where the kernel has it,
 * else every one /proc/self/fd lists (also those above a lowered soft
 * RLIMIT_NOFILE), else, without /proc, a walk up to that limit. For a forked
 * child that will not exec (an in-process worker), where close-on-exec marks
 * would never take effect. Returns 0 or -errno. Async-signal-safe.
 */
int fd_close_from(int first);

/* The fallback without close_range(), exported so tests cover it. */
int fd_close_from_fallback(int first);

/*
 * At start-up, before anything else opens a descriptor: makes sure 0, 1 and
 * 2 are open (on /dev/null if not), so no later descriptor lands there by
 * accident, and closes every descriptor >= first that the caller left open
 * (a shell's or a parent's stray), however many, writing the first max of
 * their numbers to strays. Returns how many there were, or -errno.
 */
int fd_sanitize_startup(int first, int *strays, int max);

/* Counts the descriptors open in this process (from /proc/self/fd). */
int fd_count_open(void);

#endif
