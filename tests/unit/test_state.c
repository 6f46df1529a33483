// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * state.json and applied.rec round trips (and the applied.txt of older versions), damaged files
 * reported as corrupt (never read as a smaller set), file modes, and the run lock held by another
 * process (a forked child). Prefixes are documentation ranges (made up).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include <cmocka.h>

#include "tmpdir.h"

#include "fileio.h"
#include "diag.h"
#include "prefix.h"
#include "prefix_set.h"
#include "state.h"

struct fx {
	char *dir;
	struct diag d;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->dir = tmpdir_make();
	assert_non_null(f->dir);
	diag_init(&f->d);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	diag_release(&f->d);
	tmpdir_remove(f->dir);
	free(f);
	return 0;
}

static void fill_state(struct state *st)
{
	memset(st, 0, sizeof(*st));
	st->last_run = 1700000100;
	st->last_success = 1700000000;
	st->result = -EPERM;
	st->backend = strdup("nftables");
	st->mode = strdup("lockdown");
	st->count[0] = 15;
	st->count[1] = 7;
	st->sources[0].name = strdup("cloudflare");
	st->sources[0].status = strdup("fresh");
	st->sources[0].count = 22;
	st->sources[0].data_time = 1699999000;
	st->sources[1].name = strdup("office");
	st->sources[1].status = NULL;
	st->sources[1].count = 0;
	st->sources[1].data_time = 0;
	st->nsources = 2;
}

static void write_file(struct fx *f, const char *name, const char *text)
{
	char *p = tmpdir_path(f->dir, name);

	assert_int_equal(tmpdir_write(p, text, strlen(text)), 0);
	free(p);
}

static void test_round_trip(void **state)
{
	struct fx *f = *state;
	struct state in, out;
	char *sub = tmpdir_path(f->dir, "var/lib/cdnallow");
	char *file = tmpdir_path(sub, "state.json");

	fill_state(&in);
	assert_int_equal(state_save(sub, &in, &f->d), 0);
	assert_int_equal(state_load(sub, &out, &f->d), 0);
	assert_string_equal(f->d.msg, "");
	assert_int_equal(out.last_run, in.last_run);
	assert_int_equal(out.last_success, in.last_success);
	assert_int_equal(out.result, -EPERM);
	assert_string_equal(out.backend, "nftables");
	assert_string_equal(out.mode, "lockdown");
	assert_int_equal(out.count[0], 15);
	assert_int_equal(out.count[1], 7);
	assert_int_equal(out.nsources, 2);
	assert_string_equal(out.sources[0].name, "cloudflare");
	assert_string_equal(out.sources[0].status, "fresh");
	assert_int_equal(out.sources[0].count, 22);
	assert_int_equal(out.sources[0].data_time, 1699999000);
	assert_string_equal(out.sources[1].name, "office");
	assert_null(out.sources[1].status);
	assert_int_equal(state_source_count(&out, "cloudflare"), 22);
	assert_int_equal(state_source_count(&out, "missing"), 0);
	assert_int_equal(tmpdir_mode(sub), 0700);
	assert_int_equal(tmpdir_mode(file), 0600);
	assert_int_equal(tmpdir_count(sub, ".tmp."), 0);

	/* saving again replaces the file */
	in.result = 0;
	assert_int_equal(state_save(sub, &in, &f->d), 0);
	state_release(&out);
	assert_int_equal(state_load(sub, &out, &f->d), 0);
	assert_int_equal(out.result, 0);
	state_release(&out);
	assert_null(out.backend);
	state_release(&in);
	free(sub);
	free(file);
}

