/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * haproxy's agent-check protocol: one line per connection, no request.
 * The same facts as /readyz (health.c), said the way haproxy takes them.
 */
#include <stdio.h>

#include "status/status.h"

/*
 * One line of haproxy's agent protocol: "down" while stopping or short of
 * min-ready workers, "up drain" while draining, else "ready up N%".
 * "ready" lifts a DRAIN or MAINT the agent itself set earlier (haproxy
 * keeps DRAIN on "up 100%" alone); the weight is the share of wanted
 * workers that are ready.
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
	/*
	 * Workers first, drain second: a drained host with no ready worker
	 * is down. A drained host that can serve says "up" as well as
	 * "drain": "drain" alone sets haproxy's admin state and leaves an
	 * operational DOWN an earlier "down" set (at start, or while the
	 * old master stopped during an upgrade) in place, so the host would
	 * never show DRAIN.
	 */
	if (v->have && st->ready < st->min_ready) {
		snprintf(buf, len, "down\n");
		return;
	}
	if (v->have && st->draining) {
		snprintf(buf, len, "up drain\n");
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
