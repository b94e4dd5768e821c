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
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

#define LOG_SYMLINK                                                      \
	"is a symbolic link: herd does not follow one to its log (name " \
	"the target itself)"

static int explain(char *why, size_t whylen, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Puts the reason in why (when there is room for one) and returns rc. */
static int
explain(char *why, size_t whylen, int rc, const char *fmt, ...)
{
	va_list ap;

	if (why != NULL && whylen > 0) {
		va_start(ap, fmt);
		vsnprintf(why, whylen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

const char *
log_level_name(enum log_level level)
{
	return level_names[level];
}

/*
 * Opens the directory that holds path (O_PATH: nothing is read from it)
 * and points *base at the last component. Refuses a directory that anyone
 * may write to without the sticky bit: anyone could rename the log away
 * and plant a symlink in its place before the next reopen. Returns the
 * directory's descriptor or -errno with the reason in why.
 */
static int
open_parent(const char *path, const char **base, char *why, size_t whylen)
{
	const char *slash = strrchr(path, '/');
	char dir[PATH_MAX];
	struct stat st;
	int dfd;

	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else if ((size_t)(slash - path) < sizeof(dir))
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	else
		return explain(why, whylen, -ENAMETOOLONG, "%s",
			       strerror(ENAMETOOLONG));
	*base = slash != NULL ? slash + 1 : path;
	if (**base == '\0')
		return explain(why, whylen, -EISDIR, "names a directory");
	dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return explain(why, whylen, -errno, "directory %s: %s", dir,
			       strerror(errno));
	if (fstat(dfd, &st) < 0) {
		int err = errno;

		close(dfd);
		return explain(why, whylen, -err, "directory %s: %s", dir,
			       strerror(err));
	}
	if ((st.st_mode & S_IWOTH) && !(st.st_mode & S_ISVTX)) {
		close(dfd);
		return explain(why, whylen, -EPERM,
			       "directory %s is world-writable without the "
			       "sticky bit: anyone could plant a symbolic "
			       "link in the log's place",
			       dir);
	}
	return dfd;
}

int
log_check_path(const char *path, char *why, size_t whylen)
{
	const char *base;
	struct stat st;
	int dfd, rc = 0;

	dfd = open_parent(path, &base, why, whylen);
	if (dfd < 0)
		return dfd;
	if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (S_ISLNK(st.st_mode))
			rc = explain(why, whylen, -ELOOP, "%s", LOG_SYMLINK);
		else if (S_ISDIR(st.st_mode))
			rc = explain(why, whylen, -EISDIR, "is a directory");
	} else if (errno != ENOENT) {
		rc = explain(why, whylen, -errno, "%s", strerror(errno));
	}
	close(dfd);
	return rc;
}

int
log_open_file(const char *path, char *why, size_t whylen)
{
	const char *base;
	int dfd, fd;

	dfd = open_parent(path, &base, why, whylen);
	if (dfd < 0)
		return dfd;
	/*
	 * O_NOFOLLOW: a symlink at the name fails with ELOOP. O_NONBLOCK
	 * only for the open itself, so a FIFO without a reader fails
	 * (ENXIO) instead of hanging the master; it is cleared after.
	 */
	fd = openat(dfd, base,
		    O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY |
			    O_NOFOLLOW | O_NONBLOCK,
		    0644);
	if (fd < 0) {
		int err = errno;

		close(dfd);
		if (err == ELOOP)
			return explain(why, whylen, -ELOOP, "%s", LOG_SYMLINK);
		return explain(why, whylen, -err, "%s", strerror(err));
	}
	close(dfd);
	fcntl(fd, F_SETFL, O_APPEND);
	return fd;
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
	fd = log_open_file(path, NULL, 0);
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
log_reopen(char *why, size_t whylen)
{
	int fd;

	if (log_state.path == NULL)
		return 0;
	fd = log_open_file(log_state.path, why, whylen);
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
