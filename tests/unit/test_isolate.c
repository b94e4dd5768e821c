/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests for src/isolate and the isolated spawn path of src/proc: the
 * parsers, and real children created through proc_spawn in namespaces,
 * with uid/gid maps (from a root and from an unprivileged parent), in a
 * small root filesystem, in a network namespace that still accepts on an
 * inherited listener, and in a cgroup of their own that cgroup.kill
 * empties. Real kernel throughout; a part is skipped, with the reason
 * printed, only when this kernel lacks the feature.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "fd/fd.h"
#include "isolate/isolate.h"
#include "proc/proc.h"

static const uint64_t ns_flags[] = {CLONE_NEWUSER,  CLONE_NEWPID, CLONE_NEWNS,
				    CLONE_NEWNET,   CLONE_NEWUTS, CLONE_NEWIPC,
				    CLONE_NEWCGROUP};
#define NFLAGS (sizeof(ns_flags) / sizeof(ns_flags[0]))

static void
test_parse(void)
{
	struct isolate_idmap m;
	struct isolate_bind b;
	struct isolate_maps maps;
	char err[256], buf[128];
	uint64_t f;

	CHECK_INT(isolate_ns_parse("none", &f, err, sizeof(err)), 0);
	CHECK_INT(f, 0);
	CHECK_INT(isolate_ns_parse("user,pid,mount,net,uts,ipc,cgroup", &f, err,
				   sizeof(err)),
		  0);
	CHECK_INT(f, ISOLATE_NS_ALL);
	CHECK_INT(isolate_ns_parse("net", &f, err, sizeof(err)), 0);
	CHECK_INT(f, CLONE_NEWNET);
	CHECK_INT(isolate_ns_parse("pid,bogus", &f, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "\"bogus\"") != NULL);
	CHECK_INT(isolate_ns_parse("", &f, err, sizeof(err)), -EINVAL);
	CHECK_INT(isolate_ns_parse("pid,", &f, err, sizeof(err)), -EINVAL);
	CHECK_INT(isolate_ns_parse("mnt", &f, err, sizeof(err)), -EINVAL);
	isolate_ns_format(CLONE_NEWPID | CLONE_NEWNET, buf, sizeof(buf));
	CHECK_STR(buf, "pid,net");
	isolate_ns_format(0, buf, sizeof(buf));
	CHECK_STR(buf, "none");
	CHECK_STR(isolate_ns_name(CLONE_NEWNS), "mount");
	CHECK_STR(isolate_ns_proc_name(CLONE_NEWNS), "mnt");
	CHECK(isolate_ns_name(CLONE_VM) == NULL);

	CHECK_INT(isolate_map_parse("0:1000:1", &m, err, sizeof(err)), 0);
	CHECK_INT(m.inside, 0);
	CHECK_INT(m.outside, 1000);
	CHECK_INT(m.count, 1);
	CHECK_INT(isolate_map_parse("0:100000:65536", &m, err, sizeof(err)), 0);
	CHECK_INT(isolate_map_parse("0:1000:0", &m, err, sizeof(err)), -EINVAL);
	CHECK_INT(isolate_map_parse("0:1000", &m, err, sizeof(err)), -EINVAL);
	CHECK_INT(isolate_map_parse("0:1000:1:", &m, err, sizeof(err)),
		  -EINVAL);
	CHECK_INT(isolate_map_parse("-1:0:1", &m, err, sizeof(err)), -EINVAL);
	CHECK_INT(isolate_map_parse("4294967296:0:1", &m, err, sizeof(err)),
		  -EINVAL);
	CHECK_INT(isolate_map_parse("4294967295:0:2", &m, err, sizeof(err)),
		  -EINVAL);
	CHECK_INT(isolate_map_parse("a:b:c", &m, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "INSIDE:OUTSIDE:COUNT") != NULL);

	CHECK_INT(isolate_bind_parse("/usr:/usr:ro", &b, err, sizeof(err)), 0);
	CHECK_STR(b.src, "/usr");
	CHECK_STR(b.dst, "/usr");
	CHECK(b.ro);
	isolate_bind_free(&b);
	CHECK_INT(isolate_bind_parse("/srv/app:/app", &b, err, sizeof(err)), 0);
	CHECK_STR(b.dst, "/app");
	CHECK(!b.ro);
	isolate_bind_free(&b);
	CHECK_INT(isolate_bind_parse("/a:/b:rw", &b, err, sizeof(err)),
		  -EINVAL);
	CHECK_INT(isolate_bind_parse("a:/b", &b, err, sizeof(err)), -EINVAL);
	CHECK_INT(isolate_bind_parse("/a:b", &b, err, sizeof(err)), -EINVAL);
	CHECK_INT(isolate_bind_parse("/a:/", &b, err, sizeof(err)), -EINVAL);
	CHECK_INT(isolate_bind_parse("/a:/x/../..", &b, err, sizeof(err)),
		  -EINVAL);
	CHECK_INT(isolate_bind_parse("/a", &b, err, sizeof(err)), -EINVAL);
	CHECK_INT(isolate_bind_parse("/a:/x..y", &b, err, sizeof(err)), 0);
	isolate_bind_free(&b);

	/* Unit's defaults. */
	memset(&maps, 0, sizeof(maps));
	isolate_maps_default(&maps, 0, 0, false, 0, 0);
	CHECK(maps.nuid == 1 && maps.uid[0].inside == 0 &&
	      maps.uid[0].outside == 0 && maps.uid[0].count == 1);
	memset(&maps, 0, sizeof(maps));
	isolate_maps_default(&maps, 0, 0, true, 33, 34);
	CHECK(maps.uid[0].inside == 33 && maps.uid[0].outside == 33);
	CHECK(maps.gid[0].inside == 34 && maps.gid[0].outside == 34);
	memset(&maps, 0, sizeof(maps));
	isolate_maps_default(&maps, 1000, 1001, false, 0, 0);
	CHECK(maps.uid[0].inside == 65534 && maps.uid[0].outside == 1000);
	CHECK(maps.gid[0].inside == 65534 && maps.gid[0].outside == 1001);
	memset(&maps, 0, sizeof(maps));
	maps.uid[0] = (struct isolate_idmap){0, 1000, 1};
	maps.nuid = 1;
	isolate_maps_default(&maps, 1000, 1001, true, 5, 6);
	CHECK(maps.uid[0].inside == 0 && maps.nuid == 1);
	CHECK(maps.gid[0].inside == 6 && maps.gid[0].outside == 1001);
}