/* The installed ports and a deliberate flush survive a save; files without them still load. */
static void test_ports_flushed(void **state)
{
	struct fx *f = *state;
	struct state in, out;

	fill_state(&in);
	in.ports = strdup("80,443,8443");
	in.flushed = 1700000500;
	assert_int_equal(state_save(f->dir, &in, &f->d), 0);
	assert_int_equal(state_load(f->dir, &out, &f->d), 0);
	assert_string_equal(out.ports, "80,443,8443");
	assert_int_equal(out.flushed, 1700000500);
	state_release(&out);
	free(in.ports);
	in.ports = NULL;
	in.flushed = 0;
	assert_int_equal(state_save(f->dir, &in, &f->d), 0);
	assert_int_equal(state_load(f->dir, &out, &f->d), 0);
	assert_null(out.ports);
	assert_int_equal(out.flushed, 0);
	state_release(&out);
	write_file(f, "state.json",
		   "{\"version\": 1, \"last_run\": 1, \"last_success\": 1, \"result\": 0, "
		   "\"backend\": \"ufw\", \"mode\": \"allow\", \"ports\": 443, "
		   "\"count\": {\"ipv4\": 0, \"ipv6\": 0}, \"sources\": []}");
	assert_int_equal(state_load(f->dir, &out, &f->d), -EBADMSG);
	assert_non_null(strstr(f->d.msg, "'ports'"));
	state_release(&in);
}

static void test_missing(void **state)
{
	struct fx *f = *state;
	struct state st;
	struct prefix_set *set = prefix_set_new();

	assert_int_equal(state_load(f->dir, &st, &f->d), -ENOENT);
	assert_int_equal(state_load_applied(f->dir, set, &f->d), -ENOENT);
	assert_string_equal(f->d.msg, "");
	prefix_set_free(set);
}

static void test_corrupt(void **state)
{
	static const struct {
		const char *text, *why;
	} cases[] = {
		{ "", "line 1" },
		{ "{\"version\":1,\"last_run\":17", "line 1" },
		{ "[]", "not a JSON object" },
		{ "{\"version\":2}", "version 2 is not 1" },
		{ "{\"version\":1}", "'last_run' is missing" },
		{ "{\"version\":1,\"last_run\":1,\"last_success\":1,\"result\":0,"
		  "\"backend\":5}",
		  "'backend' is missing or not a string" },
		{ "{\"version\":1,\"last_run\":1,\"last_success\":1,\"result\":0,"
		  "\"backend\":\"x\",\"mode\":\"allow\"}",
		  "'count' is missing" },
		{ "{\"version\":1,\"last_run\":1,\"last_success\":1,\"result\":0,"
		  "\"backend\":\"x\",\"mode\":\"allow\",\"count\":{\"ipv4\":-1,\"ipv6\":0}}",
		  "'ipv4' is missing" },
		{ "{\"version\":1,\"last_run\":1,\"last_success\":1,\"result\":0,"
		  "\"backend\":\"x\",\"mode\":\"allow\",\"count\":{\"ipv4\":1,\"ipv6\":0}}",
		  "'sources' is missing" },
		{ "{\"version\":1,\"last_run\":1,\"last_success\":1,\"result\":0,"
		  "\"backend\":\"x\",\"mode\":\"allow\",\"count\":{\"ipv4\":1,\"ipv6\":0},"
		  "\"sources\":[{\"name\":\"a\",\"status\":\"fresh\",\"count\":1}]}",
		  "'data_time' is missing" },
		{ "{\"version\":1,\"last_run\":1,\"last_run\":2}", "duplicate" },
	};
	struct fx *f = *state;
	struct state st;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		write_file(f, "state.json", cases[i].text);
		assert_int_equal(state_load(f->dir, &st, &f->d), -EBADMSG);
		assert_non_null(strstr(f->d.msg, "state file '"));
		assert_non_null(strstr(f->d.msg, "/state.json' is corrupt ("));
		if (!strstr(f->d.msg, cases[i].why))
			fail_msg("case %zu: '%s' lacks '%s'", i, f->d.msg, cases[i].why);
		/* nothing half-filled is left to free */
		assert_null(st.backend);
		assert_int_equal(st.nsources, 0);
		diag_clear_err(&f->d);
	}
}

