/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * abiapp.c: the same small app with the head of its struct herd_app built
 * the ways an app may get it wrong or merely old, one shared object per
 * way (the Makefile passes -DABI_<WAY>; tests/integration/test_abi.py).
 *
 *   ABI_CURRENT      HERD_APP_INIT: loads
 *   ABI_NONE         the layout before abi and size existed: refused
 *   ABI_WRONG        another ABI version: refused
 *   ABI_SHORT        a size too small for the fields every version has
 *   ABI_LIE          a size larger than the object itself: refused
 *   ABI_OLDER        the size of an older header (through handle): loads,
 *                    and the hooks past that size, which would fail, are
 *                    never called
 *   ABI_NEWER        a newer header's struct with a field set: refused
 *   ABI_NEWER_UNSET  the same with that field zero: loads
 *
 * GET / answers "abi ok\n".
 */
#include <herd.h>
#include <stddef.h>

static int
abi_handle(struct herd_request *req, struct herd_response *res, void *data)
{
	(void)req;
	(void)data;
	return herd_response_body(res, "abi ok\n", 7);
}

/* Hooks that make the app fail if herd ever calls them. */
__attribute__((unused)) static int
abi_fail(void *data)
{
	(void)data;
	return -1;
}

#if defined(ABI_NONE)
/* struct herd_app as herd.h had it before HERD_APP_INIT. */
struct old_app {
	const char *name;
	void *data;
	int (*handle)(struct herd_request *, struct herd_response *, void *);
	int (*preload)(void *);
	int (*worker_init)(void *);
	void (*worker_exit)(void *);
	bool stream_body;
};
const struct old_app herd_app = {.handle = abi_handle};
#elif defined(ABI_WRONG)
const struct herd_app herd_app = {
	.abi = 99,
	.size = sizeof(struct herd_app),
	.handle = abi_handle,
};
#elif defined(ABI_SHORT)
const struct herd_app herd_app = {
	.abi = HERD_ABI_VERSION,
	.size = 8,
	.handle = abi_handle,
};
#elif defined(ABI_LIE)
const struct herd_app herd_app = {
	.abi = HERD_ABI_VERSION,
	.size = 4000,
	.handle = abi_handle,
};
#elif defined(ABI_OLDER)
const struct herd_app herd_app = {
	.abi = HERD_ABI_VERSION,
	.size = offsetof(struct herd_app, handle) +
		sizeof(((struct herd_app *)0)->handle),
	.name = "abi-older",
	.handle = abi_handle,
	.preload = abi_fail,
	.worker_init = abi_fail,
};
#elif defined(ABI_NEWER) || defined(ABI_NEWER_UNSET)
/* A later struct herd_app: this one plus a field. */
struct newer_app {
	struct herd_app app;
	void *later;
};
#ifdef ABI_NEWER
#define LATER ((void *)abi_fail)
#else
#define LATER NULL
#endif
const struct newer_app herd_app = {
	.app =
		{
			.abi = HERD_ABI_VERSION,
			.size = sizeof(struct newer_app),
			.handle = abi_handle,
		},
	.later = LATER,
};
#else
const struct herd_app herd_app = {
	HERD_APP_INIT,
	.name = "abi-current",
	.handle = abi_handle,
};
#endif
