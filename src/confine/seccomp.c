/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The seccomp filter: built as classic BPF in the parent, installed by the
 * child as its last step before exec, and the master's side of a denied
 * call (the listener's notifications, the kill, the words for the log).
 * The policy lists live in seccomp_policy.c; confine.h explains the shape
 * of the program and why denied calls go to a listener.
 *
 * Invariant: every syscall number in [0, 2^32) gets exactly one verdict,
 * and a foreign architecture never reaches the number check.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "confine/confine.h"

/* herd has a syscall table for x86_64 only: elsewhere the build refuses
 * every mode but `off` (-EAFNOSUPPORT), rather than guess numbers. */
#if defined(__x86_64__)
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#else
#define NATIVE_ARCH 0
#endif

/* Bit 30 marks the x32 ABI's numbers on x86_64 (__X32_SYSCALL_BIT). */
#define X32_BIT 0x40000000u

/* One more than the largest number herd's table names. */
#define TABLE_END 512

#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

int
confine_syscall_number(const char *name)
{
	for (size_t i = 0; i < confine_syscalls_x86_64_count; i++)
		if (strcmp(confine_syscalls_x86_64[i].name, name) == 0)
			return confine_syscalls_x86_64[i].nr;
	return -ENOENT;
}

const char *
confine_syscall_name(long nr)
{
	size_t lo = 0, hi = confine_syscalls_x86_64_count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (confine_syscalls_x86_64[mid].nr == nr)
			return confine_syscalls_x86_64[mid].name;
		if (confine_syscalls_x86_64[mid].nr < nr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const char *
confine_seccomp_mode_name(enum confine_seccomp_mode mode)
{
	switch (mode) {
	case CONFINE_SECCOMP_OFF:
		return "off";
	case CONFINE_SECCOMP_DEFAULT:
		return "default";
	case CONFINE_SECCOMP_STRICT:
		return "strict";
	}
	return "?";
}

int
confine_seccomp_mode_parse(const char *s, enum confine_seccomp_mode *out)
{
	static const enum confine_seccomp_mode all[] = {CONFINE_SECCOMP_OFF,
							CONFINE_SECCOMP_DEFAULT,
							CONFINE_SECCOMP_STRICT};

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (strcmp(s, confine_seccomp_mode_name(all[i])) == 0) {
			*out = all[i];
			return 0;
		}
	return -EINVAL;
}

enum verdict {
	V_ALLOW,
	V_DENY,
	V_ENOSYS,
};

/* Sets VERDICT for every name of LIST; -ENOENT naming the unknown one. */
static int
mark(uint8_t *verdicts, const char *const *list, enum verdict verdict,
     char *err, size_t errlen)
{
	for (; list != NULL && *list != NULL; list++) {
		int nr = confine_syscall_number(*list);

		if (nr < 0) {
			if (errlen > 0)
				snprintf(err, errlen, "unknown syscall %s",
					 *list);
			return -ENOENT;
		}
		verdicts[nr] = (uint8_t)verdict;
	}
	return 0;
}

/* A run of syscall numbers [lo, next run's lo) with one verdict. */
struct run {
	uint32_t lo;
	enum verdict verdict;
};

struct emit {
	struct sock_filter *insn;
	size_t n;
	uint32_t ret[3]; /* by enum verdict */
};

/*
 * Emits the binary search over runs [a, b): an inner node is
 * "if nr >= runs[mid].lo goto right" with the left half following it, a
 * leaf is the run's return. A subtree of k runs takes 2k - 1 instructions,
 * so the jump over the left half is known before it is emitted.
 */
static int
emit_search(struct emit *e, const struct run *runs, size_t a, size_t b)
{
	size_t mid, left;

	if (b - a == 1) {
		e->insn[e->n++] = (struct sock_filter)BPF_STMT(
			BPF_RET | BPF_K, e->ret[runs[a].verdict]);
		return 0;
	}
	mid = a + (b - a) / 2;
	left = 2 * (mid - a) - 1;
	if (left > 255) /* jt is 8 bits */
		return -E2BIG;
	e->insn[e->n++] = (struct sock_filter)BPF_JUMP(
		BPF_JMP | BPF_JGE | BPF_K, runs[mid].lo, (uint8_t)left, 0);
	if (emit_search(e, runs, a, mid) < 0)
		return -E2BIG;
	return emit_search(e, runs, mid, b);
}

int
confine_seccomp_build(enum confine_seccomp_mode mode, const char *const *allow,
		      const char *const *deny,
		      enum confine_seccomp_deny on_deny,
		      struct sock_fprog *prog, char *err, size_t errlen)
{
	uint8_t verdicts[TABLE_END + 1]; /* the last: all numbers above */
	struct run runs[TABLE_END + 2];
	size_t nruns = 0;
	struct emit e;
	enum verdict base;
	int rc;

	prog->len = 0;
	prog->filter = NULL;
	if (errlen > 0)
		err[0] = '\0';
	switch (mode) {
	case CONFINE_SECCOMP_OFF:
		/* Still validate the lists: -t must refuse a typo. */
		base = V_ALLOW;
		break;
	case CONFINE_SECCOMP_DEFAULT:
		base = V_ALLOW;
		break;
	case CONFINE_SECCOMP_STRICT:
		base = V_DENY;
		break;
	default:
		return -EINVAL;
	}
	memset(verdicts, base, sizeof(verdicts));
	if (mode == CONFINE_SECCOMP_DEFAULT)
		rc = mark(verdicts, confine_seccomp_default_deny, V_DENY, err,
			  errlen);
	else if ((rc = mark(verdicts, confine_seccomp_strict_allow, V_ALLOW,
			    err, errlen)) == 0)
		rc = mark(verdicts, confine_seccomp_strict_enosys, V_ENOSYS,
			  err, errlen);
	if (rc < 0)
		return rc;
	if ((rc = mark(verdicts, allow, V_ALLOW, err, errlen)) < 0 ||
	    (rc = mark(verdicts, deny, V_DENY, err, errlen)) < 0)
		return rc;
	if (mode == CONFINE_SECCOMP_OFF)
		return 0;
	if (NATIVE_ARCH == 0) {
		if (errlen > 0)
			snprintf(err, errlen,
				 "seccomp filters need x86_64 here");
		return -EAFNOSUPPORT;
	}

	/* Runs of equal verdicts, then x32's numbers, always denied. */
	for (uint32_t nr = 0; nr <= TABLE_END; nr++)
		if (nruns == 0 || runs[nruns - 1].verdict != verdicts[nr])
			runs[nruns++] = (struct run){nr, verdicts[nr]};
	if (runs[nruns - 1].verdict != V_DENY)
		runs[nruns++] = (struct run){X32_BIT, V_DENY};

	e.ret[V_ALLOW] = SECCOMP_RET_ALLOW;
	e.ret[V_DENY] = on_deny == CONFINE_SECCOMP_DENY_NOTIFY
				? SECCOMP_RET_USER_NOTIF
				: SECCOMP_RET_KILL_PROCESS;
	e.ret[V_ENOSYS] = SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA);
	e.n = 0;
	e.insn = calloc(4 + 2 * nruns, sizeof(*e.insn));
	if (e.insn == NULL)
		return -ENOMEM;
	/* The architecture first: the same number means another call in
	 * another ABI. */
	e.insn[e.n++] = (struct sock_filter)BPF_STMT(
		BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
	e.insn[e.n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
						     NATIVE_ARCH, 1, 0);
	e.insn[e.n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
						     SECCOMP_RET_KILL_PROCESS);
	e.insn[e.n++] = (struct sock_filter)BPF_STMT(
		BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
	if (emit_search(&e, runs, 0, nruns) < 0 || e.n > BPF_MAXINSNS) {
		free(e.insn);
		if (errlen > 0)
			snprintf(err, errlen, "seccomp filter too large");
		return -E2BIG;
	}
	prog->filter = e.insn;
	prog->len = (unsigned short)e.n;
	return 0;
}

void
confine_seccomp_free(struct sock_fprog *prog)
{
	free(prog->filter);
	prog->filter = NULL;
	prog->len = 0;
}

int
confine_seccomp_install(const struct sock_fprog *prog, bool listener)
{
	unsigned long flags = 0;
	long rc;

	if (prog->len == 0)
		return 0;
	if (listener)
		flags = SECCOMP_FILTER_FLAG_NEW_LISTENER |
			SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
	rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, prog);
	/* WAIT_KILLABLE_RECV (Linux 5.19) keeps a received call parked
	 * through non-fatal signals (Go's SIGURG preemption would otherwise
	 * withdraw and repeat it); older kernels refuse the flag. */
	if (rc < 0 && errno == EINVAL && listener)
		rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
			     (unsigned long)SECCOMP_FILTER_FLAG_NEW_LISTENER,
			     prog);
	if (rc < 0)
		return -errno;
	return (int)rc;
}

int
confine_seccomp_send_listener(int sock, int fd)
{
	char byte = 'L';
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf)};
	struct cmsghdr *c;
	ssize_t n;

	memset(&u, 0, sizeof(u));
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	do
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : 0;
}

