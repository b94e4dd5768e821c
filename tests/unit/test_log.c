/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests for src/log: line format, levels, file destination, reopen
 * after rotation (rename), and the previous destination kept on failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "log/log.h"

static void
slurp(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? 0 : read(fd, buf, len - 1);

	buf[n > 0 ? n : 0] = '\0';
	if (fd >= 0)
		close(fd);
}

/*
 * The log never follows a symbolic link at its own name, never lives in a
 * directory anyone may write to without the sticky bit, and a reopen that
 * meets either keeps the old file.
 */
static void
refuses_symlinks(void)
{
	char dir[] = "/tmp/herd-test-log-XXXXXX", path[128], victim[128];
	char open_dir[160], open_path[192], rotated[128], why[256];
	char buf[4096];

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/herd.log", dir);
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	snprintf(rotated, sizeof(rotated), "%s/herd.log.1", dir);
	close(open(victim, O_WRONLY | O_CREAT | O_CLOEXEC, 0600));

	/* A planted symlink: refused at open, and said so in words. */
	CHECK(symlink(victim, path) == 0);
	CHECK_INT(log_open(path), -ELOOP);
	CHECK_INT(log_check_path(path, why, sizeof(why)), -ELOOP);
	CHECK(strstr(why, "symbolic link") != NULL);
	unlink(path);

	/* A world-writable directory without the sticky bit. */
	snprintf(open_dir, sizeof(open_dir), "%s/open", dir);
	snprintf(open_path, sizeof(open_path), "%s/herd.log", open_dir);
	CHECK(mkdir(open_dir, 0700) == 0 && chmod(open_dir, 0777) == 0);
	CHECK_INT(log_open(open_path), -EPERM);
	CHECK_INT(log_check_path(open_path, why, sizeof(why)), -EPERM);
	CHECK(strstr(why, "world-writable") != NULL);
	/* With the sticky bit (/tmp's mode) it is fine. */
	CHECK(chmod(open_dir, 01777) == 0);
	CHECK_INT(log_check_path(open_path, why, sizeof(why)), 0);
	CHECK_INT(log_open(open_path), 0);
	unlink(open_path);

	/* Reopen after rotation meets a planted symlink: the old file stays. */
	CHECK_INT(log_open(path), 0);
	CHECK(rename(path, rotated) == 0);
	CHECK(symlink(victim, path) == 0);
	CHECK_INT(log_reopen(why, sizeof(why)), -ELOOP);
	CHECK(strstr(why, "symbolic link") != NULL);
	log_info("master: after a refused reopen");
	slurp(rotated, buf, sizeof(buf));
	CHECK(strstr(buf, "after a refused reopen") != NULL);
	slurp(victim, buf, sizeof(buf));
	CHECK_STR(buf, "");
	log_close();
	unlink(path);
	unlink(rotated);
	unlink(victim);
	rmdir(open_dir);
	rmdir(dir);
}

int
main(void)
{
	char dir[] = "/tmp/herd-test-log-XXXXXX", path[128], rotated[128];
	char buf[16384];
	regex_t re;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/herd.log", dir);
	snprintf(rotated, sizeof(rotated), "%s/herd.log.1", dir);

	CHECK_INT(log_open(path), 0);
	CHECK(log_fd() > 2);
	log_info("master: hello %d", 42);
	log_debug("master: not shown at info level");
	slurp(path, buf, sizeof(buf));
	CHECK(regcomp(&re,
		      "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}"
		      "\\.[0-9]{3}Z info \\[[0-9]+\\] master: hello 42\n$",
		      REG_EXTENDED) == 0);
	CHECK(regexec(&re, buf, 0, NULL, 0) == 0);
	regfree(&re);

	/* Rotation: rename, reopen, new lines land in the new file. */
	CHECK(rename(path, rotated) == 0);
	log_warn("master: before reopen");
	CHECK_INT(log_reopen(NULL, 0), 0);
	log_error("master: after reopen");
	slurp(rotated, buf, sizeof(buf));
	CHECK(strstr(buf, "] master: before reopen") != NULL);
	CHECK(strstr(buf, "after reopen") == NULL);
	slurp(path, buf, sizeof(buf));
	CHECK(strstr(buf, "] master: after reopen") != NULL);

	/* A destination that cannot be opened leaves the old one in force. */
	CHECK(log_open("/nonexistent/dir/herd.log") < 0);
	log_info("master: still here");
	slurp(path, buf, sizeof(buf));
	CHECK(strstr(buf, "still here") != NULL);

	/* Long lines are cut, never overflow, and still end in a newline. */
	{
		char big[10000];

		memset(big, 'x', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		log_info("%s", big);
		slurp(path, buf, sizeof(buf));
		CHECK(buf[strlen(buf) - 1] == '\n');
	}

	log_close();
	CHECK_INT(log_fd(), 2);
	CHECK_STR(log_level_name(LOG_LEVEL_WARN), "warn");
	unlink(path);
	unlink(rotated);
	rmdir(dir);
	refuses_symlinks();
	return check_done("log");
}
