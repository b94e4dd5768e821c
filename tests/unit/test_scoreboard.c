/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests for src/scoreboard: a fresh slot, phases, the request line
 * (cut, CR/LF-terminated, unprintable bytes replaced), counters, the
 * NULL slot of a worker without a master, and what matters most: a
 * child's stores are seen by its parent through the shared mapping, with
 * a reader that never takes a request line paired with another request's
 * start time for consistent while the child writes as fast as it can.
 */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "scoreboard/scoreboard.h"

static void
test_slot(struct scoreboard *sb)
{
	struct scoreboard_slot *s = &sb->slots[1];
	struct scoreboard_view v;
	static const char head[] = "GET /a\x01\x7f HTTP/1.1\r\nHost: x\r\n\r\n";
	char longline[300];

	scoreboard_slot_reset(s, 1000);
	scoreboard_read(s, &v);
	CHECK_INT(v.phase, SCOREBOARD_STARTING);
	CHECK_INT(v.busy_ms, 1000);
	CHECK_INT(v.requests, 0);
	CHECK_STR(v.line, "");

	scoreboard_set_phase(s, SCOREBOARD_WAITING, 1100);
	scoreboard_read(s, &v);
	CHECK_INT(v.phase, SCOREBOARD_WAITING);
	CHECK_INT(v.heartbeat_ms, 1100);

	scoreboard_handler_begin(s, head, sizeof(head) - 1, 1200);
	scoreboard_read(s, &v);
	CHECK_INT(v.phase, SCOREBOARD_HANDLER);
	CHECK_INT(v.busy_ms, 1200);
	CHECK_STR(v.line, "GET /a?? HTTP/1.1");
	CHECK_STR(scoreboard_phase_name(v.phase), "handler");

	memset(longline, 'x', sizeof(longline));
	scoreboard_handler_begin(s, longline, sizeof(longline), 1300);
	scoreboard_read(s, &v);
	CHECK_INT(strlen(v.line), SCOREBOARD_LINE_MAX - 1);

	SCOREBOARD_ADD(s, requests, 3);
	SCOREBOARD_ADD(s, connections, 2);
	SCOREBOARD_ADD(s, connections, (uint64_t)-1);
	scoreboard_read(s, &v);
	CHECK_INT(v.requests, 3);
	CHECK_INT(v.connections, 1);

	/* A worker run without a master has no slot: nothing happens. */
	scoreboard_set_phase(NULL, SCOREBOARD_WORKING, 1);
	scoreboard_handler_begin(NULL, head, sizeof(head) - 1, 1);
	SCOREBOARD_ADD((struct scoreboard_slot *)NULL, requests, 1);
	CHECK_STR(scoreboard_phase_name((enum scoreboard_phase)99), "?");
}

/*
 * The child begins request i at time i with the line "GET /i", as fast as
 * it can; the parent reads meanwhile. A torn read would pair one
 * request's line with another's start time.
 */
static void
test_shared_across_fork(struct scoreboard *sb)
{
	struct scoreboard_slot *s = &sb->slots[2];
	struct scoreboard_view v;
	int torn = 0, seen = 0, gaveup = 0, status, i;
	pid_t pid;

	scoreboard_slot_reset(s, 0);
	pid = fork();
	if (pid == 0) {
		char line[32];

		for (i = 1; i <= 200000; i++) {
			int n = snprintf(line, sizeof(line), "GET /%d", i);

			scoreboard_handler_begin(s, line, (size_t)n, i);
			SCOREBOARD_ADD(s, requests, 1);
		}
		_exit(0);
	}
	CHECK(pid > 0);
	while (waitpid(pid, &status, WNOHANG) == 0) {
		if (!scoreboard_read(s, &v)) {
			gaveup++;
			continue;
		}
		if (v.phase != SCOREBOARD_HANDLER)
			continue;
		seen++;
		if (atol(v.line + 5) != v.busy_ms)
			torn++;
	}
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK_INT(torn, 0);
	CHECK(seen > 0);
	CHECK(gaveup < seen);
	scoreboard_read(s, &v);
	CHECK_INT(v.requests, 200000);
	CHECK_STR(v.line, "GET /200000");
	CHECK_INT(v.busy_ms, 200000);
}

int
main(void)
{
	struct scoreboard sb;

	CHECK_INT(scoreboard_create(&sb, 4), 0);
	CHECK(sb.slots != NULL && sb.n == 4);
	test_slot(&sb);
	test_shared_across_fork(&sb);
	scoreboard_destroy(&sb);
	CHECK(sb.slots == NULL);
	return check_done("scoreboard");
}
