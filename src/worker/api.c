/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The public request and response API (include/herd.h) over a connection
 * of the in-process worker. A request is a view of the connection's input
 * buffer that conn.c builds; a response collects what the app sets until
 * the handler returns, except a streamed one, which this file frames
 * (chunks) and hands to conn.c's blocking calls as the app goes. A
 * streamed request body is read through conn.c too: this file never
 * touches the connection's buffers or its socket.
 */
#include "worker/serve.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/uio.h>
#include <unistd.h>

#include "fd/fd.h"

static struct herd_str
slice(const struct herd_request *req, struct http_slice s)
{
	return (struct herd_str){req->buf + s.off, s.len};
}

struct herd_str
herd_request_method(const struct herd_request *req)
{
	return slice(req, req->http->method);
}

struct herd_str
herd_request_target(const struct herd_request *req)
{
	return slice(req, req->http->target);
}

struct herd_str
herd_request_path(const struct herd_request *req)
{
	return slice(req, req->http->path);
}

struct herd_str
herd_request_query(const struct herd_request *req)
{
	return slice(req, req->http->query);
}

int
herd_request_version(const struct herd_request *req)
{
	return req->http->version;
}

size_t
herd_request_header_count(const struct herd_request *req)
{
	return (size_t)req->http->nheaders;
}

int
herd_request_header_at(const struct herd_request *req, size_t i,
		       struct herd_str *name, struct herd_str *value)
{
	if (i >= (size_t)req->http->nheaders)
		return -ERANGE;
	*name = slice(req, req->http->headers[i].name);
	*value = slice(req, req->http->headers[i].value);
	return 0;
}

bool
herd_request_header(const struct herd_request *req, const char *name,
		    struct herd_str *value)
{
	const struct http_header *h =
		http_find_header(req->http, req->buf, name);

	if (h == NULL)
		return false;
	*value = slice(req, h->value);
	return true;
}

struct herd_str
herd_request_body(const struct herd_request *req)
{
	return (struct herd_str){req->body, req->bodylen};
}

const struct sockaddr *
herd_request_peer(const struct herd_request *req, socklen_t *len)
{
	*len = req->conn->peerlen;
	return (const struct sockaddr *)&req->conn->peer;
}

const char *
herd_request_peer_text(const struct herd_request *req)
{
	return conn_peer_text(req->conn);
}

const char *
herd_request_listener(const struct herd_request *req)
{
	return req->conn->srv->plan->ls[req->conn->listener].spec.name;
}

ssize_t
herd_request_read(struct herd_request *req, void *buf, size_t len)
{
	size_t take;

	if (req->stream)
		return conn_body_read(req->conn, buf, len);
	/* Buffered: hand out what is left of the body. */
	take = req->bodylen < len ? req->bodylen : len;
	if (take > 0)
		memcpy(buf, req->body, take);
	req->body += take;
	req->bodylen -= take;
	return (ssize_t)take;
}

/* Responses ------------------------------------------------------------- */

void
api_response_init(struct herd_response *res, struct conn *c)
{
	memset(res, 0, sizeof(*res));
	res->conn = c;
	res->file_fd = -1;
	res->status = 200;
}

void
api_response_reset(struct herd_response *res)
{
	if (res->file_fd >= 0)
		res->file_fd = fd_close(res->file_fd);
	res->status = 200;
	res->fieldslen = 0;
	if (res->fields != NULL)
		res->fields[0] = '\0';
	res->bodylen = 0;
	res->streaming = res->head_sent = res->chunked = res->failed = false;
	res->bytes = 0;
	/* A large body's buffer is not kept for the next request. */
	if (res->bodycap > 256 * 1024) {
		free(res->body);
		res->body = NULL;
		res->bodycap = 0;
	}
}

void
api_response_free(struct herd_response *res)
{
	if (res->file_fd >= 0)
		close(res->file_fd);
	free(res->fields);
	free(res->body);
	memset(res, 0, sizeof(*res));
	res->file_fd = -1;
}

int
herd_response_status(struct herd_response *res, int status)
{
	if (status < 200 || status > 999 || res->head_sent)
		return -EINVAL;
	res->status = status;
	return 0;
}

static bool
field_ok(const char *s, bool name)
{
	if (*s == '\0' && name)
		return false;
	for (; *s != '\0'; s++)
		if (*s == '\r' || *s == '\n' ||
		    (name && (*s == ':' || *s == ' ' || *s == '\t')))
			return false;
	return true;
}

