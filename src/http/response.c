/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Response heads (RFC 9110 §15, RFC 9112 §4): the status line, Date,
 * Content-Length or chunked framing, and Connection. The Date value is
 * formatted once per second and reused; a worker answering thousands of
 * requests a second formats it once.
 */
#include "http/http.h"

#include <stdio.h>
#include <string.h>

static const struct {
	int code;
	const char *reason;
} reasons[] = {
	{100, "Continue"},
	{200, "OK"},
	{201, "Created"},
	{204, "No Content"},
	{206, "Partial Content"},
	{301, "Moved Permanently"},
	{302, "Found"},
	{304, "Not Modified"},
	{400, "Bad Request"},
	{403, "Forbidden"},
	{404, "Not Found"},
	{405, "Method Not Allowed"},
	{408, "Request Timeout"},
	{413, "Content Too Large"},
	{414, "URI Too Long"},
	{416, "Range Not Satisfiable"},
	{417, "Expectation Failed"},
	{431, "Request Header Fields Too Large"},
	{500, "Internal Server Error"},
	{501, "Not Implemented"},
	{503, "Service Unavailable"},
	{505, "HTTP Version Not Supported"},
};

const char *
http_status_reason(int code)
{
	size_t i;

	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].code == code)
			return reasons[i].reason;
	return "Unknown";
}

const char *
http_date(struct http_date_cache *cache, time_t now)
{
	static const char *const days[] = {"Sun", "Mon", "Tue", "Wed",
					   "Thu", "Fri", "Sat"};
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr",
					     "May", "Jun", "Jul", "Aug",
					     "Sep", "Oct", "Nov", "Dec"};
	struct tm tm;

	if (cache->second == now && cache->text[0] != '\0')
		return cache->text;
	gmtime_r(&now, &tm);
	snprintf(cache->text, sizeof(cache->text),
		 "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday],
		 tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour,
		 tm.tm_min, tm.tm_sec);
	cache->second = now;
	return cache->text;
}

/* Appends to a buffer that may turn out too small: len counts on. */
struct head_buf {
	char *p;
	size_t cap, len;
};

static void
put(struct head_buf *b, const char *s, size_t n)
{
	if (b->len + n <= b->cap)
		memcpy(b->p + b->len, s, n);
	b->len += n;
}

static void
put_str(struct head_buf *b, const char *s)
{
	put(b, s, strlen(s));
}

static void
put_num(struct head_buf *b, unsigned long long v)
{
	char digits[24];
	size_t i = sizeof(digits);

	do
		digits[--i] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	put(b, digits + i, sizeof(digits) - i);
}

/*
 * Written piece by piece rather than with snprintf: this runs once per
 * response, and formatting was a tenth of a keep-alive worker's time.
 */
int
http_response_head(char *buf, size_t len, const struct http_head_spec *h)
{
	struct head_buf b = {buf, len, 0};

	put(&b, "HTTP/1.1 ", 9);
	put_num(&b, (unsigned)h->status);
	put(&b, " ", 1);
	put_str(&b, http_status_reason(h->status));
	put(&b, "\r\nDate: ", 8);
	put_str(&b, h->date);
	put(&b, "\r\n", 2);
	if (h->content_length >= 0) {
		put(&b, "Content-Length: ", 16);
		put_num(&b, (unsigned long long)h->content_length);
		put(&b, "\r\n", 2);
	} else if (h->content_length == -1 && h->status >= 200 &&
		   h->status != 204 && h->status != 304) {
		put_str(&b, "Transfer-Encoding: chunked\r\n");
	}
	if (h->extra != NULL)
		put_str(&b, h->extra);
	if (h->keep_alive)
		put_str(&b, "Connection: keep-alive\r\n\r\n");
	else
		put_str(&b, "Connection: close\r\n\r\n");
	if (b.len >= len)
		return -1;
	buf[b.len] = '\0';
	return (int)b.len;
}