/* Waits for the report pipe: 1 exec ok, 0 report, <0 error. */
static int
wait_report(int fd, struct proc_report *r)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	int rc;

	do {
		poll(&p, 1, 10000);
		rc = proc_read_report(fd, r);
	} while (rc == -EAGAIN);
	return rc;
}

/* A child's outcome: its report, exit status and what it wrote on fd 1. */
struct outcome {
	int report; /* 1: started, 0: r says why not */
	struct proc_report r;
	int status;
	char out[8192];
	char listen_pid[16];
};

/* Command or function: exactly one of argv and fn. */
struct job {
	const struct isolate_plan *iso;
	const struct proc_creds *creds;
	char *const *argv;
	int (*fn)(void *);
	void *arg;
	int fd3; /* handed over as fd 3 when >= 0 */
};

static void
run(const struct job *j, struct outcome *o)
{
	char listen_pid[] = "LISTEN_PID=\0..........";
	char *envp[] = {listen_pid, "PATH=/usr/bin:/bin", NULL};
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	int out[2], fds[4];
	struct proc_plan plan = {
		.path = j->argv ? j->argv[0] : NULL,
		.argv = j->argv,
		.envp = envp,
		.pid_slots = {listen_pid + 11},
		.fds = fds,
		.nfds = j->fd3 >= 0 ? 4 : 3,
		.creds = j->creds,
		.parent = getpid(),
		.run = j->fn,
		.run_arg = j->arg,
		.isolate = j->iso,
	};
	struct proc_child c;
	size_t off = 0;
	ssize_t n;

	memset(o, 0, sizeof(*o));
	CHECK(pipe2(out, O_CLOEXEC) == 0);
	fds[0] = null;
	fds[1] = out[1];
	fds[2] = 2;
	fds[3] = j->fd3;
	o->report = proc_spawn(&plan, &c);
	CHECK_INT(o->report, 0);
	close(out[1]);
	close(null);
	if (o->report < 0) {
		close(out[0]);
		return;
	}
	o->report = wait_report(c.report_fd, &o->r);
	while (off < sizeof(o->out) - 1 &&
	       (n = read(out[0], o->out + off, sizeof(o->out) - 1 - off)) > 0)
		off += (size_t)n;
	o->out[off] = '\0';
	close(out[0]);
	waitpid(c.pid, &o->status, 0);
	fd_close(c.pidfd);
	fd_close(c.report_fd);
}

