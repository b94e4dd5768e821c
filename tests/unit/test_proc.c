/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests for src/proc: spawning (exec report, descriptor plan, stray
 * descriptors, LISTEN_PID written by the child, signal mask and
 * dispositions reset), wait statuses in words, the pid file's locking,
 * program lookup and credential resolution. Real processes throughout.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/rseq.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "fd/fd.h"
#include "proc/proc.h"

/* Waits for the report pipe: 1 exec ok, 0 report, <0 error. */
static int
wait_report(int fd, struct proc_report *r)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	int rc;

	do {
		poll(&p, 1, 5000);
		rc = proc_read_report(fd, r);
	} while (rc == -EAGAIN);
	return rc;
}

static int
reap(struct proc_child *c)
{
	int status;

	waitpid(c->pid, &status, 0);
	c->pidfd = fd_close(c->pidfd);
	c->report_fd = fd_close(c->report_fd);
	return status;
}

static void
read_all(int fd, char *buf, size_t len)
{
	size_t off = 0;
	ssize_t n;

	while (off < len - 1 && (n = read(fd, buf + off, len - 1 - off)) > 0)
		off += (size_t)n;
	buf[off] = '\0';
}

static void
test_spawn_missing(void)
{
	char *argv[] = {"./no-such-program", NULL};
	char *envp[] = {NULL};
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	int fds[3] = {null, null, null};
	struct proc_plan plan = {.path = argv[0],
				 .argv = argv,
				 .envp = envp,
				 .fds = fds,
				 .nfds = 3,
				 .parent = getpid()};
	struct proc_child c;
	struct proc_report r;
	int status;

	CHECK_INT(proc_spawn(&plan, &c), 0);
	CHECK(c.pidfd >= 0);
	CHECK_INT(wait_report(c.report_fd, &r), 0);
	CHECK_INT(r.stage, PROC_STAGE_EXEC);
	CHECK_INT(r.err, ENOENT);
	CHECK_STR(proc_stage_name(r.stage), "exec");
	status = reap(&c);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 127);
	close(null);
}

/* Reads /proc/PID/NAME into buf (NULs turned into newlines). */
static void
read_proc(pid_t pid, const char *name, char *buf, size_t len)
{
	char path[64];
	size_t i;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	read_all(fd, buf, len);
	for (i = 0; i < len - 1 && (buf[i] != '\0' || buf[i + 1] != '\0'); i++)
		if (buf[i] == '\0')
			buf[i] = '\n';
	close(fd);
}

/* Waits up to 5 s for pid to sit in nanosleep or clock_nanosleep: by the
 * system call number (x86-64: 35, 230) or, elsewhere, by its wchan. */
static bool
wait_asleep(pid_t pid)
{
	char buf[256];
	long nr;
	int i;

	for (i = 0; i < 5000; i++) {
		read_proc(pid, "syscall", buf, sizeof(buf));
		nr = strtol(buf, NULL, 10);
		if (nr == 35 || nr == 230)
			return true;
		read_proc(pid, "wchan", buf, sizeof(buf));
		if (strstr(buf, "nanosleep") != NULL)
			return true;
		usleep(1000);
	}
	return false;
}

