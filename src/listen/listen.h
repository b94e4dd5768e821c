/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * listen — listening sockets: address parsing, binding, and sockets
 * inherited through the systemd protocol (LISTEN_FDS, LISTEN_PID,
 * LISTEN_FDNAMES), which is also how a new herd master receives them from
 * an old one during a binary upgrade.
 *
 * Owns struct listener and its descriptor. Every socket it creates or adopts
 * is close-on-exec; proc clears the flag only in a child, on the copy it
 * places at fd 3 and above. Nothing here logs: errors come back as -errno
 * with a message in the caller's buffer.
 */
#ifndef HERD_LISTEN_H
#define HERD_LISTEN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

#define LISTEN_NAME_MAX 64
#define LISTEN_TEXT_MAX 256

/*
 * What the operator configured: `ADDRESS[,option=value]…` where ADDRESS is
 * `PORT` (all IPv4 and IPv6 addresses, like `[::]:PORT` with ipv6only off),
 * `HOST:PORT` (IPv4 literal or `localhost`/`*`), `[V6]:PORT` or `unix:PATH`,
 * and the options are backlog=N, name=NAME, mode=OCTAL (unix only),
 * ipv6only=on|off (IPv6 only), defer-accept=on|off (TCP only, seconds may be
 * given: defer-accept=5).
 */
struct listen_spec {
	char text[LISTEN_TEXT_MAX];   /* as the operator wrote it */
	char name[LISTEN_NAME_MAX];   /* name= or "listen<index>" */
	bool named;		      /* name= was given */
	struct sockaddr_storage addr; /* AF_INET, AF_INET6 or AF_UNIX */
	socklen_t addrlen;
	int backlog;	    /* default 1024 */
	int mode;	    /* unix socket mode, -1 = umask default */
	int ipv6only;	    /* -1 default, 0 off, 1 on */
	int defer_accept_s; /* 0 = off; LISTEN_DEFER_DEFAULT: not said */
};

/* defer-accept was not given: the master decides (listen_defer_default). */
#define LISTEN_DEFER_DEFAULT (-1)

/*
 * Resolves an unsaid defer-accept: on (1 s) for a TCP listener whose
 * clients speak first — herd's own HTTP workers — and off otherwise (a
 * command may run a protocol where the server speaks first). With it the
 * kernel hands over a connection only once its request has come, so a
 * worker takes it with accept and one read: no wakeup, no epoll_ctl and
 * no epoll_wait of its own (in a Connection: close benchmark, about a
 * quarter less worker CPU per request). A client that connects and stays
 * silent is handed over after the second, and then meets read-timeout.
 */
void listen_defer_default(struct listen_spec *spec, bool client_first);

struct listener {
	struct listen_spec spec;
	int fd;		/* -1 when not open */
	bool inherited; /* adopted, never unlinked by us */
};

/*
 * Parses text into spec; index numbers the default name. Returns 0, or
 * -EINVAL with a one-line reason in err ("port 70000 out of range").
 */
int listen_parse(const char *text, int index, struct listen_spec *spec,
		 char *err, size_t errlen);

/*
 * Binds and listens. EADDRINUSE is retried a few times, 100 ms apart
 * (attempts, for tests: retries). A unix path where a live server answers is
 * refused with -EADDRINUSE and left alone; a stale socket file is unlinked
 * and replaced; a path that is not a socket is refused with -EEXIST.
 * Returns 0 (l->fd set, close-on-exec, blocking) or -errno with err filled.
 */
int listen_bind(struct listener *l, int retries, char *err, size_t errlen);

/*
 * Formats the bound address of fd: "127.0.0.1:8080", "[::1]:8080",
 * "unix:/run/x.sock". Port 0 in a spec shows the port the kernel chose.
 */
int listen_format(int fd, char *buf, size_t len);

/* Closes l->fd; unlinks a unix socket path we created (never inherited). */
void listen_close(struct listener *l);