/* Child: prints the inode of each of its namespaces, one a line. */
static int
print_ns(void *arg)
{
	char path[64];
	struct stat st;
	size_t i;

	for (i = 0; i < NFLAGS; i++) {
		snprintf(path, sizeof(path), "/proc/self/ns/%s",
			 isolate_ns_proc_name(ns_flags[i]));
		if (stat(path, &st) < 0)
			return 1;
		dprintf(1, "%llu\n", (unsigned long long)st.st_ino);
	}
	return 0;
}

static unsigned long long
own_ns(uint64_t flag)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/self/ns/%s",
		 isolate_ns_proc_name(flag));
	return stat(path, &st) == 0 ? (unsigned long long)st.st_ino : 0;
}

/* A plan with only namespaces; maps defaulted as a root master's. */
static void
plan_ns(struct isolate_plan *iso, uint64_t ns)
{
	memset(iso, 0, sizeof(*iso));
	iso->ns = ns;
	iso->deny_setgroups = geteuid() != 0;
	isolate_maps_default(&iso->maps, geteuid(), getegid(), false, 0, 0);
}

static void
check_ns(uint64_t ns)
{
	struct isolate_plan iso;
	struct job j = {.iso = &iso, .fn = print_ns, .fd3 = -1};
	struct outcome o;
	char *line, *save = NULL;
	size_t i;

	plan_ns(&iso, ns);
	run(&j, &o);
	CHECK_INT(o.report, 1);
	CHECK(WIFEXITED(o.status) && WEXITSTATUS(o.status) == 0);
	line = strtok_r(o.out, "\n", &save);
	for (i = 0; i < NFLAGS; i++) {
		unsigned long long got = line ? strtoull(line, NULL, 10) : 0;
		bool fresh = got != own_ns(ns_flags[i]);

		if (fresh != !!(ns & ns_flags[i])) {
			check_failed++;
			fprintf(stderr, "ns %#llx: %s is %s\n",
				(unsigned long long)ns,
				isolate_ns_name(ns_flags[i]),
				fresh ? "new" : "shared");
		} else {
			check_passed++;
		}
		line = strtok_r(NULL, "\n", &save);
	}
}

static void
test_namespaces(void)
{
	size_t i;

	for (i = 0; i < NFLAGS; i++)
		check_ns(ns_flags[i]);
	check_ns(ISOLATE_NS_ALL);
	check_ns(CLONE_NEWPID | CLONE_NEWNET);
}

/* A pid namespace makes the worker its PID 1, LISTEN_PID included. */
static void
test_pid_ns(void)
{
	char *argv[] = {"/bin/sh", "-c", "echo $$ $LISTEN_PID", NULL};
	struct isolate_plan iso;
	struct job j = {.iso = &iso, .argv = argv, .fd3 = -1};
	struct outcome o;

	plan_ns(&iso, CLONE_NEWPID);
	run(&j, &o);
	CHECK_INT(o.report, 1);
	CHECK_STR(o.out, "1 1\n");
	/* And with a user namespace around it, from a root parent. */
	plan_ns(&iso, CLONE_NEWPID | CLONE_NEWUSER);
	run(&j, &o);
	CHECK_INT(o.report, 1);
	CHECK_STR(o.out, "1 1\n");
}

/* Child: prints uid gid, then its uid_map and gid_map. */
static int
print_ids(void *arg)
{
	char buf[512];
	ssize_t n;
	int fd;

	dprintf(1, "%d %d\n", (int)getuid(), (int)getgid());
	fd = open("/proc/self/uid_map", O_RDONLY | O_CLOEXEC);
	n = read(fd, buf, sizeof(buf));
	if (n > 0 && write(1, buf, (size_t)n) < 0)
		return 1;
	close(fd);
	fd = open("/proc/self/gid_map", O_RDONLY | O_CLOEXEC);
	n = read(fd, buf, sizeof(buf));
	if (n > 0 && write(1, buf, (size_t)n) < 0)
		return 1;
	close(fd);
	return 0;
}

/* Squeezes runs of blanks: the kernel pads map fields to a width. */
static void
squeeze(char *s)
{
	char *w = s;
	bool blank = true;

	for (; *s != '\0'; s++) {
		if (*s == ' ') {
			if (!blank)
				*w++ = ' ';
			blank = true;
		} else {
			if (*s == '\n' && w > s - 0 && w[-1] == ' ')
				w--;
			*w++ = *s;
			blank = *s == '\n';
		}
	}
	*w = '\0';
}

