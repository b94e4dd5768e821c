/* SPDX-License-Identifier: BSD-2-Clause */
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
#include <stdbool.h>
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
	enum log_format format;
	int journal; /* -1: not yet known for this destination */
	bool bare;   /* the message alone: the master relays and dresses it */
} log_state = {2, NULL, LOG_LEVEL_INFO, LOG_FORMAT_TEXT, -1, false};

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

int
log_level_parse(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (strcmp(level_names[i], name) == 0)
			return (int)i;
	return -1;
}

void
log_set_format(enum log_format format)
{
	log_state.format = format;
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
	log_state.journal = 0;
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
	log_state.journal = -1;
}

void
log_detach(void)
{
	/* Not closed: in a child that closed its descriptors, the number
	 * may already be reused by something else. */
	free(log_state.path);
	log_state.path = NULL;
	log_state.fd = 2;
	log_state.journal = 0;
	log_state.bare = true;
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

/*
 * Whether stderr is the journal: systemd puts "DEV:INODE" of the stream
 * it connected to stderr in JOURNAL_STREAM, and a stderr redirected since
 * (to a file, by a shell) no longer matches.
 */
static bool
journal(void)
{
	const char *js;
	unsigned long long dev, ino;
	struct stat st;

	if (log_state.journal < 0) {
		js = getenv("JOURNAL_STREAM");
		log_state.journal = js != NULL &&
				    sscanf(js, "%llu:%llu", &dev, &ino) == 2 &&
				    fstat(2, &st) == 0 &&
				    (unsigned long long)st.st_dev == dev &&
				    (unsigned long long)st.st_ino == ino;
	}
	return log_state.journal == 1;
}

static const char journal_prefix[] = {
	[LOG_LEVEL_DEBUG] = '7',
	[LOG_LEVEL_INFO] = '6',
	[LOG_LEVEL_WARN] = '4',
	[LOG_LEVEL_ERROR] = '3',
};

static int
format_time(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	int n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
		     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		     tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000L);
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

/*
 * A line being built, cut (never overrun) before its last byte, kept for
 * the newline. Twice a message's room: escaped in JSON it may grow, and
 * the message is what gets cut, never the closing of the object.
 */
struct line {
	char buf[2 * LOG_LINE_MAX];
	size_t n;
};

static void add(struct line *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
add(struct line *l, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (l->n >= sizeof(l->buf) - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(l->buf + l->n, sizeof(l->buf) - 1 - l->n, fmt, ap);
	va_end(ap);
	if (n > 0)
		l->n += (size_t)n < sizeof(l->buf) - 1 - l->n
				? (size_t)n
				: sizeof(l->buf) - 2 - l->n;
}

/* s as a JSON string's contents: escapes, and invalid bytes as U+FFFD. */
static void
add_json_string(struct line *l, const char *s, size_t len)
{
	size_t i;

	add(l, "\"");
	for (i = 0; i < len && l->n < sizeof(l->buf) - 256; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			add(l, "\\%c", c);
		else if (c == '\n')
			add(l, "\\n");
		else if (c == '\t')
			add(l, "\\t");
		else if (c < 0x20 || c == 0x7f)
			add(l, "\\u%04x", c);
		else if (c < 0x80)
			add(l, "%c", c);
		else {
			/* Copy a whole valid UTF-8 sequence, else U+FFFD. */
			size_t k, need = c >= 0xf0 && c < 0xf5	 ? 3
					 : c >= 0xe0		 ? 2
					 : c >= 0xc2 && c < 0xe0 ? 1
								 : 9;

			for (k = 1; k <= need && need < 9 && i + k < len; k++)
				if (((unsigned char)s[i + k] & 0xc0) != 0x80)
					break;
			if (need < 9 && k == need + 1) {
				add(l, "%.*s", (int)(need + 1), s + i);
				i += need;
			} else {
				add(l, "\\ufffd");
			}
		}
	}
	add(l, "\"");
}

/* What a message says about itself: its subject, parsed. */
struct subject {
	const char *role;		    /* "master" or "worker" */
	int worker, worker_pid, generation; /* -1: not said */
	const char *stream;		    /* stdout, stderr or NULL */
	const char *msg;		    /* after "subject: " */
	int len;
};

/* "master: …", "worker N (pid P, gen G): …", "worker N (pid P): …". */
static void
parse_subject(const char *msg, int len, struct subject *s)
{
	int n = 0, used = 0;

	s->role = "master";
	s->worker = s->worker_pid = s->generation = -1;
	s->stream = NULL;
	s->msg = msg;
	s->len = len;
	if (len > 8 && strncmp(msg, "master: ", 8) == 0) {
		s->msg += 8;
		s->len -= 8;
		return;
	}
	if (len < 8 || strncmp(msg, "worker ", 7) != 0 ||
	    memchr(msg, ':', (size_t)len) == NULL)
		return;
	if (sscanf(msg, "worker %d (pid %d, gen %d): %n", &s->worker,
		   &s->worker_pid, &s->generation, &used) == 3 &&
	    used > 0)
		n = used;
	else if (sscanf(msg, "worker %d (pid %d): %n", &s->worker,
			&s->worker_pid, &used) == 2 &&
		 used > 0)
		n = used;
	if (n == 0 || n > len) {
		s->worker = s->worker_pid = s->generation = -1;
		return;
	}
	s->msg += n;
	s->len -= n;
}

static void
write_line(enum log_level level, const char *msg, int len,
	   const struct subject *subj)
{
	struct line l = {.n = 0};
	char when[64];
	bool j = journal();

	if (level < log_state.min)
		return;
	if (j)
		add(&l, "<%c>", journal_prefix[level]);
	if (log_state.bare) {
		/* Time, pid and format are the relaying master's. */
		if (level != LOG_LEVEL_WARN)
			add(&l, "%s: ", level_names[level]);
		add(&l, "%.*s", len, msg);
	} else if (log_state.format == LOG_FORMAT_JSON) {
		format_time(when, sizeof(when));
		add(&l,
		    "{\"time\":\"%s\",\"level\":\"%s\",\"pid\":%d,"
		    "\"role\":\"%s\"",
		    when, level_names[level],
		    subj->stream != NULL ? subj->worker_pid : (int)getpid(),
		    subj->role);
		if (subj->worker >= 0)
			add(&l, ",\"worker\":%d", subj->worker);
		else
			add(&l, ",\"worker\":null");
		if (subj->generation >= 0)
			add(&l, ",\"generation\":%d", subj->generation);
		else
			add(&l, ",\"generation\":null");
		add(&l, ",\"message\":");
		add_json_string(&l, subj->msg, (size_t)subj->len);
		add(&l, ",\"fields\":{");
		if (subj->stream != NULL)
			add(&l, "\"stream\":\"%s\",\"master_pid\":%d",
			    subj->stream, (int)getpid());
		else if (subj->worker_pid >= 0)
			add(&l, "\"worker_pid\":%d", subj->worker_pid);
		add(&l, "}}");
	} else {
		if (!j) {
			format_time(when, sizeof(when));
			add(&l, "%s ", when);
		}
		add(&l, "%s [%d] ", level_names[level], (int)getpid());
		if (subj->stream != NULL)
			add(&l, "worker %d (pid %d): ", subj->worker,
			    subj->worker_pid);
		add(&l, "%.*s", len, msg);
	}
	l.buf[l.n++] = '\n';
	emit(l.buf, l.n);
}

void
log_write_raw(enum log_level level, const char *msg, int len)
{
	struct subject s;

	if (level < log_state.min)
		return;
	parse_subject(msg, len, &s);
	write_line(level, msg, len, &s);
}

void
log_write_worker(enum log_level level, int number, int pid, int generation,
		 const char *stream, const char *line, int len)
{
	struct subject s = {
		.role = "worker",
		.worker = number,
		.worker_pid = pid,
		.generation = generation,
		.stream = stream,
		.msg = line,
		.len = len,
	};

	write_line(level, line, len, &s);
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