/*
 * How many sockets the systemd protocol hands this process, at fds 3…,
 * without taking them: 0 when LISTEN_PID or LISTEN_FDS is missing or
 * LISTEN_PID names another process (sd_listen_fds(3): they are not ours),
 * -EINVAL when LISTEN_FDS is not a count. For what runs before
 * listen_inherit (closing strays, defaulting a listener).
 */
int listen_activation_count(void);

/*
 * Sockets handed to this process by the systemd protocol. Reads LISTEN_PID
 * (must equal getpid()), LISTEN_FDS and LISTEN_FDNAMES, marks fds 3… close-
 * on-exec and removes the three variables from the environment (always, even
 * when LISTEN_PID names another process). Returns the count (0 when none) or
 * -errno; *fds and *names are malloc'd arrays owned by the caller (names[i]
 * is "" when no name was passed).
 */
int listen_inherit(int **fds, char ***names);

/*
 * Matches inherited sockets to configured listeners: first by name (when
 * the spec was named and a name was passed), then by address (getsockname
 * equal to the spec's address; for port 0 specs any port of that host).
 * Each listener that matches takes the fd (inherited = true). With no
 * configured listeners (n == 0) nothing matches; the caller may adopt them
 * all. taken[i] is set for every inherited fd that was used.
 */
void listen_match(struct listener *ls, int n, const int *fds,
		  char *const *names, int nfds, bool *taken);

/*
 * Builds a listener from an inherited fd alone (no configuration), with
 * the given name or "listen<index>". Returns 0 or -errno.
 */
int listen_adopt(struct listener *l, int fd, const char *name, int index);

/*
 * The other side of listen_inherit: what a child inherits through the
 * socket-activation protocol, built in this one place for a worker (exec
 * and in-process mode) and for the next master of an upgrade. fds[i] lands
 * at descriptor i: stdio at 0, 1, 2, the listeners at 3… in their order.
 * envp (exec only) is the inherited environment, minus what the heir must
 * not inherit, minus each variable that `add` sets again, plus `add`, plus
 * LISTEN_FDS, LISTEN_FDNAMES (the listeners' names, ':'-separated) and a
 * LISTEN_PID= whose value the child writes: pid_slots[0] points at it.
 * With pid_var ("WATCHDOG_PID"), pid_slots[1] is a second such slot.
 *
 * Never inherited, by either heir: LISTEN_* (our own activation is over),
 * NOTIFY_SOCKET (the parent gives its own or none) and WATCHDOG_*
 * (systemd's watchdog is the master's to keep, and WATCHDOG_PID names a
 * process that is not the child; herd does not ping it, so a next master
 * has no use for it either). A worker also loses every HERD_* (the
 * parent sets HERD_WORKER and the rest again); the next master keeps
 * them (an operator's own HERD_* settings) except HERD_UPGRADE_* and
 * HERD_SYSTEMD_NOTIFY, which the old master sets in `add`.
 */
enum listen_heir {
	LISTEN_HEIR_WORKER,
	LISTEN_HEIR_MASTER,
};

struct listen_handover {
	int *fds;
	int nfds;
	char **envp;	    /* NULL without an environment to build */
	char *pid_slots[2]; /* for struct proc_plan's pid_slots */
};

/*
 * Builds h. env is the environment to inherit from (environ), or NULL for
 * a child that keeps ours without an exec (in-process mode: only fds are
 * built then). Returns 0 or -ENOMEM; h is released on failure.
 */
int listen_handover_build(struct listen_handover *h, enum listen_heir heir,
			  const int stdio[3], const struct listener *ls,
			  int nls, char *const *env, char *const *add, int nadd,
			  const char *pid_var);

/* Frees what listen_handover_build allocated; idempotent. */
void listen_handover_release(struct listen_handover *h);

/* Is var ("NAME=value") one the heir must not inherit? (exposed for tests) */
bool listen_heir_drops(enum listen_heir heir, const char *var);

#endif
