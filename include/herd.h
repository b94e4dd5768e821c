/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * herd.h — the public API of libherd, and the only header herd installs.
 *
 * An app is a struct herd_app: a request handler plus optional hooks. herd
 * runs it in its own HTTP/1.1 workers, each an event loop over many
 * connections, under herd's master (respawns, reloads, upgrades). There are
 * two ways to hand herd an app:
 *
 *   - link with libherd and call herd_main(argc, argv, &app) from main():
 *     the program then takes herd's whole command line and config file;
 *   - build a shared object that defines `const struct herd_app herd_app`
 *     (or another symbol) and run `herd --app ./app.so[:symbol]`.
 *
 * The handler runs synchronously in a worker: while it runs, that worker
 * serves nobody else, so it should not block for long. Everything it is
 * given (strings, the request, the response) is valid only until it
 * returns. Strings from a request are not NUL-terminated: they are slices
 * of the bytes the client sent.
 *
 * Hooks run in this order: preload (once, in the master before the workers
 * are forked when `preload = true`, else in each worker), worker_init (in
 * each worker before it accepts), handle (per request), worker_exit (in each
 * worker as it leaves gracefully). Descriptors opened by preload do not
 * reach the workers (herd closes every descriptor a worker was not meant
 * to have); open them in worker_init.
 *
 * Functions return 0 or a negative errno value unless they say otherwise.
 *
 * Every struct herd_app starts with HERD_APP_INIT, which records the ABI
 * version and the struct's size as this header defines them:
 *
 *   const struct herd_app herd_app = {HERD_APP_INIT, .handle = hello};
 *
 * Fields may be added at the end of struct herd_app in later versions: herd
 * reads an app's struct only up to the size it recorded and takes the
 * fields past it as zero (absent), so an app built against an older header
 * keeps working. herd refuses, with a message saying why, an app without
 * HERD_APP_INIT, with another ABI version, one too small to hold the
 * fields every version has, or one that sets fields this herd does not
 * know (built against a newer header).
 */
#ifndef HERD_H
#define HERD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The release this header comes with: `herd --version` and herd.pc. */
#define HERD_VERSION "0.2.0"

/*
 * The layout of struct herd_app's first fields (abi, size) and of those
 * it has in common with every version: changes only if a field is
 * removed or changes meaning, which then no older app survives.
 */
#define HERD_ABI_VERSION 1

/* A slice of bytes, not NUL-terminated. */
struct herd_str {
	const char *ptr;
	size_t len;
};

struct herd_request;
struct herd_response;

struct herd_app {
	/* HERD_ABI_VERSION and sizeof(struct herd_app): HERD_APP_INIT. */
	uint32_t abi;
	uint32_t size;
	/* For logs ("hello"); NULL: the --app argument. */
	const char *name;
	/* Passed to every hook. */
	void *data;
	/*
	 * Answers one request by filling res. Returns 0, or any negative
	 * value when it failed: herd then answers 500 (or, if the response
	 * head was already sent, cuts the connection) and closes the
	 * connection. Required.
	 */
	int (*handle)(struct herd_request *req, struct herd_response *res,
		      void *data);
	/* Loads what every worker shares. Returns 0 or negative (fatal). */
	int (*preload)(void *data);
	/* Per-worker set-up. Returns 0 or negative (the worker exits 1). */
	int (*worker_init)(void *data);
	/* Per-worker clean-up on a graceful exit. */
	void (*worker_exit)(void *data);
	/*
	 * true: the handler is called once the head is read and reads the
	 * body itself with herd_request_read(). false (default): herd reads
	 * the whole body first (up to `body-max`, 413 past it).
	 */
	bool stream_body;
};

/* The first thing in every struct herd_app initializer. */
#define HERD_APP_INIT \
	.abi = HERD_ABI_VERSION, .size = (uint32_t)sizeof(struct herd_app)

/*
 * Runs herd with app as the app: parses argv as `herd` does (an `--app` or
 * `command` given there takes precedence), then runs the master until it
 * stops. Returns the exit status for main() to return.
 */
int herd_main(int argc, char **argv, const struct herd_app *app);

/* The request. */
struct herd_str herd_request_method(const struct herd_request *req);
struct herd_str herd_request_target(const struct herd_request *req);
/* The target's path (before "?"), still percent-encoded. */
struct herd_str herd_request_path(const struct herd_request *req);
/* After "?"; empty when none. */
struct herd_str herd_request_query(const struct herd_request *req);
/* 10 for HTTP/1.0, 11 for HTTP/1.1. */
int herd_request_version(const struct herd_request *req);

/* The header fields in the order they came, duplicates included. */
size_t herd_request_header_count(const struct herd_request *req);
/* Field i (0 ≤ i < count): returns 0, or -ERANGE. */
int herd_request_header_at(const struct herd_request *req, size_t i,
			   struct herd_str *name, struct herd_str *value);
/* The first field named name (ASCII case ignored): true and *value. */
bool herd_request_header(const struct herd_request *req, const char *name,
			 struct herd_str *value);

/*
 * The body herd buffered (stream_body false): chunked bodies arrive
 * decoded. Empty when the request has none.
 */
struct herd_str herd_request_body(const struct herd_request *req);
/*
 * Reads the next part of the body (stream_body true): returns the number
 * of bytes put in buf, 0 at the end of the body, or -errno (-ETIMEDOUT when
 * the client is silent past `read-timeout`, -EMSGSIZE past `body-max`,
 * -EBADMSG for a malformed chunked body). Blocks this worker meanwhile.
 */
ssize_t herd_request_read(struct herd_request *req, void *buf, size_t len);

/* The client's address, and as text ("127.0.0.1:50312", "[::1]:443"). */
const struct sockaddr *herd_request_peer(const struct herd_request *req,
					 socklen_t *len);
const char *herd_request_peer_text(const struct herd_request *req);
/* The name of the listener the connection came in on. */
const char *herd_request_listener(const struct herd_request *req);

/*
 * The response. The status defaults to 200. Content-Length, Date,
 * Connection and Transfer-Encoding belong to herd and are refused here
 * (-EINVAL), as is any name or value with CR, LF or NUL.
 */
int herd_response_status(struct herd_response *res, int status);
int herd_response_header(struct herd_response *res, const char *name,
			 const char *value);

/* The body: copied from memory (replacing any body set before). */
int herd_response_body(struct herd_response *res, const void *data, size_t len);
/*
 * The body: len bytes of the open file fd from offset, sent with
 * sendfile(2). herd owns fd from this call on (it is closed after, and on
 * error) and sends exactly len bytes or cuts the connection.
 */
int herd_response_file(struct herd_response *res, int fd, off_t offset,
		       size_t len);
/*
 * Streams the body (chunked in HTTP/1.1; to the close in 1.0): the first
 * call sends the head. Blocks this worker while the client is slow to read,
 * up to `write-timeout` without progress (-ETIMEDOUT). Returns 0 or -errno;
 * after an error the handler should return it.
 */
int herd_response_write(struct herd_response *res, const void *data,
			size_t len);

/*
 * The number of the worker the caller runs in: 0 to `workers` - 1, taken
 * over by the worker that replaces it (a respawn, a reload), so it can
 * name a per-worker resource. Meaningful in worker_init, handle and
 * worker_exit; 0 elsewhere (preload in the master).
 */
int herd_worker_number(void);

#ifdef __cplusplus
}
#endif

#endif