int
confine_seccomp_recv_listener(int sock)
{
	char byte;
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf)};
	struct cmsghdr *c;
	ssize_t n;
	int fd;

	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	c = CMSG_FIRSTHDR(&msg);
	if (n == 0 || c == NULL || c->cmsg_level != SOL_SOCKET ||
	    c->cmsg_type != SCM_RIGHTS || c->cmsg_len != CMSG_LEN(sizeof(int)))
		return -EPROTO;
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	if ((msg.msg_flags & MSG_CTRUNC) != 0) {
		close(fd);
		return -EPROTO;
	}
	return fd;
}

int
confine_seccomp_read_event(int listener, struct confine_seccomp_event *ev)
{
	/* The kernel's struct may grow: ask its size (seccomp_unotify(2)). */
	struct seccomp_notif_sizes sizes;
	union {
		struct seccomp_notif n;
		char buf[512];
	} u;

	if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) < 0)
		return -errno;
	if (sizes.seccomp_notif > sizeof(u))
		return -EOVERFLOW;
	for (;;) {
		memset(&u, 0, sizeof(u)); /* the kernel wants it zeroed */
		if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &u.n) == 0)
			break;
		if (errno != EINTR)
			return -errno;
	}
	ev->id = u.n.id;
	ev->pid = (pid_t)u.n.pid;
	ev->arch = u.n.data.arch;
	ev->nr = u.n.data.nr;
	return 0;
}

