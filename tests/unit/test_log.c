/*
 * Unit tests for src/log: line format, levels, file destination, reopen
 * after rotation (rename), and the previous destination kept on failure.
 */
#include <fcntl.h>
#include <regex.h>
#include <stdlib.h>
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
		      "\\.[0-9]{3}Z info master: hello 42\n$",
		      REG_EXTENDED) == 0);
	CHECK(regexec(&re, buf, 0, NULL, 0) == 0);
	regfree(&re);

	/* Rotation: rename, reopen, new lines land in the new file. */
	CHECK(rename(path, rotated) == 0);
	log_warn("master: before reopen");
	CHECK_INT(log_reopen(), 0);
	log_error("master: after reopen");
	slurp(rotated, buf, sizeof(buf));
	CHECK(strstr(buf, "warn master: before reopen") != NULL);
	CHECK(strstr(buf, "after reopen") == NULL);
	slurp(path, buf, sizeof(buf));
	CHECK(strstr(buf, "error master: after reopen") != NULL);

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
	return check_done("log");
}
