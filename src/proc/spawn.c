/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Spawning a child the libuv way: the parent prepares everything, the child
 * makes only async-signal-safe system calls, and an exec failure comes back
 * over a close-on-exec pipe so the parent can log "exec ./app: No such file
 * or directory" instead of guessing from an exit status.
 *
 * The pipe is read asynchronously by the caller (the master never blocks
 * on a child): EOF means exec succeeded, a struct proc_report means it did
 * not.
 */
#include "proc/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "fd/fd.h"

static const char *const stage_names[] = {
	[PROC_STAGE_PDEATHSIG] = "prctl(PR_SET_PDEATHSIG)",
	[PROC_STAGE_SIGNALS] = "reset signals",
	[PROC_STAGE_FDS] = "place descriptors",
	[PROC_STAGE_SETGROUPS] = "setgroups",
	[PROC_STAGE_SETGID] = "setgid",
	[PROC_STAGE_SETUID] = "setuid",
	[PROC_STAGE_CREDS_CHECK] = "credentials check",
	[PROC_STAGE_NO_NEW_PRIVS] = "prctl(PR_SET_NO_NEW_PRIVS)",
	[PROC_STAGE_CHDIR] = "chdir",
	[PROC_STAGE_EXEC] = "exec",
	[PROC_STAGE_UID_MAP] = "uid_map",
	[PROC_STAGE_SETGROUPS_DENY] = "setgroups deny",
	[PROC_STAGE_GID_MAP] = "gid_map",
	[PROC_STAGE_MOUNT_PRIVATE] = "make mounts private",
	[PROC_STAGE_ROOTFS] = "bind rootfs",
	[PROC_STAGE_MOUNT_PROC] = "mount /proc",
	[PROC_STAGE_MOUNT_TMP] = "mount /tmp",
	[PROC_STAGE_MOUNT_DEV] = "mount /dev",
	[PROC_STAGE_BIND] = "bind",
	[PROC_STAGE_BIND_RO] = "bind read-only",
	[PROC_STAGE_PIVOT_ROOT] = "pivot_root",
	[PROC_STAGE_HOSTNAME] = "sethostname",
	[PROC_STAGE_CAPS] = "capabilities",
	[PROC_STAGE_RLIMITS] = "setrlimit",
	[PROC_STAGE_SCHED] = "scheduling (cpu-scheduling-policy, nice)",
	[PROC_STAGE_LANDLOCK] = "landlock_restrict_self",
	[PROC_STAGE_SECCOMP] = "seccomp",
};

_Static_assert(PROC_STAGE_HOSTNAME - PROC_STAGE_MOUNT_PRIVATE ==
		       ISOLATE_STAGE_HOSTNAME - ISOLATE_STAGE_MOUNT_PRIVATE,
	       "proc's isolation stages follow enum isolate_stage");

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

/* clone3's argument, as the kernel defines it (linux/sched.h, v2). */
struct clone3_args {
	uint64_t flags;
	uint64_t pidfd;
	uint64_t child_tid;
	uint64_t parent_tid;
	uint64_t exit_signal;
	uint64_t stack;
	uint64_t stack_size;
	uint64_t tls;
	uint64_t set_tid;
	uint64_t set_tid_size;
	uint64_t cgroup;
};

/* Whether plan asks for anything only clone3 can give. */
static bool
isolated(const struct proc_plan *plan)
{
	return plan->isolate != NULL &&
	       (plan->isolate->ns != 0 || plan->isolate->in_cgroup);
}

const char *
proc_stage_name(enum proc_stage stage)
{
	if ((unsigned)stage >= sizeof(stage_names) / sizeof(stage_names[0]))
		return "unknown step";
	return stage_names[stage];
}

/* Child side: report the failed step and errno, then exit. Never returns. */
static void __attribute__((noreturn))
child_fail(int report, enum proc_stage stage, int err)
{
	struct proc_report r = {.stage = (int32_t)stage, .err = err};
	ssize_t n;

	do
		n = write(report, &r, sizeof(r));
	while (n < 0 && errno == EINTR);
	_exit(127);
}