static void
test_user_ns_root(void)
{
	struct isolate_plan iso;
	struct proc_creds creds = {.set = true, .uid = 1000, .gid = 1000};
	struct job j = {.iso = &iso, .fn = print_ids, .fd3 = -1};
	struct outcome o;

	/* Default: root to itself. */
	plan_ns(&iso, CLONE_NEWUSER);
	run(&j, &o);
	CHECK_INT(o.report, 1);
	squeeze(o.out);
	CHECK_STR(o.out, "0 0\n0 0 1\n0 0 1\n");

	/* The worker's user to itself, when it has one. */
	memset(&iso.maps, 0, sizeof(iso.maps));
	isolate_maps_default(&iso.maps, 0, 0, true, 1000, 1000);
	j.creds = &creds;
	run(&j, &o);
	CHECK_INT(o.report, 1);
	squeeze(o.out);
	CHECK_STR(o.out, "1000 1000\n1000 1000 1\n1000 1000 1\n");

	/* Explicit maps: 1000 inside is 65534 outside. */
	iso.maps.uid[0] = (struct isolate_idmap){1000, 65534, 1};
	iso.maps.gid[0] = (struct isolate_idmap){1000, 65534, 1};
	run(&j, &o);
	CHECK_INT(o.report, 1);
	squeeze(o.out);
	CHECK_STR(o.out, "1000 1000\n1000 65534 1\n1000 65534 1\n");

	/* A map the kernel refuses (two ranges overlap): failed start. */
	iso.maps.uid[1] = (struct isolate_idmap){1000, 1, 1};
	iso.maps.nuid = 2;
	run(&j, &o);
	CHECK_INT(o.report, 0);
	CHECK_STR(proc_stage_name(o.r.stage), "uid_map");
	CHECK_INT(o.r.err, EINVAL);
	CHECK(WIFEXITED(o.status) && WEXITSTATUS(o.status) == 127);
	CHECK_STR(o.out, "");
}

static char rootfs[64];
static void make_rootfs(void);
static void remove_rootfs(void);

/*
 * The same from an unprivileged parent: a forked process that became
 * nobody spawns the worker, and reports by its exit status.
 */
static void
test_user_ns_unprivileged(void)
{
	int status;
	pid_t pid;

	make_rootfs();
	CHECK(chown(rootfs, 65534, 65534) == 0);
	pid = fork();
	if (pid == 0) {
		static const struct isolate_bind binds[] = {
			{"/usr", "/usr", true},
			{"/lib", "/lib", true},
			{"/lib64", "/lib64", true},
			{"/bin", "/bin", true},
		};
		char *argv[] = {
			"/bin/sh", "-c",
			"echo $$ $(id -u); touch /tmp/w && echo tmp-ok; "
			"echo >/dev/null && echo dev-ok; "
			"while read -r a b c d m o r; do [ $m = /usr ] && "
			"echo usr-${o%%,*}; done </proc/self/mountinfo; "
			"test -e /work || echo host-hidden",
			NULL};
		struct isolate_plan iso;
		struct job j = {.iso = &iso, .fn = print_ids, .fd3 = -1};
		struct proc_creds creds = {.set = true, .uid = 0, .gid = 0};
		struct outcome o;

		check_passed = check_failed = 0;
		if (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534) < 0)
			_exit(2);
		/*
		 * As a master started as nobody is: the uid change made us
		 * non-dumpable, which gives our children's /proc/PID files
		 * to root and keeps us from writing their maps.
		 */
		prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
		/* Default: our own ids become nobody inside. */
		plan_ns(&iso, CLONE_NEWUSER | CLONE_NEWPID);
		CHECK(iso.deny_setgroups);
		run(&j, &o);
		CHECK_INT(o.report, 1);
		squeeze(o.out);
		CHECK_STR(o.out, "65534 65534\n65534 65534 1\n65534 65534 1\n");

		/* Root inside, as a map can ask. */
		iso.maps.uid[0] = (struct isolate_idmap){0, 65534, 1};
		iso.maps.gid[0] = (struct isolate_idmap){0, 65534, 1};
		j.creds = &creds;
		run(&j, &o);
		CHECK_INT(o.report, 1);
		squeeze(o.out);
		CHECK_STR(o.out, "0 0\n0 65534 1\n0 65534 1\n");

		/* An id we do not own: the kernel refuses the map. */
		iso.maps.uid[0] = (struct isolate_idmap){0, 0, 1};
		run(&j, &o);
		CHECK_INT(o.report, 0);
		CHECK_STR(proc_stage_name(o.r.stage), "uid_map");
		CHECK_INT(o.r.err, EPERM);

		/* A root filesystem, read-only binds included. */
		plan_ns(&iso, CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS);
		iso.rootfs = rootfs;
		iso.binds = binds;
		iso.nbinds = 4;
		j.fn = NULL;
		j.creds = NULL;
		j.argv = argv;
		run(&j, &o);
		CHECK_INT(o.report, 1);
		if (o.report == 0)
			fprintf(stderr, "%s: %s\n", proc_stage_name(o.r.stage),
				strerror(o.r.err));
		CHECK_STR(o.out,
			  "1 65534\ntmp-ok\ndev-ok\nusr-ro\nhost-hidden\n");
		_exit(check_failed == 0 ? 0 : 1);
	}
	CHECK(pid > 0);
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	remove_rootfs();
}

