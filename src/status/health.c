/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * /readyz: should this host receive traffic (ready workers against
 * `min-ready`, not draining, not stopping), and why, in one line. /livez
 * needs the master itself and is answered in serve.c.
 */
#include <stdio.h>

#include "status/status.h"

bool
status_ready(const struct status_view *v, char *why, size_t len)
{
	const struct status_state *st = &v->st;

	if (!v->have) {
		snprintf(why, len,
			 "not ready: the master has published no "
			 "state yet");
		return false;
	}
	if (st->stopping) {
		snprintf(why, len, "not ready: the master is stopping");
		return false;
	}
	if (st->old_master) {
		snprintf(why, len, "not ready: a new master has taken over");
		return false;
	}
	if (st->draining) {
		snprintf(why, len, "not ready: draining");
		return false;
	}
	if (st->ready < st->min_ready) {
		snprintf(why, len,
			 "not ready: %d of %d workers ready (min-ready %d)",
			 st->ready, st->wanted, st->min_ready);
		return false;
	}
	snprintf(why, len, "ready: %d of %d workers ready", st->ready,
		 st->wanted);
	return true;
}
