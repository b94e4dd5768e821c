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

int
http_response_head(char *buf, size_t len, const struct http_head_spec *h)
{
	int n;

	n = snprintf(buf, len, "HTTP/1.1 %d %s\r\nDate: %s\r\n", h->status,
		     http_status_reason(h->status), h->date);
	if (h->content_length >= 0)
		n += snprintf(buf + n, len > (size_t)n ? len - (size_t)n : 0,
			      "Content-Length: %lld\r\n",
			      (long long)h->content_length);
	else if (h->content_length == -1 && h->status >= 200 &&
		 h->status != 204 && h->status != 304)
		n += snprintf(buf + n, len > (size_t)n ? len - (size_t)n : 0,
			      "Transfer-Encoding: chunked\r\n");
	if (h->extra != NULL)
		n += snprintf(buf + n, len > (size_t)n ? len - (size_t)n : 0,
			      "%s", h->extra);
	n += snprintf(buf + n, len > (size_t)n ? len - (size_t)n : 0,
		      "Connection: %s\r\n\r\n",
		      h->keep_alive ? "keep-alive" : "close");
	return n < (int)len ? n : -1;
}