/* Child side: writes pid in decimal at p (NUL-terminated). */
static void
write_pid(char *p, pid_t pid)
{
	char digits[16];
	int n = 0;

	do {
		digits[n++] = (char)('0' + pid % 10);
		pid /= 10;
	} while (pid > 0);
	while (n > 0)
		*p++ = digits[--n];
	*p = '\0';
}

static int
check_creds(const struct proc_creds *c)
{
	if (getuid() != c->uid || geteuid() != c->uid)
		return EPERM;
	if (getgid() != c->gid || getegid() != c->gid)
		return EPERM;
	/* A dropped root must not be able to take root back. */
	if (c->uid != 0 && setuid(0) == 0)
		return EPERM;
	return 0;
}

/*
 * Whether the parent is gone, after PDEATHSIG was armed. getppid() is 0
 * inside a pid namespace (the parent is outside it): there the parent's
 * pidfd, opened before clone, says it (readable once it exited).
 */
static bool
parent_gone(const struct proc_plan *plan, int parent_pidfd)
{
	struct pollfd p = {.fd = parent_pidfd, .events = POLLIN};

	if (parent_pidfd >= 0)
		return poll(&p, 1, 0) != 0;
	return getppid() != plan->parent;
}

/* Moves fd above the range fd_place writes, so no placement clobbers it. */
static int
lift(int fd, int nfds)
{
	int moved;

	if (fd < 0 || fd >= nfds)
		return fd;
	moved = fcntl(fd, F_DUPFD_CLOEXEC, nfds);
	return moved < 0 ? fd : moved;
}

/*
 * Child side, the last steps before exec: Landlock, then the seccomp filter
 * (its listener goes to the master, and is closed here).
 */
static void
confine_last(const struct confine_plan *cp, int landlock_fd, int sock,
	     int report)
{
	struct confine_plan mine;
	int err, listener;

	if (cp == NULL)
		return;
	mine = *cp;
	mine.landlock_fd = landlock_fd;
	err = confine_landlock_apply(&mine);
	if (err < 0)
		child_fail(report, PROC_STAGE_LANDLOCK, -err);
	if (cp->seccomp == NULL || cp->seccomp->len == 0)
		return;
	listener = confine_seccomp_install(cp->seccomp, sock >= 0);
	if (listener < 0)
		child_fail(report, PROC_STAGE_SECCOMP, -listener);
	if (listener > 0) {
		err = confine_seccomp_send_listener(sock, listener);
		close(listener);
		if (err < 0)
			child_fail(report, PROC_STAGE_SECCOMP, -err);
	}
}

static void
child_creds(const struct proc_plan *plan, int report)
{
	const struct proc_creds *c = plan->creds;
	const struct isolate_plan *iso = plan->isolate;

	if (iso != NULL && (iso->ns & CLONE_NEWUSER)) {
		/*
		 * Ids inside the user namespace. Supplementary groups are
		 * dropped where the kernel lets us (an unprivileged master
		 * had setgroups denied): the user's groups are rarely
		 * mapped, and setgroups would then fail with EINVAL.
		 */
		if (!iso->deny_setgroups && setgroups(0, NULL) < 0)
			child_fail(report, PROC_STAGE_SETGROUPS, errno);
	} else if (setgroups((size_t)c->ngroups, c->groups) < 0) {
		child_fail(report, PROC_STAGE_SETGROUPS, errno);
	}
	if (setgid(c->gid) < 0)
		child_fail(report, PROC_STAGE_SETGID, errno);
	if (setuid(c->uid) < 0)
		child_fail(report, PROC_STAGE_SETUID, errno);
}

/*
 * Child side, between fork (or clone3) and exec: async-signal-safe calls
 * only. go is the handshake's read end (-1 without isolation), parent_pidfd
 * the parent's pidfd when getppid() cannot tell (a pid namespace).
 */