static void test_too_many_sources(void **state)
{
	struct fx *f = *state;
	struct state st;
	char *text = NULL, *p;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);

	assert_non_null(m);
	fputs("{\"version\":1,\"last_run\":1,\"last_success\":1,\"result\":0,\"backend\":null,"
	      "\"mode\":null,\"count\":{\"ipv4\":0,\"ipv6\":0},\"sources\":[",
	      m);
	for (int i = 0; i <= STATE_MAX_SOURCES; i++)
		fprintf(m, "%s{\"name\":\"s%d\",\"status\":null,\"count\":0,\"data_time\":0}",
			i ? "," : "", i);
	fputs("]}", m);
	fclose(m);
	write_file(f, "state.json", text);
	assert_int_equal(state_load(f->dir, &st, &f->d), -EBADMSG);
	assert_non_null(strstr(f->d.msg, "more than 64 sources"));
	/* one source fewer is fine */
	p = strstr(text, ",{\"name\":\"s64\"");
	assert_non_null(p);
	strcpy(p, "]}");
	write_file(f, "state.json", text);
	assert_int_equal(state_load(f->dir, &st, &f->d), 0);
	assert_int_equal(st.nsources, STATE_MAX_SOURCES);
	assert_null(st.backend);
	state_release(&st);
	free(text);
}

static void add(struct prefix_set *s, const char *text)
{
	struct prefix p;

	assert_int_equal(prefix_parse(text, strlen(text), &p, NULL), 0);
	assert_int_equal(prefix_set_add(s, &p), 0);
}

static struct prefix_set *sample_set(void)
{
	struct prefix_set *s = prefix_set_new();

	assert_non_null(s);
	add(s, "198.51.100.0/24");
	add(s, "192.0.2.0/25");
	add(s, "192.0.2.128/25");
	add(s, "2001:db8:2::/48");
	add(s, "203.0.113.7/32");
	add(s, "2001:db8::/48");
	assert_int_equal(prefix_set_aggregate(s), 0);
	return s;
}

/* Reads the applied record; *len its size. */
static char *read_rec(struct fx *f, size_t *len)
{
	char *path = tmpdir_path(f->dir, "applied.rec"), *buf = NULL;

	assert_int_equal(file_read_all(path, 1 << 20, &buf, len), 0);
	free(path);
	return buf;
}

static void write_rec(struct fx *f, const char *buf, size_t len)
{
	char *p = tmpdir_path(f->dir, "applied.rec");

	assert_int_equal(tmpdir_write(p, buf, len), 0);
	free(p);
}

static void test_applied_round_trip(void **state)
{
	struct fx *f = *state;
	struct prefix_set *in = sample_set(), *out = prefix_set_new();
	char *path = tmpdir_path(f->dir, "applied.rec");
	char *buf = NULL;
	size_t len = 0;

	assert_int_equal(state_save_applied(f->dir, in, NULL, &f->d), 0);
	buf = read_rec(f, &len);
	/* header 32, then 5 + 5 + 6 bytes for the IPv4 prefixes and 8 + 8 for the /48s */
	assert_int_equal(len, 32 + 5 + 5 + 6 + 8 + 8);
	assert_memory_equal(buf, "CDNAAPL1", 8);
	assert_memory_equal(buf + 24, "\3\0\0\0\2\0\0\0", 8);
	assert_int_equal(tmpdir_mode(path), 0600);
	/* load clears what the set held before */
	add(out, "203.0.113.0/24");
	assert_int_equal(state_load_applied(f->dir, out, &f->d), 0);
	assert_true(prefix_set_equal(in, out));

	/* the empty set round-trips too */
	prefix_set_clear(in);
	assert_int_equal(state_save_applied(f->dir, in, NULL, &f->d), 0);
	assert_int_equal(state_load_applied(f->dir, out, &f->d), 0);
	assert_int_equal(out->n, 0);
	assert_string_equal(f->d.msg, "");
	free(buf);
	free(path);
	prefix_set_free(in);
	prefix_set_free(out);
}

