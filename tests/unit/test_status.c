/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests for src/status: the words of haproxy's agent-check and the
 * /readyz verdict for every state of the master that changes them. What
 * haproxy does with the words is tested against the real haproxy in
 * tests/integration/test_fleet.py.
 */
#include <stdbool.h>
#include <string.h>

#include "check.h"
#include "status/status.h"

struct agent_case {
	const char *what;
	bool have;
	int ready, wanted, min_ready, draining, stopping;
	const char *line;
	bool readyz;
};

static const struct agent_case agent_cases[] = {
	{"no state yet", false, 0, 0, 1, 0, 0, "down\n", false},
	{"all ready", true, 2, 2, 1, 0, 0, "ready up 100%\n", true},
	{"half ready", true, 1, 2, 1, 0, 0, "ready up 50%\n", true},
	{"three of four", true, 3, 4, 1, 0, 0, "ready up 75%\n", true},
	{"none ready", true, 0, 2, 1, 0, 0, "down\n", false},
	{"below min-ready", true, 1, 4, 2, 0, 0, "down\n", false},
	/* "up" with "drain": lifts a DOWN an earlier "down" left. */
	{"draining", true, 2, 2, 1, 1, 0, "up drain\n", false},
	{"draining, none ready", true, 0, 2, 1, 1, 0, "down\n", false},
	{"stopping", true, 2, 2, 1, 0, 1, "down\n", false},
	{"stopping while drained", true, 2, 2, 1, 1, 1, "down\n", false},
	{"no worker wanted", true, 0, 0, 0, 0, 0, "ready up 100%\n", true},
};

static void
test_agent_and_readyz(void)
{
	size_t i;

	for (i = 0; i < sizeof(agent_cases) / sizeof(agent_cases[0]); i++) {
		const struct agent_case *c = &agent_cases[i];
		struct status_view v;
		char line[64], why[128];

		memset(&v, 0, sizeof(v));
		v.have = c->have;
		v.st.ready = c->ready;
		v.st.wanted = c->wanted;
		v.st.min_ready = c->min_ready;
		v.st.draining = c->draining;
		v.st.stopping = c->stopping;
		status_agent_line(&v, line, sizeof(line));
		if (strcmp(line, c->line) != 0)
			fprintf(stderr, "case: %s\n", c->what);
		CHECK_STR(line, c->line);
		CHECK_INT(status_ready(&v, why, sizeof(why)), c->readyz);
	}
}

int
main(void)
{
	test_agent_and_readyz();
	return check_done("status");
}
