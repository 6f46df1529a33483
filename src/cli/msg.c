// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Funnels every message of the program (git's vreportf() idea). Nothing else
 * in the tree may print to stderr. Under systemd stderr is usually the
 * journal already: writing there and to syslog would log every line twice,
 * so then each line is written once, prefixed with its priority ("<4>")
 * which journald turns into the entry's PRIORITY (journalctl -p warning).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "diag.h"
#include "msg.h"

static int verbosity_level;
static enum msg_sink sink = MSG_SINK_TTY;
static bool syslog_open;
static bool progress_shown;

/* "DEV:INO" as systemd writes it (sd_journal_stream_fd(3)), both decimal */
static bool parse_journal_stream(const char *s, uintmax_t *dev, uintmax_t *ino)
{
	char *end;

	if (!s || *s < '0' || *s > '9')
		return false;
	errno = 0;
	*dev = strtoumax(s, &end, 10);
	if (errno || *end != ':' || end[1] < '0' || end[1] > '9')
		return false;
	*ino = strtoumax(end + 1, &end, 10);
	return !errno && *end == '\0';
}

enum msg_sink msg_sink_decide(bool is_tty, const char *journal_stream, dev_t dev, ino_t ino)
{
	uintmax_t jdev, jino;

	if (is_tty)
		return MSG_SINK_TTY;
	/* the variable is inherited by children whose stderr was redirected
	 * elsewhere: only trust it when it names our stderr */
	if (parse_journal_stream(journal_stream, &jdev, &jino) && jdev == (uintmax_t)dev &&
	    jino == (uintmax_t)ino)
		return MSG_SINK_JOURNAL;
	return MSG_SINK_PIPE;
}

bool msg_to_stderr(enum msg_sink s, int verbosity, enum msg_level lvl)
{
	if (lvl == MSG_DEBUG)
		return verbosity > 0;
	if (s == MSG_SINK_JOURNAL)
		return true; /* the journal is the log: -q does not silence it */
	return lvl == MSG_ERROR || verbosity >= 0;
}

bool msg_to_syslog(enum msg_sink s, int verbosity, enum msg_level lvl)
{
	(void)verbosity;
	return s == MSG_SINK_PIPE && lvl != MSG_DEBUG;
}

void msg_init(int verbosity)
{
	struct stat st;
	bool tty = isatty(STDERR_FILENO);

	verbosity_level = verbosity;
	if (!tty && fstat(STDERR_FILENO, &st) == 0)
		sink = msg_sink_decide(false, getenv("JOURNAL_STREAM"), st.st_dev, st.st_ino);
	else
		sink = tty ? MSG_SINK_TTY : MSG_SINK_PIPE;
	if (sink == MSG_SINK_PIPE && !syslog_open) {
		openlog("cdnallow", LOG_PID, LOG_DAEMON);
		syslog_open = true;
	}
}

void msg_close(void)
{
	if (syslog_open)
		closelog();
	syslog_open = false;
}

bool msg_is_tty(void)
{
	return sink == MSG_SINK_TTY;
}

static void vmsg(enum msg_level lvl, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

static void vmsg(enum msg_level lvl, const char *fmt, va_list ap)
{
	static const char *const tag[] = { "error: ", "warning: ", "", "" };
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	char line[4096];

	vsnprintf(line, sizeof(line), fmt, ap);
	if (progress_shown) {
		fputs("\r\033[K", stderr);
		progress_shown = false;
	}
	/* journald names the program itself (SyslogIdentifier): no "cdnallow: " */
	if (msg_to_stderr(sink, verbosity_level, lvl) && sink == MSG_SINK_JOURNAL)
		fprintf(stderr, "<%d>%s%s\n", prio[lvl], tag[lvl], line);
	else if (msg_to_stderr(sink, verbosity_level, lvl))
		fprintf(stderr, "cdnallow: %s%s\n", tag[lvl], line);
	if (msg_to_syslog(sink, verbosity_level, lvl))
		syslog(prio[lvl], "%s%s", tag[lvl], line);
}

void msg(enum msg_level lvl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(lvl, fmt, ap);
	va_end(ap);
}

void msg_diag(const struct diag *d, const char *what)
{
	for (size_t i = 0; i < d->nwarnings; i++)
		msg(MSG_WARN, "%s", d->warnings[i]);
	if (d->msg[0] && what)
		msg(MSG_ERROR, "%s: %s", what, d->msg);
	else if (d->msg[0])
		msg(MSG_ERROR, "%s", d->msg);
}

void msg_progress(const char *fmt, ...)
{
	va_list ap;

	if (sink != MSG_SINK_TTY || verbosity_level < 0)
		return;
	if (!fmt) {
		if (progress_shown)
			fputs("\r\033[K", stderr);
		progress_shown = false;
		return;
	}
	fputs("\r\033[Kcdnallow: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fflush(stderr);
	progress_shown = true;
}