static void __attribute__((noreturn))
child_run(const struct proc_plan *plan, int report, int go, int parent_pidfd)
{
	const struct confine_plan *cp = plan->confine;
	int landlock_fd = cp ? cp->landlock_fd : -1;
	int seccomp_sock = cp ? cp->seccomp_sock : -1;
	/* The kernel's struct sigaction: handler 0 is SIG_DFL. */
	struct {
		void *handler;
		unsigned long flags;
		void *restorer;
		uint64_t mask;
	} dfl;
	const struct isolate_plan *iso = plan->isolate;
	sigset_t empty;
	int sig, err;
	char byte;
	ssize_t n;

	/*
	 * Die with the master. The parent may already be gone by the time
	 * PDEATHSIG is armed: with isolation the handshake tells (EOF
	 * instead of go), without it compare with the pid it had before
	 * fork.
	 */
	if (!plan->successor && prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		child_fail(report, PROC_STAGE_PDEATHSIG, errno);
	if (go >= 0) {
		/* Wait until the parent wrote our maps and says go. */
		do
			n = read(go, &byte, 1);
		while (n < 0 && errno == EINTR);
		if (n != 1)
			_exit(127); /* the parent reported why, or died */
		close(go);
	} else if (!plan->successor && getppid() != plan->parent) {
		_exit(127);
	}

	/*
	 * Every handled or ignored disposition back to default (SIGPIPE most
	 * of all: the master ignores it, a server must not inherit that).
	 * The raw system call, because glibc's sigaction() refuses the two
	 * real-time signals it reserves (32, 33), and a parent such as make
	 * may have left those ignored.
	 */
	memset(&dfl, 0, sizeof(dfl));
	for (sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			syscall(SYS_rt_sigaction, sig, &dfl, NULL, 8);

	/* A group of its own: a ^C at the terminal is the master's to act on.
	 */
	if (!plan->successor)
		setpgid(0, 0);

	/*
	 * The report pipe, the parent's pidfd and the confine plan's
	 * descriptors (the Landlock ruleset, the seccomp listener's socket)
	 * must outlive the placement (a dup2 onto their numbers would
	 * silently replace them).
	 */
	report = lift(report, plan->nfds);
	parent_pidfd = lift(parent_pidfd, plan->nfds);
	landlock_fd = lift(landlock_fd, plan->nfds);
	seccomp_sock = lift(seccomp_sock, plan->nfds);
	err = fd_place(plan->fds, plan->nfds, 0);
	if (err < 0)
		child_fail(report, PROC_STAGE_FDS, -err);
	/* Whatever else is open, third-party or not, dies at exec. */
	err = fd_cloexec_from(plan->nfds);
	if (err < 0)
		child_fail(report, PROC_STAGE_FDS, -err);

	/*
	 * Mounts and hostname while we still hold the capabilities (in our
	 * user namespace, or the master's root) that the credentials below
	 * give up. Descriptors are numbers: the new root leaves them be.
	 */
	if (iso != NULL) {
		enum isolate_stage stage = ISOLATE_STAGE_MOUNT_PRIVATE;

		err = isolate_child_rootfs(iso, &stage);
		if (err < 0)
			child_fail(report,
				   (enum proc_stage)(PROC_STAGE_MOUNT_PRIVATE +
						     (int)stage),
				   -err);
		err = isolate_child_hostname(iso);
		if (err < 0)
			child_fail(report, PROC_STAGE_HOSTNAME, -err);
	}

	/* While a root master's child may still raise its priority. */
	if (cp != NULL && (err = confine_sched_apply(cp)) < 0)
		child_fail(report, PROC_STAGE_SCHED, -err);
	if (cp != NULL && (err = confine_caps_before_creds(cp)) < 0)
		child_fail(report, PROC_STAGE_CAPS, -err);
	if (plan->creds != NULL && plan->creds->set)
		child_creds(plan, report);
	/*
	 * A change of credentials clears PDEATHSIG: arm it again, and check
	 * the parent did not die in between.
	 */
	if (!plan->successor) {
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
			child_fail(report, PROC_STAGE_PDEATHSIG, errno);
		if (parent_gone(plan, parent_pidfd))
			_exit(127);
	}
	/*
	 * Narrowed before the check: with SECBIT_NO_SETUID_FIXUP a worker
	 * keeps every capability across setuid until this.
	 */
	if (cp != NULL && (err = confine_caps_after_creds(cp)) < 0)
		child_fail(report, PROC_STAGE_CAPS, -err);
	if (plan->creds != NULL && plan->creds->set &&
	    (err = check_creds(plan->creds)) != 0)
		child_fail(report, PROC_STAGE_CREDS_CHECK, err);
	if (cp != NULL && (err = confine_rlimits_apply(cp)) < 0)
		child_fail(report, PROC_STAGE_RLIMITS, -err);
	if (plan->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		child_fail(report, PROC_STAGE_NO_NEW_PRIVS, errno);
	if (plan->cwd != NULL && chdir(plan->cwd) < 0)
		child_fail(report, PROC_STAGE_CHDIR, errno);
	/* Our pid as we see it: 1 in a pid namespace of our own. */
	for (sig = 0; sig < 2; sig++)
		if (plan->pid_slots[sig] != NULL)
			write_pid(plan->pid_slots[sig], getpid());
	/* Last of all, the filter: every call above was still free. */
	confine_last(cp, landlock_fd, seccomp_sock, report);

	/* Last: the mask was blocked across fork; clear it for the program. */
	sigemptyset(&empty);
	if (plan->path == NULL && plan->run != NULL) {
		/*
		 * No exec will close what CLOEXEC marked: close it all now,
		 * the report pipe with it (EOF: "running"). From here on the
		 * child is a worker and may call what it likes. The mask
		 * stays full: run() unblocks what it does not take through
		 * a signalfd, so that a signal sent at once (USR1 to every
		 * worker) cannot meet a default action first.
		 */
		fd_close_from(plan->nfds);
		_exit(plan->run(plan->run_arg));
	}
	sigprocmask(SIG_SETMASK, &empty, NULL);
	execve(plan->path, plan->argv, plan->envp);
	child_fail(report, PROC_STAGE_EXEC, errno);
}

/*
 * Parent side of the handshake: writes the maps, then says go. A refused
 * map goes into the report pipe as the failed step; the child then reads
 * EOF instead of go and exits.
 */
static void
release(const struct proc_plan *plan, pid_t pid, int go, int report)
{
	const struct isolate_plan *iso = plan->isolate;
	enum isolate_map_step step;
	ssize_t n;
	int err;

	if (iso->ns & CLONE_NEWUSER) {
		err = isolate_maps_write(pid, &iso->maps, iso->deny_setgroups,
					 &step);
		if (err < 0) {
			struct proc_report r = {
				.stage = step == ISOLATE_MAP_UID
						 ? PROC_STAGE_UID_MAP
					 : step == ISOLATE_MAP_SETGROUPS
						 ? PROC_STAGE_SETGROUPS_DENY
						 : PROC_STAGE_GID_MAP,
				.err = -err};

			do
				n = write(report, &r, sizeof(r));
			while (n < 0 && errno == EINTR);
			return;
		}
	}
	do
		n = write(go, "g", 1);
	while (n < 0 && errno == EINTR);
}

static pid_t
clone_isolated(const struct isolate_plan *iso, int *pidfd)
{
	struct clone3_args a;

	memset(&a, 0, sizeof(a));
	a.flags = iso->ns | CLONE_PIDFD;
	a.pidfd = (uint64_t)(uintptr_t)pidfd;
	a.exit_signal = SIGCHLD;
	if (iso->in_cgroup) {
		a.flags |= CLONE_INTO_CGROUP;
		a.cgroup = (uint64_t)iso->cgroup_fd;
	}
	return (pid_t)syscall(SYS_clone3, &a, sizeof(a));
}

/*
 * Without isolation a plain fork: the path every supervision test covers,
 * and the one ASan's fork interceptor (its allocator locks) knows. With
 * isolation, clone3: namespaces, cgroup and pidfd at creation. The raw
 * system call skips glibc's and ASan's fork handlers; that is sound here
 * because the master is single-threaded (no other thread can hold a malloc
 * or sanitizer lock at the clone) and the child until exec makes only raw
 * calls. An in-process child keeps glibc's cached thread id of the
 * master: it must not use PI or robust mutexes (herd's worker uses none).
 * Measured on a 2-core VM, spawn to exec of /bin/true: fork 0.6-0.9 ms,
 * clone3 with one namespace the same, user,pid,mount,net,uts,ipc with a
 * rootfs of four binds about 2.9 ms.
 */
int
proc_spawn(const struct proc_plan *plan, struct proc_child *child)
{
	sigset_t all, saved;
	int pipefd[2], go[2] = {-1, -1};
	int pidfd = -1, parent_pidfd = -1;
	bool iso = isolated(plan);
	pid_t pid;
	int err;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	if (iso && pipe2(go, O_CLOEXEC) < 0) {
		err = -errno;
		goto fail_pipe;
	}
	if (iso && (plan->isolate->ns & CLONE_NEWPID) && !plan->successor) {
		parent_pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
		if (parent_pidfd < 0) {
			err = -errno;
			goto fail_go;
		}
	}
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &saved);
	pid = iso ? clone_isolated(plan->isolate, &pidfd) : fork();
	if (pid == 0) {
		close(pipefd[0]);
		if (iso)
			close(go[1]);
		child_run(plan, pipefd[1], go[0], parent_pidfd);
	}
	err = -errno;
	sigprocmask(SIG_SETMASK, &saved, NULL);
	parent_pidfd = fd_close(parent_pidfd);
	go[0] = fd_close(go[0]);
	if (pid < 0)
		goto fail_go;
	if (iso)
		release(plan, pid, go[1], pipefd[1]);
	go[1] = fd_close(go[1]);
	close(pipefd[1]);
	fd_set_nonblock(pipefd[0], true);
	child->pid = pid;
	child->report_fd = pipefd[0];
	/* Our own unreaped child: its pid cannot be reused under us. */
	child->pidfd = iso ? pidfd : (int)syscall(SYS_pidfd_open, pid, 0);
	if (child->pidfd < 0)
		child->pidfd = -1; /* signals then go by pid; still our child */
	return 0;

fail_go:
	fd_close(go[0]);
	fd_close(go[1]);
fail_pipe:
	close(pipefd[0]);
	close(pipefd[1]);
	return err;
}

int
proc_read_report(int fd, struct proc_report *r)
{
	ssize_t n;

	do
		n = read(fd, r, sizeof(*r));
	while (n < 0 && errno == EINTR);
	if (n == 0)
		return 1;
	if (n < 0)
		return -errno;
	if (n != sizeof(*r))
		return -EPROTO;
	return 0;
}

char *
proc_find_program(const char *name)
{
	const char *path = getenv("PATH");
	const char *p, *end;
	char *buf;

	if (strchr(name, '/') != NULL || path == NULL)
		return strdup(name);
	for (p = path; *p != '\0'; p = *end ? end + 1 : end) {
		size_t dirlen;

		end = strchrnul(p, ':');
		dirlen = (size_t)(end - p);
		if (asprintf(&buf, "%.*s%s%s", (int)dirlen, p,
			     dirlen > 0 ? "/" : "", name) < 0)
			return NULL;
		if (access(buf, X_OK) == 0)
			return buf;
		free(buf);
	}
	return strdup(name);
}

int64_t
proc_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
