/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The only place that writes human-readable text. Where it goes depends on
 * what stderr is (msg_sink_decide): a terminal gets plain lines; the journal
 * (systemd's JOURNAL_STREAM names stderr) gets each line once with a <N>
 * priority prefix; anything else (cron, a pipe) gets stderr plus syslog, so a
 * cron run leaves a trace. Results go to stdout through msg_out() and
 * msg_out_json(). Every control character is escaped here, whatever its origin.
 */
#ifndef CDNALLOW_CLI_MSG_H
#define CDNALLOW_CLI_MSG_H

#include <stdbool.h>
#include <sys/types.h>
#include <stddef.h>

struct diag;
struct json_t;

enum msg_level { MSG_ERROR = 0, MSG_WARN = 1, MSG_INFO = 2, MSG_DEBUG = 3 };

enum msg_sink {
	MSG_SINK_TTY,	  /* stderr only, filtered by verbosity */
	MSG_SINK_JOURNAL, /* stderr is the journal: once, "<prio>" prefixed */
	MSG_SINK_PIPE,	  /* stderr filtered by verbosity, plus syslog */
};

/* Where text goes: journal_stream is $JOURNAL_STREAM ("DEV:INO", may be NULL),
 * dev/ino those of stderr (fstat), is_tty whether stderr is a terminal. */
enum msg_sink msg_sink_decide(bool is_tty, const char *journal_stream, dev_t dev, ino_t ino);
/* Whether a message of lvl goes to stderr / syslog. -q (verbosity -1) keeps
 * warnings and the info summary in the log (journal or syslog): only the
 * console is quieted. Debug needs -v everywhere. */
bool msg_to_stderr(enum msg_sink sink, int verbosity, enum msg_level lvl);
bool msg_to_syslog(enum msg_sink sink, int verbosity, enum msg_level lvl);

/* verbosity: -1 quiet (errors only on a console), 0 default (warnings + info), 1 verbose (debug).
 */
void msg_init(int verbosity);
void msg_close(void);
void msg(enum msg_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints d's warnings, then its error (if any) prefixed by what failed. */
void msg_diag(const struct diag *d, const char *what);
bool msg_is_tty(void);
/*
 * Copies src into dst (size bytes, always NUL-terminated) with C0 controls (but tab, and newline
 * when keep_nl), DEL and C1 controls written as \xHH. Returns the length written.
 */
size_t msg_escape(char *dst, size_t size, const char *src, bool keep_nl);
/* Result text on stdout, escaped as msg_escape(keep_nl) does. */
void msg_out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A JSON result on stdout, indented, all non-ASCII as \uXXXX; -1 on failure. */
int msg_out_json(struct json_t *root);
/* Progress line on a terminal only (overwritten in place); NULL text ends it. */
void msg_progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * The progress line as a count, "ufw: 120/400 rules, 280 left, about 4m40s to
 * go": the estimate from the rate since the first count of the line.
 */
void msg_progress_count(const char *what, const char *unit, size_t done, size_t total);

#endif
