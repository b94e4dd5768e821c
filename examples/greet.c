/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * greet: a small app on libherd, built two ways from this one file.
 *
 *   cc greet.c $(pkg-config --cflags --libs herd) -o greet
 *   ./greet --listen 127.0.0.1:8080 --workers 2
 *
 *   cc -shared -fPIC -DHERD_APP_SHARED_OBJECT greet.c -o greet.so
 *   herd --app ./greet.so --listen 127.0.0.1:8080
 *
 * GET /?name=NAME answers "hello, NAME (request N of worker W)"; POST
 * answers the body's length. The linked program takes herd's whole command
 * line (--workers, -c FILE, reload, upgrade…).
 */
#include <herd.h>
#include <stdio.h>
#include <string.h>

static unsigned long served;

static int
greet_init(void *data)
{
	(void)data;
	served = 0;
	return 0;
}

static int
greet(struct herd_request *req, struct herd_response *res, void *data)
{
	struct herd_str method = herd_request_method(req);
	struct herd_str query = herd_request_query(req);
	const char *name = "world";
	int namelen = 5;
	char text[256];
	int n;

	(void)data;
	served++;
	if (method.len == 4 && memcmp(method.ptr, "POST", 4) == 0) {
		n = snprintf(text, sizeof(text), "got %zu bytes\n",
			     herd_request_body(req).len);
	} else {
		if (query.len > 5 && memcmp(query.ptr, "name=", 5) == 0) {
			name = query.ptr + 5;
			namelen = query.len - 5 > 64 ? 64 : (int)query.len - 5;
		}
		n = snprintf(text, sizeof(text),
			     "hello, %.*s (request %lu of worker %d)\n",
			     namelen, name, served, herd_worker_number());
	}
	herd_response_header(res, "Content-Type", "text/plain");
	return herd_response_body(res, text, (size_t)n);
}

/* --app ./greet.so looks for this symbol. */
const struct herd_app herd_app = {
	HERD_APP_INIT,
	.name = "greet",
	.handle = greet,
	.worker_init = greet_init,
};

#ifndef HERD_APP_SHARED_OBJECT
int
main(int argc, char **argv)
{
	return herd_main(argc, argv, &herd_app);
}
#endif