/* A host upgraded from applied.txt: read until the first save, which removes it. */
static void test_applied_legacy_text(void **state)
{
	struct fx *f = *state;
	struct prefix_set *in = sample_set(), *out = prefix_set_new();
	char *txt = tmpdir_path(f->dir, "applied.txt");

	write_file(f, "applied.txt",
		   "# cdnallow applied set v1: 3 ipv4, 2 ipv6\n"
		   "192.0.2.0/24\n198.51.100.0/24\n203.0.113.7/32\n2001:db8::/48\n"
		   "2001:db8:2::/48\n");
	assert_int_equal(state_load_applied(f->dir, out, &f->d), 0);
	assert_true(prefix_set_equal(in, out));
	assert_false(state_applied_is(f->dir, in, NULL)); /* the next sync writes the record */
	assert_int_equal(state_save_applied(f->dir, in, NULL, &f->d), 0);
	assert_int_equal(access(txt, F_OK), -1);
	assert_int_equal(state_load_applied(f->dir, out, &f->d), 0);
	assert_true(prefix_set_equal(in, out));
	/* the record wins over a text file left beside it */
	write_file(f, "applied.txt", "# cdnallow applied set v1: 1 ipv4, 0 ipv6\n192.0.2.0/24\n");
	assert_int_equal(state_load_applied(f->dir, out, &f->d), 0);
	assert_true(prefix_set_equal(in, out));
	free(txt);
	prefix_set_free(in);
	prefix_set_free(out);
}

/* A no-op's check: only the exact bytes a save would write count as current. */
static void test_applied_is(void **state)
{
	struct fx *f = *state;
	struct prefix_set *in = sample_set(), *other = sample_set();
	char *buf = NULL;
	size_t len = 0;

	assert_false(state_applied_is(f->dir, in, NULL));
	assert_int_equal(state_save_applied(f->dir, in, NULL, &f->d), 0);
	assert_true(state_applied_is(f->dir, in, NULL));
	add(other, "233.252.0.0/24");
	assert_int_equal(prefix_set_aggregate(other), 0);
	assert_false(state_applied_is(f->dir, other, NULL));
	/* one byte changed, one byte less, one byte more */
	buf = read_rec(f, &len);
	buf[len - 1] ^= 1;
	write_rec(f, buf, len);
	assert_false(state_applied_is(f->dir, in, NULL));
	buf[len - 1] ^= 1;
	write_rec(f, buf, len - 1);
	assert_false(state_applied_is(f->dir, in, NULL));
	buf = realloc(buf, len + 1);
	assert_non_null(buf);
	buf[len] = 0;
	write_rec(f, buf, len + 1);
	assert_false(state_applied_is(f->dir, in, NULL));
	write_rec(f, buf, len);
	assert_true(state_applied_is(f->dir, in, NULL));
	free(buf);
	prefix_set_free(in);
	prefix_set_free(other);
}

/*
 * The reader every cache shares: the set with the recorded checksum and count,
 * else only -ESTALE (missing, another set or version) or -EBADMSG (damaged,
 * another count, unreadable), never a set.
 */
static void test_applied_as(void **state)
{
	struct fx *f = *state;
	struct prefix_set *in = sample_set(), *set = prefix_set_new();
	char *buf = NULL, *bad = NULL, *path = tmpdir_path(f->dir, "applied.rec");
	uint64_t sum = 0;
	size_t len = 0;

	assert_int_equal(state_load_applied_as(f->dir, 1, in->n, set), -ESTALE); /* none yet */
	assert_int_equal(state_save_applied(f->dir, in, &sum, &f->d), 0);
	assert_int_equal(state_load_applied_as(f->dir, sum, in->n, set), 0);
	assert_true(prefix_set_equal(set, in));
	assert_int_equal(state_load_applied_as(f->dir, sum, STATE_ANY_COUNT, set), 0);
	assert_int_equal(set->n, in->n);
	assert_int_equal(state_load_applied_as(f->dir, sum ^ 1, in->n, set), -ESTALE);
	assert_int_equal(set->n, 0);
	add(set, "233.252.0.0/24");
	assert_int_equal(state_load_applied_as(f->dir, sum, in->n - 1, set), -EBADMSG);
	assert_int_equal(set->n, 0);
	assert_int_equal(state_load_applied_as(f->dir, sum, in->n + 1, set), -EBADMSG);
	buf = read_rec(f, &len);
	assert_int_equal(state_parse_applied_as(NULL, 0, sum, in->n, set), -ESTALE);
	assert_int_equal(state_parse_applied_as(buf, len, sum, in->n, set), 0);
	bad = malloc(len);
	assert_non_null(bad);
	memcpy(bad, buf, len);
	bad[len - 1] ^= 1; /* the checksum field still names the set */
	assert_int_equal(state_parse_applied_as(bad, len, sum, in->n, set), -EBADMSG);
	assert_int_equal(set->n, 0);
	assert_int_equal(state_parse_applied_as(buf, len - 1, sum, in->n, set), -EBADMSG);
	memcpy(bad, buf, len);
	bad[7] = '2'; /* another version */
	assert_int_equal(state_parse_applied_as(bad, len, sum, in->n, set), -ESTALE);
	/* unreadable (a directory in its place): damaged, never missing */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(state_load_applied_as(f->dir, sum, in->n, set), -EBADMSG);
	assert_int_equal(rmdir(path), 0);
	free(bad);
	free(buf);
	free(path);
	prefix_set_free(in);
	prefix_set_free(set);
}

