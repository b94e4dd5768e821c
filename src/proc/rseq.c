/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Restartable sequences: glibc (2.35 and later) registers every thread
 * with rseq(2), and from then on the kernel writes the thread's CPU into
 * that area on each return to user space after the thread was scheduled.
 * An HTTP worker wakes for every batch of requests; in a keep-alive
 * profile that bookkeeping (__rseq_handle_notify_resume and its user
 * copies) was about 4 % of the worker's time, for a feature nothing in it
 * uses. proc_rseq_unregister() undoes glibc's registration for the calling
 * thread. Afterwards glibc's sched_getcpu() reads a CPU of -1 and asks the
 * kernel instead, and a library that wants rseq finds the thread free to
 * register it.
 */
#include "proc/proc.h"

#include <errno.h>
#include <sys/rseq.h>
#include <sys/syscall.h>
#include <unistd.h>

/*
 * The kernel wants the length the area was registered with, which is not
 * always __rseq_size: newer glibc (and Debian 12's) report the size of
 * the fields the kernel fills (20) but register at least the original 32
 * bytes, rounded up to 32.
 */
size_t
proc_rseq_registered_len(void)
{
	size_t n = __rseq_size;

	return n <= 32 ? 32 : (n + 31) / 32 * 32;
}

int
proc_rseq_unregister(void)
{
	void *area;

	/* glibc did not register (too old, or glibc.pthread.rseq=0). */
	if (__rseq_size == 0)
		return -ENOENT;
	area = (char *)__builtin_thread_pointer() + __rseq_offset;
	if (syscall(SYS_rseq, area, proc_rseq_registered_len(),
		    RSEQ_FLAG_UNREGISTER, RSEQ_SIG) == 0)
		return 0;
	/* An older glibc whose __rseq_size is the registered length. */
	if (errno == EINVAL && syscall(SYS_rseq, area, __rseq_size,
				       RSEQ_FLAG_UNREGISTER, RSEQ_SIG) == 0)
		return 0;
	return -errno;
}
