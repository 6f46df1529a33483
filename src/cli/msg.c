// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Funnels every message of the program (git's vreportf() idea): stderr, plus
 * syslog off a terminal. Nothing else in the tree may print to stderr.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "diag.h"
#include "msg.h"

static int verbosity_level;
static bool use_syslog;
static bool stderr_tty;
static bool progress_shown;

void msg_init(int verbosity)
{
	verbosity_level = verbosity;
	stderr_tty = isatty(STDERR_FILENO);
	use_syslog = !stderr_tty;
	if (use_syslog)
		openlog("cdnallow", LOG_PID, LOG_DAEMON);
}

void msg_close(void)
{
	if (use_syslog)
		closelog();
}

bool msg_is_tty(void)
{
	return stderr_tty;
}

static void vmsg(enum msg_level lvl, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

static void vmsg(enum msg_level lvl, const char *fmt, va_list ap)
{
	static const char *const tag[] = { "error: ", "warning: ", "", "" };
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	char line[4096];

	if ((int)lvl > verbosity_level + 2 || (verbosity_level < 0 && lvl != MSG_ERROR))
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	if (progress_shown) {
		fputs("\r\033[K", stderr);
		progress_shown = false;
	}
	fprintf(stderr, "cdnallow: %s%s\n", tag[lvl], line);
	if (use_syslog && lvl != MSG_DEBUG)
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

	if (!stderr_tty || verbosity_level < 0)
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