int
herd_response_header(struct herd_response *res, const char *name,
		     const char *value)
{
	static const struct {
		const char *name;
		size_t len;
	} ours[] = {{"Content-Length", 14},
		    {"Date", 4},
		    {"Connection", 10},
		    {"Transfer-Encoding", 17}};
	size_t need, i, nlen, vlen;
	char *p;

	if (res->head_sent || !field_ok(name, true) || !field_ok(value, false))
		return -EINVAL;
	nlen = strlen(name);
	vlen = strlen(value);
	for (i = 0; i < sizeof(ours) / sizeof(ours[0]); i++)
		if (nlen == ours[i].len && strcasecmp(name, ours[i].name) == 0)
			return -EINVAL;
	need = res->fieldslen + nlen + vlen + 5;
	if (need > res->fieldscap) {
		size_t cap = res->fieldscap ? res->fieldscap : 256;

		while (cap < need)
			cap *= 2;
		p = realloc(res->fields, cap);
		if (p == NULL)
			return -ENOMEM;
		res->fields = p;
		res->fieldscap = cap;
	}
	/* Pieces, not sprintf: apps call this for every response. */
	p = res->fields + res->fieldslen;
	memcpy(p, name, nlen);
	memcpy(p + nlen, ": ", 2);
	memcpy(p + nlen + 2, value, vlen);
	memcpy(p + nlen + 2 + vlen, "\r\n", 3);
	res->fieldslen += nlen + vlen + 4;
	return 0;
}

int
herd_response_body(struct herd_response *res, const void *data, size_t len)
{
	char *p;

	if (res->streaming)
		return -EINVAL;
	if (len > res->bodycap) {
		p = realloc(res->body, len);
		if (p == NULL)
			return -ENOMEM;
		res->body = p;
		res->bodycap = len;
	}
	if (len > 0)
		memcpy(res->body, data, len);
	res->bodylen = len;
	if (res->file_fd >= 0)
		res->file_fd = fd_close(res->file_fd);
	return 0;
}

int
herd_response_file(struct herd_response *res, int fd, off_t offset, size_t len)
{
	if (res->streaming || fd < 0 || offset < 0) {
		if (fd >= 0)
			close(fd);
		return -EINVAL;
	}
	if (res->file_fd >= 0)
		close(res->file_fd);
	res->file_fd = fd;
	res->file_off = offset;
	res->file_len = len;
	res->bodylen = 0;
	return 0;
}

/* Sends the head (first call), then data as one chunk. */
static int
stream(struct herd_response *res, const void *data, size_t len, bool last)
{
	struct conn *c = res->conn;
	struct iovec iov[CONN_SEND_IOV];
	char size[24];
	bool body = !conn_bodiless(c, res->status);
	int n = 0, rc;

	if (res->failed)
		return -EPIPE;
	if (!res->head_sent) {
		/* The head goes with the first conn_send(). */
		rc = conn_stream_head(c, res->status, res->fields,
				      res->fieldslen);
		if (rc < 0)
			return rc;
		res->chunked = rc == 1;
		res->head_sent = true;
	}
	if (body && res->chunked && (len > 0 || last)) {
		/* SIZE CRLF DATA CRLF; the last chunk is "0" CRLF CRLF. */
		iov[n++] = (struct iovec){
			size,
			(size_t)snprintf(size, sizeof(size), "%zx\r\n", len)};
		if (len > 0)
			iov[n++] = (struct iovec){(void *)data, len};
		iov[n++] = (struct iovec){(void *)"\r\n", 2};
	} else if (body && len > 0) {
		iov[n++] = (struct iovec){(void *)data, len};
	}
	rc = conn_send(c, iov, n);
	if (rc < 0) {
		res->failed = true;
		return rc;
	}
	if (body)
		res->bytes += len;
	return 0;
}

int
herd_response_write(struct herd_response *res, const void *data, size_t len)
{
	if (res->file_fd >= 0 || res->bodylen > 0)
		return -EINVAL;
	res->streaming = true;
	if (len == 0 && res->head_sent)
		return 0;
	return stream(res, data, len, false);
}

int
api_stream_end(struct herd_response *res)
{
	return stream(res, NULL, 0, true);
}
