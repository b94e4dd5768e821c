/*
 * confine's privilege side: capability names and lists, resource limits
 * and Landlock rules, parsed in the parent and applied in forked children
 * whose /proc and system calls say what they may do.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "confine/confine.h"

#define NET_BIND_SERVICE 10
#define SYS_NICE 23
#define SYS_RESOURCE 24

static void
test_cap_names(void)
{
	char err[256], buf[256];
	uint64_t mask = 1;

	CHECK_STR(confine_cap_name(0), "chown");
	CHECK_STR(confine_cap_name(40), "checkpoint_restore");
	CHECK(confine_cap_name(41) == NULL);
	CHECK_INT(confine_cap_number("NET_BIND_SERVICE", 16), NET_BIND_SERVICE);
	CHECK_INT(confine_cap_number("cap_sys_nice", 12), SYS_NICE);
	CHECK_INT(confine_cap_number("nope", 4), -ENOENT);
	CHECK_INT(confine_caps_parse("none", &mask, err, sizeof(err)), 0);
	CHECK_INT(mask, 0);
	CHECK_INT(confine_caps_parse(" net_bind_service , SYS_NICE", &mask, err,
				     sizeof(err)),
		  0);
	CHECK_INT(mask, (1ULL << NET_BIND_SERVICE) | (1ULL << SYS_NICE));
	confine_caps_format(mask, buf, sizeof(buf));
	CHECK_STR(buf, "net_bind_service,sys_nice");
	CHECK_INT(confine_caps_parse("net_raw,bogus", &mask, err, sizeof(err)),
		  -EINVAL);
	CHECK(strstr(err, "\"bogus\"") != NULL);
	CHECK_INT(confine_caps_parse("", &mask, err, sizeof(err)), -EINVAL);
	CHECK_INT(confine_caps_parse("net_raw,", &mask, err, sizeof(err)),
		  -EINVAL);
	CHECK(confine_cap_last() >= 40);
}

/* The Cap* lines of a process's status, as a string. */
static void
run_and_capture(char *const argv[], char *out, size_t len)
{
	int p[2];
	ssize_t n, got = 0;

	if (pipe2(p, O_CLOEXEC) < 0)
		return;
	if (fork() == 0) {
		dup2(p[1], 1);
		execv(argv[0], argv);
		_exit(127);
	}
	close(p[1]);
	while ((n = read(p[0], out + got, len - 1 - (size_t)got)) > 0)
		got += n;
	out[got] = '\0';
	close(p[0]);
	wait(NULL);
}

/*
 * A root child keeps net_bind_service alone, as nobody, across exec: every
 * set holds exactly that bit, and setuid(0) cannot bring the rest back.
 */
static void
test_caps_across_setuid_and_exec(void)
{
	struct confine_plan plan = {.caps_set = true,
				    .caps = 1ULL << NET_BIND_SERVICE,
				    .landlock_fd = -1};
	int p[2], status;
	char out[2048] = "";
	pid_t pid;
	ssize_t n, got = 0;

	if (geteuid() != 0) {
		printf("skipped: capabilities across setuid need root\n");
		return;
	}
	plan.cap_last = confine_cap_last();
	plan.setpcap = confine_caps_have(8);
	CHECK(pipe2(p, O_CLOEXEC) == 0);
	pid = fork();
	if (pid == 0) {
		char *const argv[] = {"/bin/grep", "^Cap", "/proc/self/status",
				      NULL};

		dup2(p[1], 1);
		if (confine_caps_before_creds(&plan) < 0 || setgid(65534) < 0 ||
		    setuid(65534) < 0 || confine_caps_after_creds(&plan) < 0)
			_exit(2);
		if (setuid(0) == 0)
			_exit(3);
		execv(argv[0], argv);
		_exit(127);
	}
	close(p[1]);
	while ((n = read(p[0], out + got, sizeof(out) - 1 - (size_t)got)) > 0)
		got += n;
	out[got] = '\0';
	close(p[0]);
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK(strstr(out, "CapInh:\t0000000000000400") != NULL);
	CHECK(strstr(out, "CapPrm:\t0000000000000400") != NULL);
	CHECK(strstr(out, "CapEff:\t0000000000000400") != NULL);
	CHECK(strstr(out, "CapBnd:\t0000000000000400") != NULL);
	CHECK(strstr(out, "CapAmb:\t0000000000000400") != NULL);
	if (check_failed)
		fprintf(stderr, "%s", out);
}

