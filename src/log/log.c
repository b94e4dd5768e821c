/*
 * Log lines to stderr or a file. The destination is process state, like
 * syslog's: every module may log through it without threading a handle
 * around, and a forked child inherits it. Formatting happens into a stack
 * buffer and each line leaves in a single write(2) to an O_APPEND file, so
 * concurrent writers (master, workers) never split each other's lines.
 */
#include "log/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define LOG_LINE_MAX 4096

static struct {
	int fd;
	char *path;
	enum log_level min;
} log_state = {2, NULL, LOG_LEVEL_INFO};

static const char *const level_names[] = {
	[LOG_LEVEL_DEBUG] = "debug",
	[LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_WARN] = "warn",
	[LOG_LEVEL_ERROR] = "error",
};

const char *
log_level_name(enum log_level level)
{
	return level_names[level];
}

static int
open_path(const char *path)
{
	int fd =
		open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY,
		     0644);

	return fd < 0 ? -errno : fd;
}

int
log_open(const char *path)
{
	char *copy;
	int fd;

	if (path == NULL || strcmp(path, "-") == 0) {
		log_close();
		return 0;
	}
	copy = strdup(path);
	if (copy == NULL)
		return -ENOMEM;
	fd = open_path(path);
	if (fd < 0) {
		free(copy);
		return fd;
	}
	log_close();
	log_state.fd = fd;
	log_state.path = copy;
	return 0;
}

int
log_reopen(void)
{
	int fd;

	if (log_state.path == NULL)
		return 0;
	fd = open_path(log_state.path);
	if (fd < 0)
		return fd;
	close(log_state.fd);
	log_state.fd = fd;
	return 0;
}

void
log_close(void)
{
	if (log_state.path != NULL) {
		close(log_state.fd);
		free(log_state.path);
		log_state.path = NULL;
	}
	log_state.fd = 2;
}

int
log_fd(void)
{
	return log_state.fd;
}

void
log_set_level(enum log_level level)
{
	log_state.min = level;
}

static int
format_prefix(char *buf, size_t len, enum log_level level)
{
	struct timespec ts;
	struct tm tm;
	int n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s ",
		     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		     tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000L,
		     level_names[level]);
	return n < 0 ? 0 : n;
}

static void
emit(char *line, size_t n)
{
	size_t off = 0;

	while (off < n) {
		ssize_t w = write(log_state.fd, line + off, n - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		off += (size_t)w;
	}
}

void
log_write_raw(enum log_level level, const char *msg, int len)
{
	char line[LOG_LINE_MAX];
	int n;

	if (level < log_state.min)
		return;
	n = format_prefix(line, sizeof(line), level);
	if (len > (int)sizeof(line) - n - 1)
		len = (int)sizeof(line) - n - 1;
	memcpy(line + n, msg, (size_t)len);
	n += len;
	line[n++] = '\n';
	emit(line, (size_t)n);
}

void
log_write(enum log_level level, const char *fmt, ...)
{
	char msg[LOG_LINE_MAX];
	va_list ap;
	int n;

	if (level < log_state.min)
		return;
	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n >= (int)sizeof(msg))
		n = (int)sizeof(msg) - 1;
	log_write_raw(level, msg, n);
}
