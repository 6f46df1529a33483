// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Where messages go (src/cli/msg.c, compiled in here because the CLI is not
 * part of cdnallow_core): the sink decision from isatty and JOURNAL_STREAM
 * (only trusted when it names stderr itself), the level filter per sink (-q
 * keeps warnings and the summary in the journal and syslog, quiets the
 * console), and the bytes really written to stderr, captured in a temporary
 * file: once with a "<prio>" prefix when stderr is the journal, the plain
 * "cdnallow: " form otherwise. And the one output filter: control
 * characters that came from the network (a provider's service name with
 * ESC]0;...BEL, a C1 CSI) leave as \xHH text on stderr and stdout, JSON
 * leaves as pure ASCII; plain text is untouched.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../../src/cli/msg.c"

static void sink_decision(void **state)
{
	(void)state;
	assert_int_equal(msg_sink_decide(true, "8:42", 8, 42), MSG_SINK_TTY);
	assert_int_equal(msg_sink_decide(false, "8:42", 8, 42), MSG_SINK_JOURNAL);
	assert_int_equal(msg_sink_decide(false, "0:9", 0, 9), MSG_SINK_JOURNAL);
	assert_int_equal(msg_sink_decide(false, "66306:1234567890123", 66306, 1234567890123ULL),
			 MSG_SINK_JOURNAL);
	/* inherited by a child whose stderr went elsewhere: not the journal */
	assert_int_equal(msg_sink_decide(false, "8:42", 8, 43), MSG_SINK_PIPE);
	assert_int_equal(msg_sink_decide(false, "8:42", 9, 42), MSG_SINK_PIPE);
	assert_int_equal(msg_sink_decide(false, NULL, 8, 42), MSG_SINK_PIPE);
	/* malformed values never match */
	static const char *const bad[] = {
		"",	 ":",	  "8:",	   ":42",   "8",    "8:42x", "8:42:1",
		" 8:42", "8: 42", "-8:42", "8:-42", "x:42", "8;42",  "99999999999999999999999:42"
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(msg_sink_decide(false, bad[i], 8, 42), MSG_SINK_PIPE);
}

static void level_filter(void **state)
{
	(void)state;
	/* journal: warnings and info whatever the verbosity, debug with -v */
	for (int v = -1; v <= 1; v++) {
		assert_true(msg_to_stderr(MSG_SINK_JOURNAL, v, MSG_ERROR));
		assert_true(msg_to_stderr(MSG_SINK_JOURNAL, v, MSG_WARN));
		assert_true(msg_to_stderr(MSG_SINK_JOURNAL, v, MSG_INFO));
		assert_int_equal(msg_to_stderr(MSG_SINK_JOURNAL, v, MSG_DEBUG), v > 0);
		/* never syslog as well: that was the doubled line */
		for (int l = MSG_ERROR; l <= MSG_DEBUG; l++) {
			assert_false(msg_to_syslog(MSG_SINK_JOURNAL, v, (enum msg_level)l));
			assert_false(msg_to_syslog(MSG_SINK_TTY, v, (enum msg_level)l));
		}
		/* cron/pipe: syslog keeps warnings and the summary even with -q */
		assert_true(msg_to_syslog(MSG_SINK_PIPE, v, MSG_ERROR));
		assert_true(msg_to_syslog(MSG_SINK_PIPE, v, MSG_WARN));
		assert_true(msg_to_syslog(MSG_SINK_PIPE, v, MSG_INFO));
		assert_false(msg_to_syslog(MSG_SINK_PIPE, v, MSG_DEBUG));
	}
	/* console (terminal or pipe): -q leaves errors only */
	static const enum msg_sink console[] = { MSG_SINK_TTY, MSG_SINK_PIPE };
	for (size_t i = 0; i < 2; i++) {
		assert_true(msg_to_stderr(console[i], -1, MSG_ERROR));
		assert_false(msg_to_stderr(console[i], -1, MSG_WARN));
		assert_false(msg_to_stderr(console[i], -1, MSG_INFO));
		assert_true(msg_to_stderr(console[i], 0, MSG_WARN));
		assert_true(msg_to_stderr(console[i], 0, MSG_INFO));
		assert_false(msg_to_stderr(console[i], 0, MSG_DEBUG));
		assert_true(msg_to_stderr(console[i], 1, MSG_DEBUG));
	}
}

/* Runs msg_init(verbosity) and four messages with stderr on a temp file; when
 * as_journal, JOURNAL_STREAM names that file. Returns what was written. */
static char *capture(int verbosity, bool as_journal, bool stale_stream)
{
	static char buf[4096];
	FILE *f = tmpfile();
	int saved = dup(STDERR_FILENO);
	struct stat st;
	char js[64];
	size_t n;

	assert_non_null(f);
	assert_true(saved >= 0);
	assert_int_equal(fstat(fileno(f), &st), 0);
	snprintf(js, sizeof(js), "%ju:%ju", (uintmax_t)st.st_dev,
		 (uintmax_t)st.st_ino + (stale_stream ? 1 : 0));
	if (as_journal)
		setenv("JOURNAL_STREAM", js, 1);
	else
		unsetenv("JOURNAL_STREAM");
	fflush(stderr);
	assert_true(dup2(fileno(f), STDERR_FILENO) >= 0);
	msg_init(verbosity);
	msg(MSG_ERROR, "cannot open '%s'", "x");
	msg(MSG_WARN, "using the built-in snapshot");
	msg(MSG_INFO, "sync applied: nftables holds %d IPv4 + %d IPv6 prefixes", 15, 7);
	msg(MSG_DEBUG, "detail");
	msg_close();
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	unsetenv("JOURNAL_STREAM");
	rewind(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void journal_output(void **state)
{
	(void)state;
	/* -q under systemd: everything but debug, once each, with priorities */
	assert_string_equal(capture(-1, true, false),
			    "<3>error: cannot open 'x'\n"
			    "<4>warning: using the built-in snapshot\n"
			    "<6>sync applied: nftables holds 15 IPv4 + 7 IPv6 prefixes\n");
	assert_string_equal(capture(1, true, false),
			    "<3>error: cannot open 'x'\n"
			    "<4>warning: using the built-in snapshot\n"
			    "<6>sync applied: nftables holds 15 IPv4 + 7 IPv6 prefixes\n"
			    "<7>detail\n");
}

static void plain_output(void **state)
{
	(void)state;
	/* JOURNAL_STREAM naming another file: plain lines, -q quiets the console */
	assert_string_equal(capture(-1, true, true), "cdnallow: error: cannot open 'x'\n");
	assert_string_equal(capture(-1, false, false), "cdnallow: error: cannot open 'x'\n");
	assert_string_equal(capture(0, false, false),
			    "cdnallow: error: cannot open 'x'\n"
			    "cdnallow: warning: using the built-in snapshot\n"
			    "cdnallow: sync applied: nftables holds 15 IPv4 + 7 IPv6 prefixes\n");
}

static void test_escape_controls(void **state)
{
	char out[256];

	(void)state;
	msg_escape(out, sizeof(out),
		   "svc EVIL\x1b]0;pwned\x07X\xc2\x9b"
		   "2J\x7f end",
		   false);
	assert_string_equal(out, "svc EVIL\\x1b]0;pwned\\x07X\\xc2\\x9b2J\\x7f end");
	msg_escape(out, sizeof(out), "a\nb\tc\r", false);
	assert_string_equal(out, "a\\x0ab\tc\\x0d");
	msg_escape(out, sizeof(out), "a\nb\r", true);
	assert_string_equal(out, "a\nb\\x0d");
	/* UTF-8 text other than C1 passes: the ellipsis of the plan text, an accented name */
	msg_escape(out, sizeof(out), "\xe2\x80\xa6 caf\xc3\xa9", false);
	assert_string_equal(out, "\xe2\x80\xa6 caf\xc3\xa9");
}

/* Never a partial escape or an overflow when dst is small. */
static void test_escape_bounds(void **state)
{
	char out[8];

	(void)state;
	assert_int_equal(msg_escape(out, sizeof(out), "abc\x1b\x1b", false), 7);
	assert_string_equal(out, "abc\\x1b");
	assert_int_equal(msg_escape(out, 1, "abc", false), 0);
	assert_string_equal(out, "");
	assert_int_equal(msg_escape(out, 0, "abc", false), 0);
}

static void test_json_is_ascii(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	FILE *saved = stdout;
	json_t *root = json_pack("{s:s}", "error", "x\x1b]0;t\x07\xc2\x9b");

	(void)state;
	assert_non_null(mem);
	stdout = mem;
	assert_int_equal(msg_out_json(root), 0);
	stdout = saved;
	fclose(mem);
	json_decref(root);
	for (size_t i = 0; i < len; i++)
		assert_true(buf[i] == '\n' || (buf[i] >= 0x20 && buf[i] < 0x7f));
	assert_non_null(strstr(buf, "\\u001B]0;t\\u0007\\u009B"));
	free(buf);
}

/* The estimate of the progress count: from the first count, afresh when it goes back or ends. */
static void progress_estimate(void **state)
{
	static const struct {
		double now;
		size_t done, total;
		const char *want;
	} steps[] = {
		{ 100, 1, 111, "" },			  /* the first count starts the clock */
		{ 101, 5, 111, "" },			  /* under two seconds: no rate yet */
		{ 103, 11, 111, ", about 30s to go" },	  /* 10 in 3 s, 100 left */
		{ 104, 2, 1000, "" },			  /* a new pass counts from 1 again */
		{ 110, 8, 1000, ", about 16m32s to go" }, /* 6 in 6 s, 992 left */
	};
	char buf[64];

	(void)state;
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		progress_eta(buf, sizeof(buf), steps[i].now, steps[i].done, steps[i].total);
		assert_string_equal(buf, steps[i].want);
	}
	msg_progress(NULL); /* the line ends: the next one measures afresh */
	progress_eta(buf, sizeof(buf), 300, 500, 1000);
	assert_string_equal(buf, "");
	progress_eta(buf, sizeof(buf), 305, 600, 1000);
	assert_string_equal(buf, ", about 20s to go");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sink_decision),	cmocka_unit_test(level_filter),
		cmocka_unit_test(journal_output),	cmocka_unit_test(plain_output),
		cmocka_unit_test(test_escape_controls), cmocka_unit_test(test_escape_bounds),
		cmocka_unit_test(test_json_is_ascii),	cmocka_unit_test(progress_estimate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
