// SPDX-License-Identifier: BSD-2-Clause
/*
 * What herd's confinement adds to each system call (a benchmark, not a
 * test): the calls an HTTP worker makes per keep-alive request, timed in a
 * child with nothing installed and in a child under exactly what
 * `seccomp = strict` and `landlock = ro:/usr,ro:/etc` give a worker (the
 * filter and ruleset built by src/confine, no_new_privs first), children
 * taking turns. Prints, per call, the best nanoseconds per call of each and
 * the difference. A third child runs under the cheapest filter there is
 * (one instruction: allow), the floor any seccomp filter pays for the
 * kernel's slower entry path; what herd's own filter adds is the rest.
 * bench/confine.py multiplies the differences by the calls
 * a worker really makes per request (perf's raw_syscalls count).
 *
 *   build/release/bench/syscall-cost [ROUNDS]
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "confine/confine.h"

enum { CALLS = 200000, KINDS = 4, VARIANTS = 3 };

enum variant { PLAIN, ALLOW_ALL, CONFINED };

static const char *const variant_names[VARIANTS] = {"plain", "allow-all",
						    "herd"};

static const char *const kind_names[KINDS] = {
	"recvfrom (EAGAIN)", "epoll_wait (0 ms)", "sendto", "read"};

static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Nanoseconds per call of each kind, in the calling process. */
static int
time_calls(double ns[KINDS])
{
	struct epoll_event ev = {.events = EPOLLIN}, out;
	char buf[64] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
	int sv[2], ep;
	double t0;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
		       sv) < 0 ||
	    (ep = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
	    epoll_ctl(ep, EPOLL_CTL_ADD, sv[0], &ev) < 0)
		return -1;
	t0 = now_ns();
	for (int i = 0; i < CALLS; i++)
		if (recv(sv[0], buf, sizeof(buf), 0) >= 0 || errno != EAGAIN)
			return -1;
	ns[0] = (now_ns() - t0) / CALLS;
	t0 = now_ns();
	for (int i = 0; i < CALLS; i++)
		if (epoll_wait(ep, &out, 1, 0) != 0)
			return -1;
	ns[1] = (now_ns() - t0) / CALLS;
	/* A small answer out and read back, as a request does. */
	double send_ns = 0, read_ns = 0;
	for (int i = 0; i < CALLS; i++) {
		double a = now_ns();
		if (send(sv[1], buf, 28, MSG_NOSIGNAL) != 28)
			return -1;
		double b = now_ns();
		if (read(sv[0], buf, sizeof(buf)) != 28)
			return -1;
		send_ns += b - a;
		read_ns += now_ns() - b;
	}
	ns[2] = send_ns / CALLS;
	ns[3] = read_ns / CALLS;
	close(ep);
	close(sv[0]);
	close(sv[1]);
	return 0;
}

/* The one-instruction filter: what seccomp costs before any filtering. */
static int
allow_all(void)
{
	struct sock_filter ret = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	struct sock_fprog prog = {.len = 1, .filter = &ret};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    confine_seccomp_install(&prog, false) < 0) {
		perror("syscall-cost: allow-all filter");
		return -1;
	}
	return 0;
}

/* Confines the calling process as a worker under strict + landlock. */
static int
confine_like_a_worker(void)
{
	struct sock_fprog prog;
	struct confine_path *rules = NULL;
	struct confine_plan plan;
	char err[256] = "";
	int n = 0, fd = -1;

	memset(&plan, 0, sizeof(plan));
	if (confine_landlock_parse("ro:/usr,ro:/etc", &rules, &n, err,
				   sizeof(err)) < 0 ||
	    confine_landlock_prepare(rules, n, &fd, err, sizeof(err)) < 0) {
		fprintf(stderr, "syscall-cost: landlock: %s\n", err);
		return -1;
	}
	confine_paths_free(rules, n);
	plan.landlock_fd = fd;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    confine_landlock_apply(&plan) < 0) {
		perror("syscall-cost: landlock");
		return -1;
	}
	close(fd);
	if (confine_seccomp_build(CONFINE_SECCOMP_STRICT, NULL, NULL,
				  CONFINE_SECCOMP_DENY_KILL, &prog, err,
				  sizeof(err)) < 0 ||
	    confine_seccomp_install(&prog, false) < 0) {
		fprintf(stderr, "syscall-cost: seccomp: %s\n", err);
		return -1;
	}
	confine_seccomp_free(&prog);
	return 0;
}

/* One child's timings, under variant V, through a pipe. */
static int
measure(enum variant v, double ns[KINDS])
{
	int p[2];
	pid_t pid;
	int status;

	if (pipe2(p, O_CLOEXEC) < 0 || (pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		double mine[KINDS];

		close(p[0]);
		if ((v == ALLOW_ALL && allow_all() < 0) ||
		    (v == CONFINED && confine_like_a_worker() < 0) ||
		    time_calls(mine) < 0 ||
		    write(p[1], mine, sizeof(mine)) != sizeof(mine))
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	ssize_t got = read(p[0], ns, sizeof(double) * KINDS);
	close(p[0]);
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0 ||
	    got != (ssize_t)(sizeof(double) * KINDS))
		return -1;
	return 0;
}

int
main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 9;
	double best[VARIANTS][KINDS];

	if (rounds < 1)
		rounds = 1;
	for (int v = 0; v < VARIANTS; v++)
		for (int k = 0; k < KINDS; k++)
			best[v][k] = 1e12;
	for (int r = 0; r < rounds; r++)
		for (int v = 0; v < VARIANTS; v++) {
			double ns[KINDS];

			if (measure((enum variant)v, ns) < 0) {
				fprintf(stderr,
					"syscall-cost: a %s child failed\n",
					variant_names[v]);
				return 1;
			}
			for (int k = 0; k < KINDS; k++)
				if (ns[k] < best[v][k])
					best[v][k] = ns[k];
		}
	/* Machine-readable: bench/confine.py reads the "added" column. */
	printf("%-20s %9s %9s %9s %9s %9s\n", "call (best ns)", "plain",
	       "allow-all", "herd", "floor+", "herd+");
	for (int k = 0; k < KINDS; k++)
		printf("%-20s %9.1f %9.1f %9.1f %9.1f %9.1f\n", kind_names[k],
		       best[PLAIN][k], best[ALLOW_ALL][k], best[CONFINED][k],
		       best[ALLOW_ALL][k] - best[PLAIN][k],
		       best[CONFINED][k] - best[PLAIN][k]);
	return 0;
}