/* A root filesystem built from binds of the host's /usr and libraries. */

static void
make_rootfs(void)
{
	snprintf(rootfs, sizeof(rootfs), "/tmp/herd-rootfs-XXXXXX");
	CHECK(mkdtemp(rootfs) != NULL);
}

static void
remove_rootfs(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", rootfs);
	CHECK(system(cmd) == 0);
}

static void
test_rootfs(void)
{
	static const char script[] =
		"echo pid=$$;"
		"touch /tmp/w && echo tmp-ok;"
		"test -d /proc/1 && echo proc-ok;"
		"echo x >/dev/null && head -c 4 /dev/zero | wc -c;"
		"test -e /work || echo host-hidden;"
		"test -e /etc/passwd || echo etc-hidden;"
		"test -e /bin/sh && echo sh-ok;"
		"touch /usr/herd-probe 2>/dev/null || echo usr-ro;"
		"pwd";
	char *argv[] = {"/bin/sh", "-c", (char *)script, NULL};
	struct isolate_bind binds[4] = {
		{"/usr", "/usr", true},
		{"/lib", "/lib", true},
		{"/lib64", "/lib64", true},
		{"/bin", "/bin", true},
	};
	struct isolate_plan iso;
	struct job j = {.iso = &iso, .argv = argv, .fd3 = -1};
	struct outcome o;

	make_rootfs();
	plan_ns(&iso, CLONE_NEWNS | CLONE_NEWPID);
	iso.rootfs = rootfs;
	iso.binds = binds;
	iso.nbinds = 4;
	run(&j, &o);
	CHECK_INT(o.report, 1);
	CHECK_STR(o.out, "pid=1\ntmp-ok\nproc-ok\n4\nhost-hidden\n"
			 "etc-hidden\nsh-ok\nusr-ro\n/\n");
	/* Nothing of it is left mounted on the host. */
	CHECK(access("/usr/herd-probe", F_OK) < 0);

	/* Also inside a user namespace, with a hostname. */
	plan_ns(&iso,
		CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUSER | CLONE_NEWUTS);
	iso.rootfs = rootfs;
	iso.binds = binds;
	iso.nbinds = 4;
	iso.hostname = "herd-worker";
	argv[2] = "echo $$ $(cat /proc/sys/kernel/hostname); "
		  "test -e /work || echo host-hidden";
	run(&j, &o);
	CHECK_INT(o.report, 1);
	CHECK_STR(o.out, "1 herd-worker\nhost-hidden\n");

	/* A missing bind source is a failed start, by step and errno. */
	binds[3].src = "/no/such/dir";
	run(&j, &o);
	CHECK_INT(o.report, 0);
	CHECK_STR(proc_stage_name(o.r.stage), "bind");
	CHECK_INT(o.r.err, ENOENT);
	CHECK(WIFEXITED(o.status) && WEXITSTATUS(o.status) == 127);

	/* Never the master's mount table or hostname. */
	plan_ns(&iso, CLONE_NEWPID);
	iso.rootfs = rootfs;
	run(&j, &o);
	CHECK_INT(o.report, 0);
	CHECK_STR(proc_stage_name(o.r.stage), "bind rootfs");
	CHECK_INT(o.r.err, EINVAL);
	plan_ns(&iso, CLONE_NEWPID);
	iso.hostname = "not-the-host";
	run(&j, &o);
	CHECK_INT(o.report, 0);
	CHECK_STR(proc_stage_name(o.r.stage), "sethostname");
	CHECK_INT(o.r.err, EINVAL);
	remove_rootfs();
}