/* Every damage to the record reads as corrupt (or stale), never as a smaller set. */
static void test_applied_rec_damaged(void **state)
{
	struct fx *f = *state;
	struct prefix_set *in = sample_set(), *set = prefix_set_new();
	char *buf = NULL, *bad = NULL;
	size_t len = 0;

	assert_int_equal(state_save_applied(f->dir, in, NULL, &f->d), 0);
	buf = read_rec(f, &len);
	bad = malloc(len);
	assert_non_null(bad);
	/* every single flipped bit, and every cut */
	for (size_t i = 0; i < len * 8; i++) {
		memcpy(bad, buf, len);
		bad[i / 8] ^= (char)(1 << (i % 8));
		write_rec(f, bad, len);
		add(set, "233.252.0.0/24");
		if (state_load_applied(f->dir, set, &f->d) >= 0)
			fail_msg("bit %zu flipped: loaded %zu prefixes", i, set->n);
		assert_int_equal(set->n, 0);
		assert_non_null(strstr(f->d.msg, "applied set"));
		diag_clear_err(&f->d);
	}
	for (size_t n = 0; n < len; n++) {
		write_rec(f, buf, n);
		assert_int_equal(state_load_applied(f->dir, set, &f->d), -EBADMSG);
		assert_int_equal(set->n, 0);
		diag_clear_err(&f->d);
	}
	/* another version: stale, not decoded */
	memcpy(bad, buf, len);
	bad[7] = '2';
	write_rec(f, bad, len);
	assert_int_equal(state_load_applied(f->dir, set, &f->d), -ESTALE);
	assert_non_null(strstr(f->d.msg, "another version"));
	free(bad);
	free(buf);
	prefix_set_free(in);
	prefix_set_free(set);
}

static void test_applied_corrupt(void **state)
{
	static const struct {
		const char *text, *why;
	} cases[] = {
		/* cut at a line boundary: still parses, but the header counts disagree */
		{ "# cdnallow applied set v1: 3 ipv4, 2 ipv6\n192.0.2.0/24\n198.51.100.0/24\n",
		  "header says 3 ipv4 and 2 ipv6, file holds 2 and 0" },
		{ "# cdnallow applied set v1: 1 ipv4, 0 ipv6\n192.0.2.0/2x\n", "corrupt: " },
		{ "192.0.2.0/24\n", "no valid header line" },
		{ "# cdnallow applied set v1: x ipv4, 0 ipv6\n192.0.2.0/24\n",
		  "no valid header line" },
		{ "", "no valid header line" },
	};
	struct fx *f = *state;
	struct prefix_set *set = prefix_set_new();

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		write_file(f, "applied.txt", cases[i].text);
		add(set, "203.0.113.0/24");
		assert_int_equal(state_load_applied(f->dir, set, &f->d), -EBADMSG);
		if (!strstr(f->d.msg, cases[i].why))
			fail_msg("case %zu: '%s' lacks '%s'", i, f->d.msg, cases[i].why);
		assert_non_null(strstr(f->d.msg, "applied"));
		/* never a partial set */
		assert_int_equal(set->n, 0);
		diag_clear_err(&f->d);
	}
	prefix_set_free(set);
}

