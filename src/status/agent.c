/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * haproxy's agent-check protocol: one line per connection, no request.
 * The same facts as /readyz (health.c), said the way haproxy takes them.
 */
#include <stdio.h>

#include "status/status.h"

/*
 * One line of haproxy's agent protocol. "ready" lifts a DRAIN or MAINT
 * the agent itself set earlier (haproxy keeps DRAIN on "up 100%" alone);
 * the weight is the share of wanted workers that are ready.
 */
void
status_agent_line(const struct status_view *v, char *buf, size_t len)
{
	const struct status_state *st = &v->st;
	char why[128];
	int pct;

	if (v->have && (st->stopping || st->old_master)) {
		snprintf(buf, len, "down\n");
		return;
	}
	if (v->have && st->draining) {
		snprintf(buf, len, "drain\n");
		return;
	}
	if (!status_ready(v, why, sizeof(why))) {
		snprintf(buf, len, "down\n");
		return;
	}
	pct = st->wanted > 0 ? (int)((int64_t)st->ready * 100 / st->wanted)
			     : 100;
	if (pct > 100)
		pct = 100;
	if (pct < 1)
		pct = 1;
	snprintf(buf, len, "ready up %d%%\n", pct);
}
