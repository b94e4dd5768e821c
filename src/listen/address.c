/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Parsing a listener: `ADDRESS[,option=value]…`. Owns nothing but the
 * spec it fills; never touches the network.
 */
#include "listen/listen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#define LISTEN_BACKLOG_DEFAULT 1024

static int
fail(char *err, size_t errlen, const char *fmt, const char *arg)
{
	snprintf(err, errlen, fmt, arg);
	return -EINVAL;
}

static int
parse_port(const char *text, int *port, char *err, size_t errlen)
{
	char *end;
	long n;

	if (text[0] < '0' || text[0] > '9')
		return fail(err, errlen, "invalid port \"%s\"", text);
	n = strtol(text, &end, 10);
	if (*end != '\0')
		return fail(err, errlen, "invalid port \"%s\"", text);
	if (n > 65535)
		return fail(err, errlen, "port %s out of range (0..65535)",
			    text);
	*port = (int)n;
	return 0;
}

static int
parse_address(char *a, struct listen_spec *s, char *err, size_t errlen)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)&s->addr;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&s->addr;
	struct sockaddr_un *un = (struct sockaddr_un *)&s->addr;
	char *colon, *host;
	int port, rc;

	memset(&s->addr, 0, sizeof(s->addr));
	if (strncmp(a, "unix:", 5) == 0) {
		const char *path = a + 5;

		if (path[0] == '\0')
			return fail(err, errlen, "%sempty unix path", "");
		if (strlen(path) >= sizeof(un->sun_path))
			return fail(err, errlen, "unix path too long: %s",
				    path);
		un->sun_family = AF_UNIX;
		strcpy(un->sun_path, path);
		s->addrlen = (socklen_t)sizeof(*un);
		return 0;
	}
	if (a[0] == '[') {
		char *close = strchr(a, ']');

		if (close == NULL || close[1] != ':')
			return fail(err, errlen,
				    "invalid IPv6 address \"%s\" (expected "
				    "[ADDR]:PORT)",
				    a);
		*close = '\0';
		rc = parse_port(close + 2, &port, err, errlen);
		if (rc < 0)
			return rc;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, a + 1, &in6->sin6_addr) != 1)
			return fail(err, errlen, "invalid IPv6 address \"%s\"",
				    a + 1);
		s->addrlen = (socklen_t)sizeof(*in6);
		return 0;
	}
	colon = strrchr(a, ':');
	if (colon == NULL) {
		/* A bare port: every address, IPv4 and IPv6. */
		rc = parse_port(a, &port, err, errlen);
		if (rc < 0)
			return rc;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		in6->sin6_addr = in6addr_any;
		s->addrlen = (socklen_t)sizeof(*in6);
		if (s->ipv6only < 0)
			s->ipv6only = 0;
		return 0;
	}
	*colon = '\0';
	host = a;
	rc = parse_port(colon + 1, &port, err, errlen);
	if (rc < 0)
		return rc;
	if (host[0] == '\0')
		return fail(err, errlen, "%sempty host", "");
	if (strchr(host, ':') != NULL)
		return fail(err, errlen,
			    "IPv6 address \"%s\" needs brackets: [ADDR]:PORT",
			    host);
	in4->sin_family = AF_INET;
	in4->sin_port = htons((uint16_t)port);
	if (strcmp(host, "*") == 0)
		host = "0.0.0.0";
	else if (strcmp(host, "localhost") == 0)
		host = "127.0.0.1";
	if (inet_pton(AF_INET, host, &in4->sin_addr) != 1)
		return fail(err, errlen,
			    "invalid host \"%s\" (an IPv4 address, *, "
			    "localhost or [IPv6])",
			    host);
	s->addrlen = (socklen_t)sizeof(*in4);
	return 0;
}

static int
parse_switch(const char *key, const char *v, char *err, size_t errlen)
{
	if (strcmp(v, "on") == 0 || strcmp(v, "true") == 0 ||
	    strcmp(v, "yes") == 0 || strcmp(v, "1") == 0)
		return 1;
	if (strcmp(v, "off") == 0 || strcmp(v, "false") == 0 ||
	    strcmp(v, "no") == 0 || strcmp(v, "0") == 0)
		return 0;
	snprintf(err, errlen, "%s: invalid value \"%s\" (on or off)", key, v);
	return -EINVAL;
}