int
confine_seccomp_kill(int listener, const struct confine_seccomp_event *ev)
{
	uint64_t id = ev->id;
	int pidfd, rc = 0;

	/* A pidfd pins the process, then ID_VALID proves the call (hence
	 * the thread) is still the one that was denied. A thread that is
	 * not its group's leader has no pidfd before Linux 6.9; it cannot
	 * go away meanwhile (it is parked in the call), so kill() it. */
	pidfd = (int)syscall(SYS_pidfd_open, ev->pid, 0);
	if (pidfd < 0 && errno != EINVAL)
		return errno == ESRCH ? -ENOENT : -errno;
	if (ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) < 0)
		rc = -errno;
	else if (pidfd >= 0)
		rc = syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0) < 0
			     ? -errno
			     : 0;
	else
		rc = kill(ev->pid, SIGKILL) < 0 ? -errno : 0;
	if (pidfd >= 0)
		close(pidfd);
	return rc == -ESRCH ? -ENOENT : rc;
}

int
confine_seccomp_describe(const struct confine_seccomp_event *ev, char *buf,
			 size_t len)
{
	const char *name;

	if (ev->arch != NATIVE_ARCH)
		return snprintf(buf, len, "syscall %d of architecture 0x%08x",
				ev->nr, ev->arch);
	if (((uint32_t)ev->nr & X32_BIT) != 0)
		return snprintf(buf, len, "syscall %d of the x32 ABI",
				(int)((uint32_t)ev->nr & ~X32_BIT));
	name = confine_syscall_name(ev->nr);
	if (name == NULL)
		return snprintf(buf, len, "syscall %d", ev->nr);
	return snprintf(buf, len, "syscall %s (%d)", name, ev->nr);
}

int
confine_seccomp_describe_exit(const siginfo_t *si,
			      const struct confine_seccomp_event *ev, char *buf,
			      size_t len)
{
	char what[96];

	if (si->si_code != CLD_KILLED && si->si_code != CLD_DUMPED)
		return 0;
	if (ev != NULL) {
		confine_seccomp_describe(ev, what, sizeof(what));
		snprintf(buf, len, "killed by seccomp: %s", what);
		return 1;
	}
	if (si->si_status != SIGSYS)
		return 0;
	snprintf(buf, len,
		 "killed by seccomp (SIGSYS); the kernel did not say which "
		 "syscall");
	return 1;
}
