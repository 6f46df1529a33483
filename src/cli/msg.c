// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Funnels every message of the program (git's vreportf() idea). Nothing else
 * in the tree may print to stderr. Under systemd stderr is usually the
 * journal already: writing there and to syslog would log every line twice,
 * so then each line is written once, prefixed with its priority ("<4>")
 * which journald turns into the entry's PRIORITY (journalctl -p warning).
 * The text and JSON results on stdout go out through here too: this is the
 * one place where bytes that came from the network (a provider's JSON, a
 * kernel name, a server's error) are made harmless for a terminal.
 */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "diag.h"
#include "msg.h"

static int verbosity_level;
static enum msg_sink sink = MSG_SINK_TTY;
static bool syslog_open;
static bool progress_shown;
/* The count of the progress line: the rate is measured from count d0 at time t0 (seconds). */
static struct {
	bool on;
	double t0;
	size_t d0, last;
} progress_rate;

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

/* C0 controls, DEL and the UTF-8 form of C1 (U+0080..U+009F: 0xC2 0x80..0x9F). */
static size_t ctl_len(const unsigned char *p)
{
	if (*p < 0x20 || *p == 0x7f)
		return 1;
	if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
		return 2;
	return 0;
}

size_t msg_escape(char *dst, size_t size, const char *src, bool keep_nl)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)src;
	size_t n = 0, k;

	if (size == 0)
		return 0;
	for (; *p; p += k ? k : 1) {
		k = (*p == '\n' && keep_nl) || *p == '\t' ? 0 : ctl_len(p);
		if (!k) {
			if (n + 1 >= size)
				break;
			dst[n++] = (char)*p;
			continue;
		}
		if (n + 4 * k >= size)
			break;
		for (size_t i = 0; i < k; i++) {
			dst[n++] = '\\';
			dst[n++] = 'x';
			dst[n++] = hex[p[i] >> 4];
			dst[n++] = hex[p[i] & 15];
		}
	}
	dst[n] = '\0';
	return n;
}

static void vmsg(enum msg_level lvl, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

static void vmsg(enum msg_level lvl, const char *fmt, va_list ap)
{
	static const char *const tag[] = { "error: ", "warning: ", "", "" };
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	char raw[4096], line[4 * sizeof(raw)];

	vsnprintf(raw, sizeof(raw), fmt, ap);
	msg_escape(line, sizeof(line), raw, false);
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
	char raw[512], line[4 * sizeof(raw)];
	va_list ap;

	if (!fmt)
		progress_rate.on = false;
	if (sink != MSG_SINK_TTY || verbosity_level < 0)
		return;
	if (!fmt) {
		if (progress_shown)
			fputs("\r\033[K", stderr);
		progress_shown = false;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	msg_escape(line, sizeof(line), raw, false);
	fprintf(stderr, "\r\033[Kcdnallow: %s", line);
	fflush(stderr);
	progress_shown = true;
}

/*
 * ", about 2m10s to go" at count done of total at time now, once the rate is
 * known (two seconds after the first count), else "". A count that goes back
 * (a new pass) measures afresh.
 */
static void progress_eta(char *buf, size_t len, double now, size_t done, size_t total)
{
	unsigned long s;

	buf[0] = '\0';
	if (!progress_rate.on || done < progress_rate.last) {
		progress_rate.on = true;
		progress_rate.t0 = now;
		progress_rate.d0 = done;
	}
	progress_rate.last = done;
	if (now - progress_rate.t0 < 2 || done == progress_rate.d0)
		return;
	s = (unsigned long)((now - progress_rate.t0) / (double)(done - progress_rate.d0) *
				    (double)(total - done) +
			    0.5);
	if (s < 60)
		snprintf(buf, len, ", about %lus to go", s);
	else
		snprintf(buf, len, ", about %lum%02lus to go", s / 60, s % 60);
}

void msg_progress_count(const char *what, const char *unit, size_t done, size_t total)
{
	struct timespec now;
	char eta[64];

	if (sink != MSG_SINK_TTY || verbosity_level < 0 || done > total)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	progress_eta(eta, sizeof(eta), (double)now.tv_sec + (double)now.tv_nsec / 1e9, done, total);
	msg_progress("%s: %zu/%zu %s, %zu left%s", what, done, total, unit, total - done, eta);
}

void msg_out(const char *fmt, ...)
{
	char *raw = NULL, *safe;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&raw, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	safe = malloc(4 * (size_t)n + 1);
	if (safe) {
		msg_escape(safe, 4 * (size_t)n + 1, raw, true);
		fputs(safe, stdout);
	}
	free(safe);
	free(raw);
}

int msg_out_json(json_t *root)
{
	int ret;

	if (!root)
		return -1;
	/* \uXXXX for every control and non-ASCII character: nothing a terminal acts on */
	ret = json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
	fputc('\n', stdout);
	return ret;
}
