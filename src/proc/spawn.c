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
	[PROC_STAGE_CAPS] = "capabilities",
	[PROC_STAGE_RLIMITS] = "setrlimit",
	[PROC_STAGE_LANDLOCK] = "landlock_restrict_self",
	[PROC_STAGE_SECCOMP] = "seccomp",
};

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
 * Child side: a descriptor of the confine plan (the Landlock ruleset, the
 * socket for the seccomp listener) that sits where fd_place will put a
 * listener moves above the placed range first, or it would be closed.
 */
static int
lift_above(int fd, int nfds, int report)
{
	int moved;

	if (fd < 0 || fd >= nfds)
		return fd;
	moved = fcntl(fd, F_DUPFD_CLOEXEC, nfds);
	if (moved < 0)
		child_fail(report, PROC_STAGE_FDS, errno);
	return moved;
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

/* Child side, between fork and exec: async-signal-safe calls only. */
static void __attribute__((noreturn))
child_run(const struct proc_plan *plan, int report)
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
	sigset_t empty;
	int sig, err;

	/*
	 * Die with the master. The parent may already be gone by the time
	 * PDEATHSIG is armed, so compare with the pid it had before fork.
	 */
	if (!plan->successor && prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		child_fail(report, PROC_STAGE_PDEATHSIG, errno);
	if (!plan->successor && getppid() != plan->parent)
		_exit(127);

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

	landlock_fd = lift_above(landlock_fd, plan->nfds, report);
	seccomp_sock = lift_above(seccomp_sock, plan->nfds, report);
	err = fd_place(plan->fds, plan->nfds, 0);
	if (err < 0)
		child_fail(report, PROC_STAGE_FDS, -err);
	/* Whatever else is open, third-party or not, dies at exec. */
	err = fd_cloexec_from(plan->nfds);
	if (err < 0)
		child_fail(report, PROC_STAGE_FDS, -err);

	if (cp != NULL && (err = confine_caps_before_creds(cp)) < 0)
		child_fail(report, PROC_STAGE_CAPS, -err);
	if (plan->creds != NULL && plan->creds->set) {
		const struct proc_creds *c = plan->creds;

		if (setgroups((size_t)c->ngroups, c->groups) < 0)
			child_fail(report, PROC_STAGE_SETGROUPS, errno);
		if (setgid(c->gid) < 0)
			child_fail(report, PROC_STAGE_SETGID, errno);
		if (setuid(c->uid) < 0)
			child_fail(report, PROC_STAGE_SETUID, errno);
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

int
proc_spawn(const struct proc_plan *plan, struct proc_child *child)
{
	sigset_t all, saved;
	int pipefd[2];
	pid_t pid;
	int err;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &saved);
	pid = fork();
	if (pid == 0) {
		close(pipefd[0]);
		child_run(plan, pipefd[1]);
	}
	err = errno;
	sigprocmask(SIG_SETMASK, &saved, NULL);
	close(pipefd[1]);
	if (pid < 0) {
		close(pipefd[0]);
		return -err;
	}
	fd_set_nonblock(pipefd[0], true);
	child->pid = pid;
	child->report_fd = pipefd[0];
	/* Our own unreaped child: its pid cannot be reused under us. */
	child->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (child->pidfd < 0)
		child->pidfd = -1; /* signals then go by pid; still our child */
	return 0;
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