static void
test_spawn_plan(void)
{
	char listen_pid[] = "LISTEN_PID=\0..............";
	char *argv[] = {"/bin/sleep", "30", NULL};
	char *envp[] = {listen_pid, "A=1", NULL};
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	int stray = open("/dev/null", O_RDONLY); /* a careless library's */
	int out[2], fds[4];
	struct proc_plan plan = {.path = argv[0],
				 .argv = argv,
				 .envp = envp,
				 .pid_slots = {listen_pid + 11},
				 .fds = fds,
				 .nfds = 4,
				 .parent = getpid()};
	struct proc_child c;
	struct proc_report r;
	char buf[4096], want[64], path[64];
	sigset_t block;
	int n;

	CHECK(pipe2(out, O_CLOEXEC) == 0);
	fds[0] = null;
	fds[1] = out[1];
	fds[2] = out[1];
	fds[3] = null; /* stands for a listener at fd 3 */
	/* The parent blocks and ignores things; the child must not inherit. */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, NULL);
	signal(SIGPIPE, SIG_IGN);

	CHECK_INT(proc_spawn(&plan, &c), 0);
	close(out[1]);
	/* After exec (the report pipe's EOF), sleep does nothing: stable. */
	CHECK_INT(wait_report(c.report_fd, &r), 1);
	/*
	 * The report's EOF comes at exec; the dynamic loader then still
	 * holds the libraries it maps open for a moment. What counts is the
	 * state sleep runs in: wait until it sits in its nanosleep.
	 */
	CHECK(wait_asleep(c.pid));
	read_proc(c.pid, "status", buf, sizeof(buf));
	CHECK(strstr(buf, "SigBlk:\t0000000000000000") != NULL);
	CHECK(strstr(buf, "SigIgn:\t0000000000000000") != NULL);
	read_proc(c.pid, "environ", buf, sizeof(buf));
	snprintf(want, sizeof(want), "LISTEN_PID=%d\n", (int)c.pid);
	CHECK(strstr(buf, want) != NULL);
	/* Exactly 0 1 2 3: the stray descriptor did not cross exec. */
	for (n = 0; n < 64; n++) {
		snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)c.pid, n);
		CHECK(access(path, F_OK) == (n < 4 ? 0 : -1));
	}
	kill(c.pid, SIGKILL);
	reap(&c);

	sigprocmask(SIG_UNBLOCK, &block, NULL);
	signal(SIGPIPE, SIG_DFL);
	close(out[0]);
	close(null);
	close(stray);
}

static void
test_spawn_chdir_fails(void)
{
	char *argv[] = {"/bin/true", NULL};
	char *envp[] = {NULL};
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	int fds[3] = {null, null, null};
	struct proc_plan plan = {.path = argv[0],
				 .argv = argv,
				 .envp = envp,
				 .fds = fds,
				 .nfds = 3,
				 .cwd = "/nonexistent",
				 .parent = getpid()};
	struct proc_child c;
	struct proc_report r;

	CHECK_INT(proc_spawn(&plan, &c), 0);
	CHECK_INT(wait_report(c.report_fd, &r), 0);
	CHECK_INT(r.stage, PROC_STAGE_CHDIR);
	CHECK_INT(r.err, ENOENT);
	reap(&c);
	close(null);
}

static void
describe(int code, int status, const char *want)
{
	siginfo_t si;
	char buf[96];

	memset(&si, 0, sizeof(si));
	si.si_code = code;
	si.si_status = status;
	proc_describe_status(&si, buf, sizeof(buf));
	CHECK_STR(buf, want);
}

static void
test_describe(void)
{
	siginfo_t si;
	char buf[96];
	pid_t pid;

	describe(CLD_EXITED, 0, "exited with status 0");
	describe(CLD_EXITED, 3, "exited with status 3");
	describe(CLD_KILLED, SIGKILL, "killed by signal KILL");
	describe(CLD_DUMPED, SIGSEGV, "killed by signal SEGV (core dumped)");
	describe(CLD_STOPPED, SIGSTOP, "stopped by signal STOP");
	describe(CLD_CONTINUED, SIGCONT, "continued");

	/* And from a real child. */
	pid = fork();
	if (pid == 0) {
		pause();
		_exit(0);
	}
	kill(pid, SIGTERM);
	memset(&si, 0, sizeof(si));
	waitid(P_PID, (id_t)pid, &si, WEXITED);
	proc_describe_status(&si, buf, sizeof(buf));
	CHECK_STR(buf, "killed by signal TERM");
}