/* `none` as root without a user: exec as uid 0 gives nothing back. */
static void
test_caps_none_as_root(void)
{
	struct confine_plan plan = {.caps_set = true, .landlock_fd = -1};
	char out[2048] = "";
	char *const argv[] = {"/bin/grep", "^Cap", "/proc/self/status", NULL};
	pid_t pid;
	int status;

	if (geteuid() != 0) {
		printf("skipped: dropping root's capabilities needs root\n");
		return;
	}
	plan.cap_last = confine_cap_last();
	plan.setpcap = true;
	pid = fork();
	if (pid == 0) {
		if (confine_caps_before_creds(&plan) < 0 ||
		    confine_caps_after_creds(&plan) < 0)
			_exit(2);
		run_and_capture(argv, out, sizeof(out));
		_exit(strstr(out, "CapEff:\t0000000000000000") &&
				      strstr(out,
					     "CapPrm:\t0000000000000000") &&
				      strstr(out, "CapBnd:\t0000000000000000")
			      ? 0
			      : 1);
	}
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void
test_rlimits(void)
{
	struct confine_rlimit r[2];
	struct confine_plan plan = {
		.rlimits = r, .nrlimits = 2, .landlock_fd = -1};
	char err[256];
	pid_t pid;
	int status;

	CHECK_INT(
		confine_rlimit_parse("nofile=64:128", &r[0], err, sizeof(err)),
		0);
	CHECK_INT(r[0].resource, RLIMIT_NOFILE);
	CHECK_INT(r[0].soft, 64);
	CHECK_INT(r[0].hard, 128);
	CHECK_INT(confine_rlimit_parse("core=0", &r[1], err, sizeof(err)), 0);
	CHECK_INT(r[1].hard, 0);
	{
		struct confine_rlimit x;

		CHECK_INT(confine_rlimit_parse("stack=unlimited", &x, err,
					       sizeof(err)),
			  0);
		CHECK(x.soft == RLIM_INFINITY && x.hard == RLIM_INFINITY);
		CHECK_INT(confine_rlimit_parse("nofile=5:4", &x, err,
					       sizeof(err)),
			  -EINVAL);
		CHECK(strstr(err, "soft limit above") != NULL);
		CHECK_INT(confine_rlimit_parse("bogus=1", &x, err, sizeof(err)),
			  -EINVAL);
		CHECK(strstr(err, "unknown limit \"bogus\"") != NULL);
		CHECK_INT(
			confine_rlimit_parse("nofile=-1", &x, err, sizeof(err)),
			-EINVAL);
		CHECK_INT(
			confine_rlimit_parse("nofile= 1", &x, err, sizeof(err)),
			-EINVAL);
		CHECK_INT(confine_rlimit_parse("nofile=99999999999999999999",
					       &x, err, sizeof(err)),
			  -EINVAL);
		CHECK_INT(confine_rlimit_parse("nofile", &x, err, sizeof(err)),
			  -EINVAL);
	}
	pid = fork();
	if (pid == 0) {
		struct rlimit got;

		if (confine_rlimits_apply(&plan) < 0)
			_exit(2);
		getrlimit(RLIMIT_NOFILE, &got);
		_exit(got.rlim_cur == 64 && got.rlim_max == 128 ? 0 : 1);
	}
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* Above the hard limit, without CAP_SYS_RESOURCE: refused. */
	pid = fork();
	if (pid == 0) {
		struct rlimit now;
		struct confine_rlimit up;

		getrlimit(RLIMIT_NOFILE, &now);
		now.rlim_cur = now.rlim_max = 1000;
		setrlimit(RLIMIT_NOFILE, &now);
		if (geteuid() == 0 && prctl(PR_CAPBSET_DROP, SYS_RESOURCE) == 0)
			if (setuid(65534) < 0) /* no capability left */
				_exit(9);
		up.resource = RLIMIT_NOFILE;
		up.soft = 100;
		up.hard = 2000;
		_exit(confine_rlimit_check(&up, err, sizeof(err)) == -EPERM &&
				      strstr(err, "no CAP_SYS_RESOURCE")
			      ? 0
			      : 1);
	}
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void
test_landlock(void)
{
	struct confine_path *rules;
	struct confine_plan plan = {.landlock_fd = -1};
	char err[512], dir[] = "/tmp/herd-landlock-XXXXXX", list[600];
	int n, abi, status, before;
	pid_t pid;

	CHECK_INT(confine_landlock_parse("ro:/usr,rw:/tmp", &rules, &n, err,
					 sizeof(err)),
		  0);
	CHECK_INT(n, 2);
	CHECK(!rules[0].rw && rules[1].rw);
	CHECK_STR(rules[1].path, "/tmp");
	confine_paths_free(rules, n);
	CHECK_INT(
		confine_landlock_parse("rx:/usr", &rules, &n, err, sizeof(err)),
		-EINVAL);
	CHECK_INT(
		confine_landlock_parse("ro:usr", &rules, &n, err, sizeof(err)),
		-EINVAL);
	CHECK_INT(confine_landlock_parse("", &rules, &n, err, sizeof(err)),
		  -EINVAL);
	abi = confine_landlock_abi();
	if (abi < 0) {
		printf("skipped: this kernel has no Landlock (%s)\n",
		       strerror(-abi));
		return;
	}
	CHECK(mkdtemp(dir) != NULL);
	snprintf(list, sizeof(list), "ro:/usr,rw:%s,ro:/etc/passwd", dir);
	CHECK_INT(confine_landlock_parse(list, &rules, &n, err, sizeof(err)),
		  0);
	CHECK_INT(confine_landlock_prepare(rules, n, &plan.landlock_fd, err,
					   sizeof(err)),
		  abi);
	confine_paths_free(rules, n);
	CHECK(fcntl(plan.landlock_fd, F_GETFD) == FD_CLOEXEC);
	before = open("/etc/hostname", O_RDONLY | O_CLOEXEC);
	pid = fork();
	if (pid == 0) {
		char path[700], c;
		int fd;

		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
		    confine_landlock_apply(&plan) < 0)
			_exit(2);
		if ((fd = open("/usr/bin/env", O_RDONLY)) < 0)
			_exit(3);
		close(fd);
		if ((fd = open("/etc/passwd", O_RDONLY)) < 0)
			_exit(4);
		close(fd);
		snprintf(path, sizeof(path), "%s/x", dir);
		if ((fd = open(path, O_CREAT | O_WRONLY, 0600)) < 0)
			_exit(5);
		close(fd);
		if (open("/etc/hostname", O_RDONLY) >= 0 || errno != EACCES)
			_exit(6);
		if (open("/usr/herd-x", O_CREAT | O_WRONLY, 0600) >= 0 ||
		    errno != EACCES)
			_exit(7);
		/* Open before: still readable. */
		if (before >= 0 && read(before, &c, 1) != 1)
			_exit(8);
		_exit(0);
	}
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status));
	CHECK_INT(WEXITSTATUS(status), 0);
	close(plan.landlock_fd);
	if (before >= 0)
		close(before);
	{
		char path[700];

		snprintf(path, sizeof(path), "%s/x", dir);
		unlink(path);
		rmdir(dir);
	}
	/* A missing path is named. */
	CHECK_INT(confine_landlock_parse("ro:/nonexistent-herd", &rules, &n,
					 err, sizeof(err)),
		  0);
	CHECK_INT(confine_landlock_prepare(rules, n, &plan.landlock_fd, err,
					   sizeof(err)),
		  -ENOENT);
	CHECK(strstr(err, "/nonexistent-herd") != NULL);
	confine_paths_free(rules, n);
}

int
main(void)
{
	test_cap_names();
	test_caps_across_setuid_and_exec();
	test_caps_none_as_root();
	test_rlimits();
	test_landlock();
	return check_done("privs");
}