static bool
valid_name(const char *n)
{
	size_t i, len = strlen(n);

	if (len == 0 || len >= LISTEN_NAME_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (!((n[i] >= 'a' && n[i] <= 'z') ||
		      (n[i] >= 'A' && n[i] <= 'Z') ||
		      (n[i] >= '0' && n[i] <= '9') || n[i] == '_' ||
		      n[i] == '-' || n[i] == '.'))
			return false;
	return true;
}

static int
parse_option(char *opt, struct listen_spec *s, unsigned *seen, char *err,
	     size_t errlen)
{
	static const char *const keys[] = {"backlog", "name", "mode",
					   "ipv6only", "defer-accept"};
	char *eq = strchr(opt, '='), *end;
	const char *v;
	unsigned k;
	long n;

	if (eq == NULL)
		return fail(err, errlen, "option \"%s\" needs a value", opt);
	*eq = '\0';
	v = eq + 1;
	for (k = 0; k < 5 && strcmp(opt, keys[k]) != 0; k++)
		;
	if (k == 5)
		return fail(err, errlen,
			    "unknown option \"%s\" (backlog, name, mode, "
			    "ipv6only, defer-accept)",
			    opt);
	if (*seen & (1u << k))
		return fail(err, errlen, "option \"%s\" given twice", opt);
	*seen |= 1u << k;
	switch (k) {
	case 0:
		n = strtol(v, &end, 10);
		if (v[0] < '0' || v[0] > '9' || *end != '\0' || n < 1 ||
		    n > 65535)
			return fail(err, errlen,
				    "backlog: invalid value \"%s\" "
				    "(1..65535)",
				    v);
		s->backlog = (int)n;
		return 0;
	case 1:
		if (!valid_name(v))
			return fail(err, errlen,
				    "name: invalid value \"%s\" (letters, "
				    "digits, _ - . ; at most 63)",
				    v);
		strcpy(s->name, v);
		s->named = true;
		return 0;
	case 2:
		n = strtol(v, &end, 8);
		if (v[0] < '0' || v[0] > '7' || *end != '\0' || n > 07777)
			return fail(err, errlen,
				    "mode: invalid value \"%s\" (octal, "
				    "e.g. 0660)",
				    v);
		s->mode = (int)n;
		return 0;
	case 3:
		n = parse_switch("ipv6only", v, err, errlen);
		if (n < 0)
			return (int)n;
		s->ipv6only = (int)n;
		return 0;
	case 4:
		if (v[0] >= '0' && v[0] <= '9') {
			n = strtol(v, &end, 10);
			if (*end != '\0' || n < 0 || n > 3600)
				return fail(err, errlen,
					    "defer-accept: invalid value "
					    "\"%s\" (on, off or seconds)",
					    v);
			s->defer_accept_s = (int)n;
			return 0;
		}
		n = parse_switch("defer-accept", v, err, errlen);
		if (n < 0)
			return (int)n;
		s->defer_accept_s = n ? 1 : 0;
		return 0;
	}
	return -EINVAL;
}

int
listen_parse(const char *text, int index, struct listen_spec *spec, char *err,
	     size_t errlen)
{
	char buf[LISTEN_TEXT_MAX], *opt, *save = NULL, *first;
	unsigned seen = 0;
	int rc;

	memset(spec, 0, sizeof(*spec));
	if (strlen(text) >= sizeof(buf))
		return fail(err, errlen, "%slistener too long", "");
	if (text[0] == '\0')
		return fail(err, errlen, "%sempty listener", "");
	strcpy(spec->text, text);
	strcpy(buf, text);
	spec->backlog = LISTEN_BACKLOG_DEFAULT;
	spec->mode = -1;
	spec->ipv6only = -1;
	spec->defer_accept_s = LISTEN_DEFER_DEFAULT;
	snprintf(spec->name, sizeof(spec->name), "listen%d", index);

	first = strtok_r(buf, ",", &save);
	if (first == NULL)
		return fail(err, errlen, "%sempty listener", "");
	while ((opt = strtok_r(NULL, ",", &save)) != NULL) {
		rc = parse_option(opt, spec, &seen, err, errlen);
		if (rc < 0)
			return rc;
	}
	/* Options first: a bare port's dual-stack default yields to them. */
	rc = parse_address(first, spec, err, errlen);
	if (rc < 0)
		return rc;
	if (spec->addr.ss_family == AF_UNIX &&
	    (spec->ipv6only >= 0 || spec->defer_accept_s > 0))
		return fail(err, errlen,
			    "%sipv6only and defer-accept are for TCP "
			    "listeners",
			    "");
	if (spec->addr.ss_family != AF_UNIX && spec->mode >= 0)
		return fail(err, errlen, "%smode is for unix listeners", "");
	if (spec->addr.ss_family == AF_INET && spec->ipv6only >= 0)
		return fail(err, errlen, "%sipv6only is for IPv6 listeners",
			    "");
	return 0;
}

void
listen_defer_default(struct listen_spec *spec, bool client_first)
{
	if (spec->defer_accept_s != LISTEN_DEFER_DEFAULT)
		return;
	spec->defer_accept_s =
		client_first && spec->addr.ss_family != AF_UNIX ? 1 : 0;
}