/* Child in an empty network namespace: connect to the host, then serve. */
static int
net_child(void *arg)
{
	struct sockaddr_in *host = arg;
	int s, c;

	s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (connect(s, (struct sockaddr *)host, sizeof(*host)) == 0)
		dprintf(1, "connected\n");
	else
		dprintf(1, "connect: %s\n", strerror(errno));
	close(s);
	c = accept4(3, NULL, NULL, SOCK_CLOEXEC);
	if (c < 0)
		return 1;
	if (write(c, "served", 6) != 6)
		return 1;
	close(c);
	return 0;
}

static int
tcp_listener(struct sockaddr_in *a)
{
	socklen_t len = sizeof(*a);
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(bind(s, (struct sockaddr *)a, sizeof(*a)) == 0);
	CHECK(listen(s, 8) == 0);
	CHECK(getsockname(s, (struct sockaddr *)a, &len) == 0);
	return s;
}

static void
test_net_ns(void)
{
	struct sockaddr_in worker_addr, host_addr;
	int lw = tcp_listener(&worker_addr);
	int lh = tcp_listener(&host_addr);
	struct isolate_plan iso;
	struct job j = {
		.iso = &iso, .fn = net_child, .arg = &host_addr, .fd3 = lw};
	char *argv[] = {NULL};
	struct outcome o;
	pid_t pid;
	int status;

	(void)argv;
	plan_ns(&iso, CLONE_NEWNET);
	/* The client runs beside us: run() waits for the worker. */
	pid = fork();
	if (pid == 0) {
		char buf[16] = "";
		int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (connect(c, (struct sockaddr *)&worker_addr,
			    sizeof(worker_addr)) < 0 ||
		    read(c, buf, sizeof(buf) - 1) != 6)
			_exit(1);
		_exit(strcmp(buf, "served") == 0 ? 0 : 1);
	}
	run(&j, &o);
	CHECK_INT(o.report, 1);
	CHECK(strncmp(o.out, "connect: ", 9) == 0);
	CHECK(WIFEXITED(o.status) && WEXITSTATUS(o.status) == 0);
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(lw);
	close(lh);
}

/* Finds the cgroup2 mount (the unified hierarchy). */
static bool
find_cgroup2(char *dir, size_t len)
{
	char line[1024], mnt[512], type[64];
	FILE *f = fopen("/proc/self/mounts", "re");
	bool found = false;

	while (f != NULL && !found && fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "%*s %511s %63s", mnt, type) == 2 &&
		    strcmp(type, "cgroup2") == 0) {
			snprintf(dir, len, "%s", mnt);
			found = true;
		}
	if (f != NULL)
		fclose(f);
	return found;
}

/* Child: /proc/self/cgroup before anything else. */
static int
print_cgroup(void *arg)
{
	char buf[4096];
	ssize_t n;
	int fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);

	n = read(fd, buf, sizeof(buf));
	return n > 0 && write(1, buf, (size_t)n) == n ? 0 : 1;
}

/* Whether pid is gone (or a zombie waiting for someone else's wait). */
static bool
gone(pid_t pid)
{
	char path[64], buf[512], *p;
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return true;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return true;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p != NULL && (p[2] == 'Z' || p[2] == 'X');
}

