/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * notify — the sd_notify protocol in both directions.
 *
 * From workers: the master owns a unix datagram socket (close-on-exec,
 * SO_PASSCRED) whose address it gives workers as NOTIFY_SOCKET; each
 * datagram arrives with the sender's pid as the kernel saw it, so a worker
 * is identified by the kernel, never by what it claims. To systemd: when
 * herd itself runs with NOTIFY_SOCKET, it reports READY=1, RELOADING=1,
 * STOPPING=1, STATUS= and MAINPID= the same way.
 *
 * Nothing here logs.
 */
#ifndef HERD_NOTIFY_H
#define HERD_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define NOTIFY_ADDR_MAX 108
#define NOTIFY_STATUS_MAX 256

/* One datagram, parsed. Unknown assignments are ignored, as systemd does. */
struct notify_msg {
	pid_t pid; /* from SCM_CREDENTIALS */
	uid_t uid;
	bool ready;	       /* READY=1 */
	bool reloading;	       /* RELOADING=1 */
	bool stopping;	       /* STOPPING=1 */
	bool watchdog;	       /* WATCHDOG=1 */
	bool watchdog_trigger; /* WATCHDOG=trigger */
	bool has_status;
	char status[NOTIFY_STATUS_MAX]; /* STATUS=… */
	pid_t mainpid;			/* MAINPID=, 0 when absent */
	int errno_value;		/* ERRNO=, 0 when absent */
	/* HERD_RETIRE=why: herd's own extension, a worker asking to be
	 * replaced (its successor is started first). */
	bool retire;
	char retire_reason[NOTIFY_STATUS_MAX];
	/* HERD_VERSION=, HERD_EXE=: a new master of a binary upgrade tells
	 * the old one what it is (empty when absent). */
	char herd_version[64];
	char herd_exe[NOTIFY_STATUS_MAX];
};

/*
 * Creates the receiving socket at an abstract address unique to this
 * process; writes the NOTIFY_SOCKET value ("@herd-notify-…") to addr.
 * Returns the fd (close-on-exec, non-blocking) or -errno.
 */
int notify_open(char *addr, size_t len);

/*
 * The same at a filesystem path (which must not exist yet), the socket file
 * given mode: reachable from another network namespace, where an abstract
 * address is not. Returns the fd (close-on-exec, non-blocking) or -errno.
 */
int notify_open_path(const char *path, mode_t mode);

/*
 * Receives one datagram: 1 with *msg filled, 0 when none is waiting,
 * -errno on error. Datagrams without credentials are dropped (0 is
 * returned after them only when nothing else waits); descriptors passed
 * along (FDSTORE) are closed.
 */
int notify_recv(int fd, struct notify_msg *msg);

/* Parses the text of a datagram. Returns 0 or -EINVAL (not text). */
int notify_parse(const char *buf, size_t len, struct notify_msg *msg);

/*
 * Sends text to the NOTIFY_SOCKET address addr ("/path" or "@abstract").
 * Returns 0 or -errno. A NULL addr is a successful no-op.
 */
int notify_send(const char *addr, const char *text);

#endif