/* A child takes the lock, reports on a pipe, and holds it until told (or for hold_ms). */
static pid_t lock_child(const char *dir, int hold_ms, int *ready_fd, int *release_fd)
{
	int ready[2], release[2];
	pid_t pid;

	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(release), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct diag d;
		int fd = -1;
		char c = 'x';

		diag_init(&d);
		close(ready[0]);
		close(release[1]);
		if (state_lock(dir, 0, &fd, &d) < 0)
			_exit(1);
		if (write(ready[1], &c, 1) != 1)
			_exit(2);
		if (hold_ms > 0) {
			struct timespec ts = { hold_ms / 1000, (hold_ms % 1000) * 1000000L };

			nanosleep(&ts, NULL);
		} else if (read(release[0], &c, 1) < 0) {
			_exit(3);
		}
		state_unlock(fd);
		_exit(0);
	}
	close(ready[1]);
	close(release[0]);
	*ready_fd = ready[0];
	*release_fd = release[1];
	return pid;
}

static void wait_child(pid_t pid)
{
	int status = 0;

	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* Whoever can write the state dir can forge what --offline applies (issue 14, finding 9). */
static void test_dir_check(void **state)
{
	struct fx *f = *state;
	char *missing = tmpdir_path(f->dir, "not-yet");
	char *file = tmpdir_path(f->dir, "plain");

	assert_int_equal(chmod(f->dir, 0700), 0);
	assert_int_equal(state_dir_check(f->dir, &f->d), 0);
	assert_int_equal(state_dir_check(missing, &f->d), 0);
	assert_int_equal(chmod(f->dir, 0750), 0);
	assert_int_equal(state_dir_check(f->dir, &f->d), 0);
	assert_int_equal(chmod(f->dir, 0777), 0);
	assert_int_equal(state_dir_check(f->dir, &f->d), -EPERM);
	assert_non_null(strstr(f->d.msg, "mode 0777"));
	assert_non_null(strstr(f->d.msg, "chmod 0700"));
	diag_clear_err(&f->d);
	assert_int_equal(chmod(f->dir, 0770), 0);
	assert_int_equal(state_dir_check(f->dir, &f->d), -EPERM);
	diag_clear_err(&f->d);
	/* a world-writable state dir also refuses the lock */
	{
		int fd = -1;

		assert_int_equal(state_lock(f->dir, 0, &fd, &f->d), -EPERM);
		assert_int_equal(fd, -1);
		diag_clear_err(&f->d);
	}
	assert_int_equal(chmod(f->dir, 0700), 0);
	write_file(f, "plain", "x");
	assert_int_equal(state_dir_check(file, &f->d), -ENOTDIR);
	diag_clear_err(&f->d);
	/* another user's dir (needs root to make one) */
	if (geteuid() == 0) {
		assert_int_equal(chown(f->dir, 65534, 65534), 0);
		assert_int_equal(state_dir_check(f->dir, &f->d), -EPERM);
		assert_non_null(strstr(f->d.msg, "uid 65534"));
		diag_clear_err(&f->d);
		assert_int_equal(chown(f->dir, 0, 0), 0);
	}
	free(missing);
	free(file);
}

/* State files: no symlink followed, no FIFO, nothing group/others could write. */
static void test_private_files(void **state)
{
	struct fx *f = *state;
	char *good = tmpdir_path(f->dir, "state.json"), *link = tmpdir_path(f->dir, "link");
	char *fifo = tmpdir_path(f->dir, "fifo"), *buf = NULL;
	size_t len = 0;
	struct state st;

	fill_state(&st);
	assert_int_equal(state_save(f->dir, &st, &f->d), 0);
	state_release(&st);
	assert_int_equal(file_read_private(good, 1 << 20, &buf, &len), 0);
	free(buf);
	assert_int_equal(symlink(good, link), 0);
	assert_int_equal(file_read_private(link, 1 << 20, &buf, &len), -ELOOP);
	assert_int_equal(file_read_all(link, 1 << 20, &buf, &len), 0);
	free(buf);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(file_read_private(fifo, 1 << 20, &buf, &len), -EPERM);
	assert_int_equal(chmod(good, 0620), 0);
	assert_int_equal(file_read_private(good, 1 << 20, &buf, &len), -EPERM);
	assert_int_not_equal(state_load(f->dir, &st, &f->d), 0);
	diag_clear_err(&f->d);
	assert_int_equal(chmod(good, 0600), 0);
	assert_int_equal(state_load(f->dir, &st, &f->d), 0);
	state_release(&st);
	free(good);
	free(link);
	free(fifo);
}

/* The lock file must be a regular file: a FIFO would hang the open, a symlink redirect it. */
static void test_lock_file_kind(void **state)
{
	struct fx *f = *state;
	char *lock = tmpdir_path(f->dir, "lock"), *target = tmpdir_path(f->dir, "target");
	int fd = -1;

	assert_int_equal(mkfifo(lock, 0600), 0);
	assert_int_equal(state_lock(f->dir, 0, &fd, &f->d), -EPERM);
	assert_non_null(strstr(f->d.msg, "not a regular file"));
	diag_clear_err(&f->d);
	assert_int_equal(unlink(lock), 0);
	write_file(f, "target", "");
	assert_int_equal(symlink(target, lock), 0);
	assert_int_equal(state_lock(f->dir, 0, &fd, &f->d), -ELOOP);
	assert_int_equal(fd, -1);
	diag_clear_err(&f->d);
	assert_int_equal(unlink(lock), 0);
	assert_int_equal(state_lock(f->dir, 0, &fd, &f->d), 0);
	state_unlock(fd);
	free(lock);
	free(target);
}

static void test_lock_contention(void **state)
{
	struct fx *f = *state;
	int ready, release, fd = -1;
	char c, want[64];
	struct timespec t0, t1;
	pid_t pid = lock_child(f->dir, 0, &ready, &release);

	assert_int_equal(read(ready, &c, 1), 1);
	assert_int_equal(state_lock(f->dir, 0, &fd, &f->d), -EWOULDBLOCK);
	assert_int_equal(fd, -1);
	assert_non_null(strstr(f->d.msg, "/lock'"));
	assert_non_null(strstr(f->d.msg, f->dir));
	snprintf(want, sizeof(want), "(pid %ld)", (long)pid);
	if (!strstr(f->d.msg, want))
		fail_msg("'%s' does not name the holder %s", f->d.msg, want);
	diag_clear_err(&f->d);

	/* waiting: still held after 1 s */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(state_lock(f->dir, 1, &fd, &f->d), -EWOULDBLOCK);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(t1.tv_sec - t0.tv_sec >= 1);
	diag_clear_err(&f->d);

	assert_int_equal(write(release, "x", 1), 1);
	wait_child(pid);
	close(ready);
	close(release);
	assert_int_equal(state_lock(f->dir, 0, &fd, &f->d), 0);
	assert_true(fd >= 0);
	state_unlock(fd);
	state_unlock(-1);
}

static void test_lock_waits_for_release(void **state)
{
	struct fx *f = *state;
	int ready, release, fd = -1;
	char c, *lock = tmpdir_path(f->dir, "lock");
	pid_t pid = lock_child(f->dir, 300, &ready, &release);

	assert_int_equal(read(ready, &c, 1), 1);
	assert_int_equal(state_lock(f->dir, 5, &fd, &f->d), 0);
	assert_string_equal(f->d.msg, "");
	assert_int_equal(tmpdir_mode(lock), 0600);
	/* a second open file description conflicts even within one process */
	{
		int fd2 = -1;

		assert_int_equal(state_lock(f->dir, 0, &fd2, &f->d), -EWOULDBLOCK);
		assert_int_equal(fd2, -1);
	}
	state_unlock(fd);
	wait_child(pid);
	close(ready);
	close(release);
	free(lock);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ports_flushed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_many_sources, setup, teardown),
		cmocka_unit_test_setup_teardown(test_applied_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_applied_corrupt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_applied_is, setup, teardown),
		cmocka_unit_test_setup_teardown(test_applied_legacy_text, setup, teardown),
		cmocka_unit_test_setup_teardown(test_applied_as, setup, teardown),
		cmocka_unit_test_setup_teardown(test_applied_rec_damaged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dir_check, setup, teardown),
		cmocka_unit_test_setup_teardown(test_private_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_file_kind, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_contention, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_waits_for_release, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