static void
test_cgroup(void)
{
	char mnt[512], dir[640], want[800], err[512], path[900];
	char *argv[] = {"/bin/sh", "-c", "sleep 1000 >/dev/null & echo $!",
			NULL};
	struct isolate_cgroup_limits lim = {.memory_max = 1 << 26};
	struct isolate_plan iso;
	struct job j = {.iso = &iso, .fn = print_cgroup, .fd3 = -1};
	struct outcome o;
	char name[64];
	pid_t grandchild;
	int i, rc;

	if (!find_cgroup2(mnt, sizeof(mnt))) {
		printf("test_cgroup: skipped, no cgroup2 mount\n");
		return;
	}
	/* Our own cgroup's path: a parent of ours may have moved us. */
	snprintf(dir, sizeof(dir), "%s/herd-test-%d", mnt, (int)getpid());
	if (mkdir(dir, 0755) < 0) {
		printf("test_cgroup: skipped, cannot create %s: %s\n", dir,
		       strerror(errno));
		return;
	}
	isolate_cgroup_name(name, sizeof(name), 3, 7);
	CHECK_STR(name, "worker-3.gen-7");
	plan_ns(&iso, 0);
	iso.cgroup_fd = isolate_cgroup_create(dir, name);
	iso.in_cgroup = true;
	CHECK(iso.cgroup_fd >= 0);
	run(&j, &o);
	CHECK_INT(o.report, 1);
	snprintf(want, sizeof(want), "0::%s/%s\n", dir + strlen(mnt), name);
	CHECK(strstr(o.out, want) != NULL);

	/* A daemonized grandchild dies with the cgroup. */
	j.fn = NULL;
	j.argv = argv;
	run(&j, &o);
	CHECK_INT(o.report, 1);
	grandchild = (pid_t)strtol(o.out, NULL, 10);
	CHECK(grandchild > 0 && !gone(grandchild));
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	CHECK_INT(rmdir(path) < 0 ? errno : 0, EBUSY);
	/* Without a deadline: kill and return at once, for the loop. */
	CHECK_INT(isolate_cgroup_remove(dir, name, 0), -EBUSY);
	CHECK_INT(isolate_cgroup_remove(dir, name, 5000), 0);
	CHECK(access(path, F_OK) < 0);
	for (i = 0; i < 5000 && !gone(grandchild); i++)
		usleep(1000);
	CHECK(gone(grandchild));
	waitpid(grandchild, NULL, 0);
	close(iso.cgroup_fd);

	/* Limits: refused by name where the controller is missing. */
	rc = isolate_cgroup_check_limits(dir, &lim, err, sizeof(err));
	snprintf(path, sizeof(path), "%s/cgroup.controllers", mnt);
	if (rc == 0) {
		fd_close(isolate_cgroup_create(dir, name));
		CHECK_INT(isolate_cgroup_set_limits(dir, name, &lim), 0);
		CHECK_INT(isolate_cgroup_oom_kills(dir, name), 0);
		CHECK_INT(isolate_cgroup_remove(dir, name, 5000), 0);
	} else {
		CHECK_INT(rc, -EOPNOTSUPP);
		CHECK(strstr(err, "cgroup-memory-max needs the memory "
				  "controller") != NULL);
		CHECK_INT(isolate_cgroup_oom_kills(dir, "none"), 0);
	}
	CHECK_INT(isolate_cgroup_has_controller(dir, "hugetlb-nonesuch"), 0);
	CHECK(rmdir(dir) == 0);
}

/*
 * The helper integration tests use, isolated: it serves its report over
 * the inherited listener from inside user, pid, net, uts and ipc
 * namespaces, and the report says pid 1, LISTEN_PID 1 and the hostname.
 */