static void
test_pidfile(void)
{
	char dir[] = "/tmp/herd-test-pidfile-XXXXXX", path[128], buf[32];
	struct pidfile pf, pf2;
	pid_t holder, child;
	int fd, status;
	ssize_t n;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/herd.pid", dir);

	/* Fresh: written, content is the pid. */
	CHECK_INT(proc_pidfile_acquire(&pf, path, 4242, &holder), 0);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	n = read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(fd);
	CHECK_STR(buf, "4242\n");

	/* Held by a live owner: a second one (another process) is refused. */
	child = fork();
	if (child == 0) {
		struct pidfile other;
		pid_t h = 0;
		int rc = proc_pidfile_acquire(&other, path, 99, &h);

		_exit(rc == -EEXIST && h == 4242 ? 0 : 1);
	}
	waitpid(child, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* Still ours and unchanged. */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	n = read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(fd);
	CHECK_STR(buf, "4242\n");

	/* Released: gone. */
	proc_pidfile_release(&pf);
	CHECK(access(path, F_OK) < 0 && errno == ENOENT);

	/* Stale (no lock holder): taken over. */
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	CHECK(write(fd, "1\n", 2) == 2);
	close(fd);
	CHECK_INT(proc_pidfile_acquire(&pf2, path, 77, &holder), 0);
	proc_pidfile_release(&pf2);

	/* Not ours any more: release leaves the successor's file alone. */
	CHECK_INT(proc_pidfile_acquire(&pf, path, 1, &holder), 0);
	CHECK(rename(path, "/tmp/herd-test-moved.pid") == 0);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	close(fd);
	proc_pidfile_release(&pf);
	CHECK(access(path, F_OK) == 0);
	unlink(path);
	unlink("/tmp/herd-test-moved.pid");
	rmdir(dir);
}

static void
test_find_program(void)
{
	char *p = proc_find_program("sh");

	CHECK(p != NULL && p[0] == '/' && access(p, X_OK) == 0);
	free(p);
	p = proc_find_program("./relative");
	CHECK_STR(p, "./relative");
	free(p);
	p = proc_find_program("no-such-program-herd");
	CHECK_STR(p, "no-such-program-herd");
	free(p);
}

static void
test_creds(void)
{
	struct proc_creds c;
	char err[128];

	CHECK_INT(proc_resolve_creds(NULL, NULL, &c, err, sizeof(err)), 0);
	CHECK(!c.set);
	CHECK_INT(proc_resolve_creds("root", NULL, &c, err, sizeof(err)), 0);
	CHECK(c.set && c.uid == 0 && c.gid == 0 && c.ngroups >= 1);
	CHECK_INT(proc_resolve_creds("0", "0", &c, err, sizeof(err)), 0);
	CHECK(c.set && c.uid == 0);
	CHECK_INT(proc_resolve_creds("no-such-user-herd", NULL, &c, err,
				     sizeof(err)),
		  -ENOENT);
	CHECK(strstr(err, "no-such-user-herd") != NULL);
	CHECK_INT(proc_resolve_creds("root", "no-such-group-herd", &c, err,
				     sizeof(err)),
		  -ENOENT);
}

/* After proc_rseq_unregister the thread can register its area again
 * (while registered, rseq(2) says EBUSY), in a child: it is process state. */
static void
test_rseq_unregister(void)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		void *area = (char *)__builtin_thread_pointer() + __rseq_offset;

		/* glibc 2.36 on Linux 6.x registers every thread. */
		if (__rseq_size == 0)
			_exit(2);
		size_t len = proc_rseq_registered_len();

		if (syscall(SYS_rseq, area, len, 0, RSEQ_SIG) != -1 ||
		    errno != EBUSY)
			_exit(3);
		if (proc_rseq_unregister() != 0)
			_exit(4);
		if (syscall(SYS_rseq, area, len, 0, RSEQ_SIG) != 0)
			_exit(5);
		_exit(proc_rseq_unregister() == 0 ? 0 : 6);
	}
	CHECK(pid > 0);
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status));
	CHECK_INT(WEXITSTATUS(status), 0);
}

/* A child that waits to be signalled, and how it ended. */
static pid_t
paused_child(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		for (;;)
			pause();
	}
	return pid;
}

static int
death_signal(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid || !WIFSIGNALED(status))
		return -1;
	return WTERMSIG(status);
}

/* By pidfd, by pid when there is no pidfd (or it fails), else -ESRCH. */
static void
test_signal(void)
{
	pid_t pid = paused_child();
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);

	CHECK(pidfd >= 0);
	CHECK_INT(proc_signal(pidfd, 0, SIGTERM), 0);
	CHECK_INT(death_signal(pid), SIGTERM);
	close(pidfd);

	pid = paused_child();
	CHECK_INT(proc_signal(-1, pid, SIGKILL), 0);
	CHECK_INT(death_signal(pid), SIGKILL);

	/* A closed pidfd number: the pid still reaches the child. */
	pid = paused_child();
	CHECK_INT(proc_signal(pidfd, pid, SIGUSR1), 0);
	CHECK_INT(death_signal(pid), SIGUSR1);

	CHECK_INT(proc_signal(-1, 0, SIGTERM), -ESRCH);
}

int
main(void)
{
	test_spawn_missing();
	test_spawn_plan();
	test_spawn_chdir_fails();
	test_describe();
	test_pidfile();
	test_find_program();
	test_creds();
	test_rseq_unregister();
	test_signal();
	CHECK(proc_now_ms() > 0);
	return check_done("proc");
}
