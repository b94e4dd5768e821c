/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * log — the only writer of herd's log lines.
 *
 * A line is `YYYY-MM-DDTHH:MM:SS.mmmZ LEVEL [PID] subject: message`, PID
 * the writer's (old and new master differ during an upgrade); callers put
 * the subject ("master", "worker 2 (pid 4121, gen 1)") at the start of the
 * message. With log-format json a line is one JSON object instead, the
 * subject parsed into fields. When stderr is the journal (JOURNAL_STREAM
 * names it) a line starts with its sd-daemon priority (<3> error, <4>
 * warn, <6> info, <7> debug) and has no time: the journal keeps its own. Lines
 * go to stderr, or to a file opened O_APPEND|O_CLOEXEC| O_NOFOLLOW and reopened
 * on request (USR1). Each line is one write(2), so lines from several processes
 * sharing the destination never interleave mid-line. Never call these from a
 * signal handler (herd has none that do work).
 */
#ifndef HERD_LOG_H
#define HERD_LOG_H

#include <stddef.h>

enum log_level {
	LOG_LEVEL_DEBUG,
	LOG_LEVEL_INFO,
	LOG_LEVEL_WARN,
	LOG_LEVEL_ERROR,
};

enum log_format {
	LOG_FORMAT_TEXT,
	LOG_FORMAT_JSON,
};

const char *log_level_name(enum log_level level);

/* "debug"… to a level; -1 for anything else. */
int log_level_parse(const char *name);

void log_set_format(enum log_format format);

/*
 * A line of a worker's own output (its stdout or stderr, relayed by the
 * master): "worker N (pid P): line" in text, in JSON role "worker" with
 * its number, generation, pid and stream as fields.
 */
void log_write_worker(enum log_level level, int number, int pid, int generation,
		      const char *stream, const char *line, int len);

/*
 * Opens path for appending, as every log file of herd is opened (this log
 * and the access log): O_CLOEXEC, never through a symbolic link at the
 * name itself (O_NOFOLLOW), and never in a directory anyone may write to
 * without the sticky bit, where anyone could swap the file for a symlink
 * between two reopens. Returns the descriptor, or -errno (-ELOOP for a
 * symlink, -EPERM for such a directory) with the reason in words in why,
 * which may be NULL.
 */
int log_open_file(const char *path, char *why, size_t whylen);

/*
 * What log_open_file() would refuse, found without creating anything (for
 * -t): the directory, a symlink or a directory at the name. Returns 0 or
 * -errno with the reason in why.
 */
int log_check_path(const char *path, char *why, size_t whylen);

/*
 * Directs the log to path (NULL or "-" means stderr) through
 * log_open_file(). Returns 0 or -errno; on failure the previous
 * destination stays in force.
 */
int log_open(const char *path);

/*
 * Reopens the log file (after rotation). Returns 0 or -errno with the
 * reason in why (may be NULL); on failure the old descriptor stays.
 */
int log_reopen(char *why, size_t whylen);

/* Releases the log file; later lines go to stderr. */
void log_close(void);

/*
 * In a forked child that closed every descriptor it was not handed (no
 * exec): later lines go to stderr, which the master relays into its log
 * with its own time, level and pid, so they carry the message alone (with
 * "error: " and the like for a level other than warn, the relay's); the
 * log file's descriptor, gone or reused there, is not touched.
 */
void log_detach(void);

/* The descriptor lines are written to right now (2 for stderr). */
int log_fd(void);

/* Lines below this level are dropped. */
void log_set_level(enum log_level level);

void log_write(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Writes an already formatted message (no format expansion). */
void log_write_raw(enum log_level level, const char *msg, int len);

#define log_debug(...) log_write(LOG_LEVEL_DEBUG, __VA_ARGS__)
#define log_info(...) log_write(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_warn(...) log_write(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_error(...) log_write(LOG_LEVEL_ERROR, __VA_ARGS__)

#endif