static void
test_nsreport(void)
{
	char exe[512], helper[600], buf[16384] = "";
	char listen_pid[] = "LISTEN_PID=\0..........";
	char *argv[] = {helper, NULL};
	char *envp[] = {listen_pid, "LISTEN_FDS=1", NULL};
	struct sockaddr_in a;
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	int l = tcp_listener(&a), fds[4] = {null, null, 2, l};
	struct isolate_plan iso;
	struct proc_plan plan = {.path = helper,
				 .argv = argv,
				 .envp = envp,
				 .pid_slots = {listen_pid + 11},
				 .fds = fds,
				 .nfds = 4,
				 .parent = getpid(),
				 .isolate = &iso};
	static const char req[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
	struct proc_child c;
	struct proc_report r;
	size_t off = 0;
	ssize_t n;
	int s, status;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	CHECK(n > 0);
	exe[n > 0 ? n : 0] = '\0';
	*strrchr(exe, '/') = '\0';
	snprintf(helper, sizeof(helper), "%s/../helpers/nsreport", exe);
	plan_ns(&iso, CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET |
			      CLONE_NEWUTS | CLONE_NEWIPC);
	iso.hostname = "nsreport";
	CHECK_INT(proc_spawn(&plan, &c), 0);
	CHECK_INT(wait_report(c.report_fd, &r), 1);
	s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(connect(s, (struct sockaddr *)&a, sizeof(a)) == 0);
	CHECK(write(s, req, sizeof(req) - 1) == (ssize_t)sizeof(req) - 1);
	while (off < sizeof(buf) - 1 &&
	       (n = read(s, buf + off, sizeof(buf) - 1 - off)) > 0)
		off += (size_t)n;
	buf[off] = '\0';
	close(s);
	CHECK(strncmp(buf, "HTTP/1.1 200 OK\r\n", 17) == 0);
	CHECK(strstr(buf, "\"pid\":1,") != NULL);
	CHECK(strstr(buf, "\"ppid\":0,") != NULL);
	CHECK(strstr(buf, "\"LISTEN_PID\":\"1\"") != NULL);
	CHECK(strstr(buf, "\"LISTEN_FDS\":\"1\"") != NULL);
	CHECK(strstr(buf, "\"hostname\":\"nsreport\"") != NULL);
	CHECK(strstr(buf, "\"uid_map\":\"         0          0          1") !=
	      NULL);
	syscall(SYS_pidfd_send_signal, c.pidfd, SIGKILL, NULL, 0);
	waitpid(c.pid, &status, 0);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	fd_close(c.pidfd);
	fd_close(c.report_fd);
	close(l);
	close(null);
}

/*
 * The exec report survives a placement that covers its pipe's number:
 * with 64 descriptors to place, the pipe sits inside the range.
 */
static void
test_report_fd_lifted(void)
{
	char *argv[] = {"/no/such/program", NULL};
	char *envp[] = {NULL};
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	int fds[64], i;
	struct proc_plan plan = {.path = argv[0],
				 .argv = argv,
				 .envp = envp,
				 .fds = fds,
				 .nfds = 64,
				 .parent = getpid()};
	struct proc_child c;
	struct proc_report r;
	int status;

	for (i = 0; i < 64; i++)
		fds[i] = null;
	CHECK_INT(proc_spawn(&plan, &c), 0);
	CHECK(c.report_fd < 64);
	CHECK_INT(wait_report(c.report_fd, &r), 0);
	CHECK_STR(proc_stage_name(r.stage), "exec");
	CHECK_INT(r.err, ENOENT);
	waitpid(c.pid, &status, 0);
	fd_close(c.pidfd);
	fd_close(c.report_fd);
	close(null);
}

/*
 * A worker that changed its credentials still dies with its parent
 * (a credential change clears PDEATHSIG, so it is armed again after):
 * a forked parent spawns a worker as nobody, waits until it runs, and
 * exits; the worker must follow. With and without a pid namespace.
 */
static void
check_pdeathsig(const struct isolate_plan *iso)
{
	int pids[2], status, pidfd;
	pid_t parent, worker = -1;

	CHECK(pipe2(pids, O_CLOEXEC) == 0);
	parent = fork();
	if (parent == 0) {
		char *argv[] = {"/bin/sleep", "1000", NULL};
		char *envp[] = {NULL};
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		int fds[3] = {null, null, null};
		struct proc_creds creds = {
			.set = true, .uid = 65534, .gid = 65534};
		struct proc_plan plan = {.path = argv[0],
					 .argv = argv,
					 .envp = envp,
					 .fds = fds,
					 .nfds = 3,
					 .creds = &creds,
					 .parent = getpid(),
					 .isolate = iso};
		struct proc_child c;
		struct proc_report r;

		if (proc_spawn(&plan, &c) < 0 ||
		    wait_report(c.report_fd, &r) != 1 ||
		    write(pids[1], &c.pid, sizeof(c.pid)) != sizeof(c.pid))
			_exit(1);
		_exit(0);
	}
	close(pids[1]);
	CHECK(read(pids[0], &worker, sizeof(worker)) == sizeof(worker));
	close(pids[0]);
	waitpid(parent, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	if (worker <= 0)
		return;
	pidfd = (int)syscall(SYS_pidfd_open, worker, 0);
	if (pidfd >= 0) {
		struct pollfd p = {.fd = pidfd, .events = POLLIN};

		CHECK_INT(poll(&p, 1, 10000), 1);
		if (p.revents == 0)
			syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
		close(pidfd);
	}
}

static void
test_pdeathsig(void)
{
	struct isolate_plan iso;

	check_pdeathsig(NULL);
	plan_ns(&iso, CLONE_NEWPID);
	check_pdeathsig(&iso);
}

int
main(void)
{
	/*
	 * Orphans (a daemonized grandchild, a worker whose parent died)
	 * come to us to be reaped, not to an init that may never do it.
	 */
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	test_report_fd_lifted();
	test_pdeathsig();
	test_parse();
	test_namespaces();
	test_pid_ns();
	test_user_ns_root();
	test_user_ns_unprivileged();
	test_rootfs();
	test_net_ns();
	test_nsreport();
	test_cgroup();
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	return check_done("isolate");
}
