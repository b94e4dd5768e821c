/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Signals to a child. By its pidfd when we hold one: a pidfd names the
 * process itself, never a later one that reused its pid. The pid is the
 * fallback, for a child whose pidfd could not be opened and in case the
 * pidfd call fails (a kernel without it, though our baseline has it).
 */
#include "proc/proc.h"

#include <errno.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

int
proc_signal(int pidfd, pid_t pid, int sig)
{
	if (pidfd >= 0 &&
	    syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) == 0)
		return 0;
	if (pid <= 0)
		return -ESRCH;
	return kill(pid, sig) == 0 ? 0 : -errno;
}
