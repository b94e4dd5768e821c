/*
 * Sockets handed over by the systemd protocol (sd_listen_fds(3)): from
 * systemd or systemd-socket-activate, and from an old herd master during a
 * binary upgrade. They are matched to the configured listeners by name,
 * then by address; the variables never reach anyone after us.
 */
#include "listen/listen.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include "fd/fd.h"

#define LISTEN_FDS_START 3
#define LISTEN_FDS_MAX 1024

static char **
split_names(const char *text, int n)
{
	char **names = calloc((size_t)n + 1, sizeof(*names));
	const char *p = text;
	int i;

	if (names == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		const char *end = p ? strchrnul(p, ':') : NULL;

		names[i] = p ? strndup(p, (size_t)(end - p)) : strdup("");
		if (names[i] == NULL) {
			while (i-- > 0)
				free(names[i]);
			free(names);
			return NULL;
		}
		p = (p && *end == ':') ? end + 1 : NULL;
	}
	return names;
}

int
listen_inherit(int **fds, char ***names)
{
	const char *pid = getenv("LISTEN_PID"), *count = getenv("LISTEN_FDS");
	const char *fdnames = getenv("LISTEN_FDNAMES");
	char *end;
	long n = 0;
	int i, rc = 0;

	*fds = NULL;
	*names = NULL;
	if (pid != NULL && count != NULL &&
	    strtol(pid, &end, 10) == (long)getpid() && *end == '\0') {
		n = strtol(count, &end, 10);
		if (*end != '\0' || n < 0 || n > LISTEN_FDS_MAX)
			rc = -EINVAL;
	}
	if (rc == 0 && n > 0) {
		*fds = calloc((size_t)n, sizeof(int));
		*names = split_names(fdnames, (int)n);
		if (*fds == NULL || *names == NULL)
			rc = -ENOMEM;
		for (i = 0; rc == 0 && i < n; i++) {
			(*fds)[i] = LISTEN_FDS_START + i;
			rc = fd_set_cloexec((*fds)[i], true);
		}
		if (rc < 0) {
			free(*fds);
			*fds = NULL;
			if (*names != NULL)
				for (i = 0; i < n; i++)
					free((*names)[i]);
			free(*names);
			*names = NULL;
		}
	}
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return rc < 0 ? rc : (int)n;
}

static bool
same_address(const struct listen_spec *s, int fd)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0 ||
	    ss.ss_family != s->addr.ss_family)
		return false;
	switch (ss.ss_family) {
	case AF_INET: {
		const struct sockaddr_in *a = (const void *)&s->addr;
		const struct sockaddr_in *b = (const void *)&ss;

		return a->sin_addr.s_addr == b->sin_addr.s_addr &&
		       (a->sin_port == 0 || a->sin_port == b->sin_port);
	}
	case AF_INET6: {
		const struct sockaddr_in6 *a = (const void *)&s->addr;
		const struct sockaddr_in6 *b = (const void *)&ss;

		return memcmp(&a->sin6_addr, &b->sin6_addr,
			      sizeof(a->sin6_addr)) == 0 &&
		       (a->sin6_port == 0 || a->sin6_port == b->sin6_port);
	}
	case AF_UNIX: {
		const struct sockaddr_un *a = (const void *)&s->addr;
		const struct sockaddr_un *b = (const void *)&ss;

		return strcmp(a->sun_path, b->sun_path) == 0;
	}
	}
	return false;
}

void
listen_match(struct listener *ls, int n, const int *fds, char *const *names,
	     int nfds, bool *taken)
{
	int i, k;

	/* By name first: a name is the operator's explicit intent. */
	for (i = 0; i < n; i++) {
		if (!ls[i].spec.named || ls[i].fd >= 0)
			continue;
		for (k = 0; k < nfds; k++)
			if (!taken[k] &&
			    strcmp(names[k], ls[i].spec.name) == 0) {
				ls[i].fd = fds[k];
				ls[i].inherited = true;
				taken[k] = true;
				break;
			}
	}
	for (i = 0; i < n; i++) {
		if (ls[i].fd >= 0)
			continue;
		for (k = 0; k < nfds; k++)
			if (!taken[k] && same_address(&ls[i].spec, fds[k])) {
				ls[i].fd = fds[k];
				ls[i].inherited = true;
				taken[k] = true;
				break;
			}
	}
}

int
listen_adopt(struct listener *l, int fd, const char *name, int index)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct listen_spec *s = &l->spec;

	if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0)
		return -errno;
	memset(l, 0, sizeof(*l));
	memcpy(&s->addr, &ss, sizeof(ss));
	s->addrlen = sl;
	s->mode = -1;
	s->ipv6only = -1;
	s->defer_accept_s = LISTEN_DEFER_DEFAULT; /* as it came: not set */
	s->backlog = 0;
	if (listen_format(fd, s->text, sizeof(s->text)) < 0)
		s->text[0] = '\0';
	if (name != NULL && name[0] != '\0' && strlen(name) < sizeof(s->name)) {
		strcpy(s->name, name);
		s->named = true;
	} else {
		snprintf(s->name, sizeof(s->name), "listen%d", index);
	}
	l->fd = fd;
	l->inherited = true;
	return 0;
}
