/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Sockets handed over by the systemd protocol (sd_listen_fds(3)), both
 * ways. In: from systemd or systemd-socket-activate, and from an old herd
 * master during a binary upgrade; they are matched to the configured
 * listeners by name, then by address, and the variables never reach anyone
 * after us. Out: what a worker or the next master inherits (descriptors at
 * 3…, LISTEN_*, the environment filter) is built here and nowhere else.
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
listen_activation_count(void)
{
	const char *pid = getenv("LISTEN_PID"), *count = getenv("LISTEN_FDS");
	char *end;
	long n;

	if (pid == NULL || count == NULL ||
	    strtol(pid, &end, 10) != (long)getpid() || *end != '\0')
		return 0;
	n = strtol(count, &end, 10);
	if (*end != '\0' || n < 0 || n > LISTEN_FDS_MAX)
		return -EINVAL;
	return (int)n;
}

int
listen_inherit(int **fds, char ***names)
{
	const char *fdnames = getenv("LISTEN_FDNAMES");
	int n = listen_activation_count(), i, rc = n < 0 ? n : 0;

	*fds = NULL;
	*names = NULL;
	if (rc == 0 && n > 0) {
		*fds = calloc((size_t)n, sizeof(int));
		*names = split_names(fdnames, n);
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
	return rc < 0 ? rc : n;
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

/* Room after "NAME=" for any pid and the NUL; the child writes it. */
#define PID_ROOM 16

bool
listen_heir_drops(enum listen_heir heir, const char *var)
{
	if (strncmp(var, "LISTEN_", 7) == 0 ||
	    strncmp(var, "NOTIFY_SOCKET=", 14) == 0 ||
	    strncmp(var, "WATCHDOG_", 9) == 0)
		return true;
	switch (heir) {
	case LISTEN_HEIR_WORKER:
		return strncmp(var, "HERD_", 5) == 0;
	case LISTEN_HEIR_MASTER:
		return strncmp(var, "HERD_UPGRADE_", 13) == 0 ||
		       strncmp(var, "HERD_SYSTEMD_NOTIFY=", 20) == 0;
	}
	return true;
}

/* Does one of add set the variable var ("NAME=value") again? */
static bool
set_again(char *const *add, int nadd, const char *var)
{
	size_t len = strcspn(var, "=");
	int i;

	for (i = 0; i < nadd; i++)
		if (strncmp(add[i], var, len) == 0 && add[i][len] == '=')
			return true;
	return false;
}

/* "NAME=" with room for the pid the child writes; *slot is where. */
static char *
pid_var_new(const char *name, char **slot)
{
	size_t len = strlen(name);
	char *s = calloc(1, len + 1 + PID_ROOM);

	if (s == NULL)
		return NULL;
	memcpy(s, name, len);
	s[len] = '=';
	*slot = s + len + 1;
	return s;
}

static int
build_env(struct listen_handover *h, enum listen_heir heir,
	  const struct listener *ls, int nls, char *const *env,
	  char *const *add, int nadd, const char *pid_var)
{
	size_t len = sizeof("LISTEN_FDNAMES=");
	int n = 0, nenv = 0, i;
	char *p;

	while (env[nenv] != NULL)
		nenv++;
	/* Inherited + added + FDS, FDNAMES, two pid slots + NULL. */
	h->envp = calloc((size_t)nenv + (size_t)nadd + 5, sizeof(char *));
	if (h->envp == NULL)
		return -ENOMEM;
	for (i = 0; i < nenv; i++)
		if (!listen_heir_drops(heir, env[i]) &&
		    !set_again(add, nadd, env[i]) &&
		    (h->envp[n++] = strdup(env[i])) == NULL)
			return -ENOMEM;
	for (i = 0; i < nadd; i++)
		if ((h->envp[n++] = strdup(add[i])) == NULL)
			return -ENOMEM;
	if (asprintf(&h->envp[n++], "LISTEN_FDS=%d", nls) < 0) {
		h->envp[n - 1] = NULL;
		return -ENOMEM;
	}
	for (i = 0; i < nls; i++)
		len += strlen(ls[i].spec.name) + 1;
	if ((h->envp[n++] = p = malloc(len)) == NULL)
		return -ENOMEM;
	p = stpcpy(p, "LISTEN_FDNAMES=");
	for (i = 0; i < nls; i++)
		p += sprintf(p, "%s%s", i > 0 ? ":" : "", ls[i].spec.name);
	*p = '\0';
	if ((h->envp[n++] = pid_var_new("LISTEN_PID", &h->pid_slots[0])) ==
	    NULL)
		return -ENOMEM;
	if (pid_var != NULL &&
	    (h->envp[n++] = pid_var_new(pid_var, &h->pid_slots[1])) == NULL)
		return -ENOMEM;
	return 0;
}

int
listen_handover_build(struct listen_handover *h, enum listen_heir heir,
		      const int stdio[3], const struct listener *ls, int nls,
		      char *const *env, char *const *add, int nadd,
		      const char *pid_var)
{
	int i, rc = 0;

	memset(h, 0, sizeof(*h));
	h->nfds = 3 + nls;
	h->fds = calloc((size_t)h->nfds, sizeof(int));
	if (h->fds == NULL)
		rc = -ENOMEM;
	for (i = 0; rc == 0 && i < h->nfds; i++)
		h->fds[i] = i < 3 ? stdio[i] : ls[i - 3].fd;
	if (rc == 0 && env != NULL)
		rc = build_env(h, heir, ls, nls, env, add, nadd, pid_var);
	if (rc < 0)
		listen_handover_release(h);
	return rc;
}

void
listen_handover_release(struct listen_handover *h)
{
	int i;

	for (i = 0; h->envp != NULL && h->envp[i] != NULL; i++)
		free(h->envp[i]);
	free(h->envp);
	free(h->fds);
	memset(h, 0, sizeof(*h));
}
