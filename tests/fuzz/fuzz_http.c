/*
 * libFuzzer target for src/http: the head parser, fed whole and as two
 * parts (the first byte picks the split), and the chunked decoder over
 * the rest, whole and in small pieces. Checks the parser's own promises:
 * every slice lies inside the head, the decoder never writes past what it
 * consumed, and a split never changes the outcome.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_slice(struct http_slice s, size_t head)
{
	if ((size_t)s.off + s.len > head)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_request req, again;
	enum http_outcome whole, split;
	char *buf;
	size_t cut;
	int i;

	if (size < 1)
		return 0;
	cut = data[0] % size;
	data++;
	size--;
	buf = malloc(size + 1);
	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);

	memset(&req, 0, sizeof(req));
	whole = http_parse_request(buf, size, &http_default_limits, &req);
	memset(&again, 0, sizeof(again));
	split = http_parse_request(buf, cut < size ? cut : size,
				   &http_default_limits, &again);
	if (split == HTTP_INCOMPLETE)
		split = http_parse_request(buf, size, &http_default_limits,
					   &again);
	if (split != whole)
		abort();
	if (whole == HTTP_OK) {
		if (req.head_len > size)
			abort();
		check_slice(req.method, req.head_len);
		check_slice(req.target, req.head_len);
		check_slice(req.path, req.head_len);
		check_slice(req.query, req.head_len);
		for (i = 0; i < req.nheaders; i++) {
			check_slice(req.headers[i].name, req.head_len);
			check_slice(req.headers[i].value, req.head_len);
		}
		if (req.chunked) {
			struct http_chunked c;
			size_t off = req.head_len, used, out;

			memset(&c, 0, sizeof(c));
			while (off < size) {
				size_t n = size - off < 7 ? size - off : 7;
				enum http_outcome o = http_chunked_decode(
					&c, buf + off, n, 1 << 20, &used, &out);

				if (out > used || used > n)
					abort();
				if (o != HTTP_INCOMPLETE)
					break;
				off += used;
			}
		}
	}
	free(buf);
	return 0;
}
