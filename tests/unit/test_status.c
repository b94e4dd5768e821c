/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests of the status module: the request reader (table-driven, every
 * input fed as every prefix, its last byte just before an unreadable
 * page), the snapshot protocol (never published, a write under way, a
 * finished one), /readyz's verdicts and the words of haproxy's agent-check
 * for every state that changes them (what haproxy does with the words is
 * tested against the real haproxy in tests/integration/test_fleet.py).
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"
#include "guard.h"
#include "status/status.h"

#define ROOM (64 * 1024)

struct head_case {
	const char *text;
	int want;	  /* 1: a request, else the status */
	const char *path; /* when want == 1 */
	bool head;	  /* HEAD */
};

static const struct head_case heads[] = {
	{"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 1, "/metrics", false},
	{"GET / HTTP/1.0\r\n\r\n", 1, "/", false},
	{"HEAD /readyz HTTP/1.1\r\n\r\n", 1, "/readyz", true},
	{"GET /status.json?x=1 HTTP/1.1\r\n\r\n", 1, "/status.json", false},
	{"GET /livez HTTP/1.1\r\nContent-Length: 0\r\n\r\n", 1, "/livez",
	 false},
	{"POST /metrics HTTP/1.1\r\n\r\n", 405, NULL, false},
	{"get /metrics HTTP/1.1\r\n\r\n", 405, NULL, false},
	{"GET /metrics HTTP/1.1\r\nContent-Length: 5\r\n\r\n", 400, NULL,
	 false},
	{"GET /metrics HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 400,
	 NULL, false},
	{"GET /metrics HTTP/2.0\r\n\r\n", 505, NULL, false},
	{"GET /metrics HTTP/1.2\r\n\r\n", 505, NULL, false},
	{"GET /metrics HTTP/1.x\r\n\r\n", 400, NULL, false},
	{"GET /metrics HTTX/1.1\r\n\r\n", 400, NULL, false},
	{"GET /metrics\r\n\r\n", 400, NULL, false},
	{"GET metrics HTTP/1.1\r\n\r\n", 400, NULL, false},
	{"GET  /metrics HTTP/1.1\r\n\r\n", 400, NULL, false},
	{"GET /a\x01 HTTP/1.1\r\n\r\n", 400, NULL, false},
	{"GET / HTTP/1.1\r\nNo colon\r\n\r\n", 400, NULL, false},
	{"GET / HTTP/1.1\r\n: empty name\r\n\r\n", 400, NULL, false},
	{"GET / HTTP/1.1\r\nBad name: x\r\n\r\n", 400, NULL, false},
	{"GET / HTTP/1.1\r\nX: a\x01z\r\n\r\n", 400, NULL, false},
	{"GET / HTTP/1.1\r\nX: y\nZ: w\r\n\r\n", 400, NULL, false},
	{"\r\n\r\n", 400, NULL, false},
	{"G(T / HTTP/1.1\r\n\r\n", 400, NULL, false},
};

static void
test_heads(void)
{
	for (size_t i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
		const struct head_case *c = &heads[i];
		size_t len = strlen(c->text), n;
		char path[512];
		bool head = false;
		int rc;

		/* Every proper prefix: not yet a whole head. */
		for (n = 0; n < len; n++) {
			rc = status_http_parse(at_guard(c->text, n), n, path,
					       sizeof(path), &head);
			if (rc != 0) {
				fprintf(stderr, "case %zu, prefix %zu: %d\n", i,
					n, rc);
				CHECK(rc == 0);
			}
		}
		rc = status_http_parse(at_guard(c->text, len), len, path,
				       sizeof(path), &head);
		if (rc != c->want)
			fprintf(stderr, "case %zu: %s\n", i, c->text);
		CHECK_INT(rc, c->want);
		if (c->want == 1 && rc == 1) {
			CHECK_STR(path, c->path);
			CHECK_INT(head, c->head);
		}
	}
}

static void
test_limits(void)
{
	char *big = malloc(STATUS_HEAD_MAX + 16), path[16];
	bool head;

	/* No end of head within STATUS_HEAD_MAX bytes: 431. */
	memset(big, 'a', STATUS_HEAD_MAX);
	memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
	CHECK_INT(status_http_parse(at_guard(big, STATUS_HEAD_MAX - 1),
				    STATUS_HEAD_MAX - 1, path, sizeof(path),
				    &head),
		  0);
	CHECK_INT(status_http_parse(at_guard(big, STATUS_HEAD_MAX),
				    STATUS_HEAD_MAX, path, sizeof(path), &head),
		  431);
	/* A path longer than the caller's room: 414. */
	CHECK_INT(status_http_parse("GET /0123456789abcdef HTTP/1.1\r\n\r\n",
				    34, path, sizeof(path), &head),
		  414);
	free(big);
}

static void
test_snapshot(void)
{
	struct status_snapshot s;
	struct status_state st;
	struct status_worker w[4];
	struct status_shm *shm;

	CHECK_INT(status_snapshot_create(&s, 4), 0);
	/* Never published: nothing to read. */
	CHECK(!status_snapshot_read(&s, &st, w));
	shm = status_snapshot_begin(&s);
	shm->st.generation = 7;
	shm->st.hi = 2;
	shm->w[1].pid = 4242;
	/* A write under way: the reader gives up rather than copy it. */
	CHECK(!status_snapshot_read(&s, &st, w));
	status_snapshot_end(&s);
	memset(&st, 0, sizeof(st));
	CHECK(status_snapshot_read(&s, &st, w));
	CHECK_INT(st.generation, 7);
	CHECK_INT(w[1].pid, 4242);
	/* Sequence numbers stay even after a write, and never 0. */
	CHECK_INT(atomic_load(&shm->seq) & 1, 0);
	CHECK(atomic_load(&shm->seq) != 0);
	status_snapshot_destroy(&s);
	CHECK(s.shm == NULL);
}

static void
test_ready(void)
{
	struct status_view v = {.have = false};
	char why[160];

	CHECK(!status_ready(&v, why, sizeof(why)));
	CHECK_STR(why, "not ready: the master has published no state yet");
	v.have = true;
	v.st.wanted = 2;
	v.st.ready = 1;
	v.st.min_ready = 2;
	CHECK(!status_ready(&v, why, sizeof(why)));
	CHECK_STR(why, "not ready: 1 of 2 workers ready (min-ready 2)");
	v.st.ready = 2;
	CHECK(status_ready(&v, why, sizeof(why)));
	CHECK_STR(why, "ready: 2 of 2 workers ready");
	v.st.draining = 1;
	CHECK(!status_ready(&v, why, sizeof(why)));
	CHECK_STR(why, "not ready: draining");
	v.st.stopping = 1;
	CHECK(!status_ready(&v, why, sizeof(why)));
	CHECK_STR(why, "not ready: the master is stopping");
}

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
	CHECK(guard_init(ROOM) == 0);
	if (guard_end == NULL)
		return check_done("status");
	test_heads();
	test_limits();
	test_snapshot();
	test_ready();
	test_agent_and_readyz();
	return check_done("status");
}
