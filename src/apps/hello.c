/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * hello: the benchmark and test app. `/` (and anything else) answers 200
 * "hello, world\n"; `/pid` the worker's pid; `/sleep/MS` sleeps MS
 * milliseconds in the handler first, which is how tests make a request
 * outlive a timeout; `/fail` makes the handler fail (herd answers 500).
 */
#include "apps/apps.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static bool
is(struct herd_str s, const char *text)
{
	return s.len == strlen(text) && memcmp(s.ptr, text, s.len) == 0;
}

static int
hello_handle(struct herd_request *req, struct herd_response *res, void *data)
{
	static const char hello[] = "hello, world\n";
	struct herd_str path = herd_request_path(req);
	char text[32];
	int n;

	(void)data;
	herd_response_header(res, "Content-Type", "text/plain");
	if (is(path, "/pid")) {
		n = snprintf(text, sizeof(text), "%d\n", (int)getpid());
		return herd_response_body(res, text, (size_t)n);
	}
	if (is(path, "/fail"))
		return -1;
	if (path.len > 7 && memcmp(path.ptr, "/sleep/", 7) == 0) {
		long ms = 0;
		size_t i;
		struct timespec ts;

		for (i = 7; i < path.len && path.ptr[i] >= '0' &&
			    path.ptr[i] <= '9' && ms < 86400000;
		     i++)
			ms = ms * 10 + (path.ptr[i] - '0');
		ts.tv_sec = ms / 1000;
		ts.tv_nsec = (ms % 1000) * 1000000;
		while (nanosleep(&ts, &ts) != 0)
			;
	}
	return herd_response_body(res, hello, sizeof(hello) - 1);
}

const struct herd_app apps_hello = {
	HERD_APP_INIT,
	.name = "hello",
	.handle = hello_handle,
};
