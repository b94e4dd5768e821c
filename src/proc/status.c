/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Wait statuses in words. A status is always logged decoded — exit code,
 * signal name, core dump — never as a raw number an operator must decode.
 */
#include "proc/proc.h"

#include <stdio.h>
#include <string.h>

static const char *
signame(int sig)
{
	const char *name = sigabbrev_np(sig);

	return name != NULL ? name : "?";
}

void
proc_describe_status(const siginfo_t *si, char *buf, size_t len)
{
	switch (si->si_code) {
	case CLD_EXITED:
		snprintf(buf, len, "exited with status %d", si->si_status);
		break;
	case CLD_KILLED:
		snprintf(buf, len, "killed by signal %s",
			 signame(si->si_status));
		break;
	case CLD_DUMPED:
		snprintf(buf, len, "killed by signal %s (core dumped)",
			 signame(si->si_status));
		break;
	case CLD_STOPPED:
	case CLD_TRAPPED:
		snprintf(buf, len, "stopped by signal %s",
			 signame(si->si_status));
		break;
	case CLD_CONTINUED:
		snprintf(buf, len, "continued");
		break;
	default:
		snprintf(buf, len, "changed state (code %d, status %d)",
			 si->si_code, si->si_status);
		break;
	}
}
