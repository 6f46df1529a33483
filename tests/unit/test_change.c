// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for change events (src/core/change.c, src/core/history.c): the
 * document's exact JSON and its round trip, what the parser refuses, the
 * history file's append, torn-line repair and rotation, a reader that skips
 * bad lines with a warning, and the per-source record: sources.rec, its
 * refusal of a truncated or altered image, and the sources.json it migrates
 * from. No root, no network.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "change.h"
#include "diag.h"
#include "fileio.h"
#include "hash.h"
#include "history.h"
#include "prefix_pack.h"
#include "prefix_set.h"
#include "state.h"
#include "tmpdir.h"

static void add(struct prefix_set *s, const char *cidr)
{
	struct prefix p;

	assert_int_equal(prefix_parse(cidr, strlen(cidr), &p, NULL), 0);
	assert_int_equal(prefix_set_add(s, &p), 0);
}

/* office: +198.51.100.0/24 +2001:db8:ce::/48 -192.0.2.0/25; the firewall the same; output nginx */
static void sample(struct change *c)
{
	struct change_delta *dl;

	assert_int_equal(change_init(c), 0);
	c->time = 1796337600; /* 2026-12-03T22:40:00Z */
	strcpy(c->backend, "nftables");
	strcpy(c->mode, "allow");
	c->fw_changed = true;
	add(c->fw.add, "198.51.100.0/24");
	add(c->fw.add, "2001:db8:ce::/48");
	add(c->fw.del, "192.0.2.0/25");
	assert_int_equal(change_add_output(c, "nginx"), 0);
	assert_int_equal(change_add_source(c, "office", &dl), 0);
	assert_int_equal(prefix_set_copy(dl->add, c->fw.add), 0);
	assert_int_equal(prefix_set_copy(dl->del, c->fw.del), 0);
}

static const char sample_json[] =
	"{\"format\":\"cdnallow-change\",\"version\":1,\"time\":\"2026-12-03T22:40:00Z\","
	"\"backend\":\"nftables\",\"mode\":\"allow\",\"firewall\":{\"ipv4\":{\"added\":"
	"[\"198.51.100.0/24\"],\"removed\":[\"192.0.2.0/25\"]},\"ipv6\":{\"added\":"
	"[\"2001:db8:ce::/48\"],\"removed\":[]},\"changed\":true},\"outputs\":[\"nginx\"],"
	"\"sources\":[{\"name\":\"office\",\"ipv4\":{\"added\":[\"198.51.100.0/24\"],"
	"\"removed\":[\"192.0.2.0/25\"]},\"ipv6\":{\"added\":[\"2001:db8:ce::/48\"],"
	"\"removed\":[]}}]}";

static void test_render_exact(void **state)
{
	struct change c;
	char *doc = NULL;

	(void)state;
	sample(&c);
	assert_false(change_is_empty(&c));
	assert_int_equal(change_render(&c, &doc), 0);
	assert_string_equal(doc, sample_json);
	free(doc);
	change_release(&c);
}

static void test_parse_round_trip(void **state)
{
	struct change c;
	struct diag d;
	char *doc = NULL;

	(void)state;
	diag_init(&d);
	assert_int_equal(change_init(&c), 0);
	assert_int_equal(change_parse(sample_json, strlen(sample_json), &c, &d), 0);
	assert_int_equal(c.time, 1796337600);
	assert_string_equal(c.backend, "nftables");
	assert_true(c.fw_changed);
	assert_int_equal(c.nsrc, 1);
	assert_string_equal(c.src[0].name, "office");
	assert_int_equal(change_count(c.src[0].add, AF_INET), 1);
	assert_int_equal(change_count(c.src[0].add, AF_INET6), 1);
	assert_int_equal(change_count(c.src[0].del, AF_INET), 1);
	assert_int_equal(c.noutputs, 1);
	assert_int_equal(change_render(&c, &doc), 0);
	assert_string_equal(doc, sample_json);
	free(doc);
	change_release(&c);
	diag_release(&d);
}

static void parse_bad(const char *doc, const char *why)
{
	struct change c;
	struct diag d;

	diag_init(&d);
	assert_int_equal(change_init(&c), 0);
	assert_int_equal(change_parse(doc, strlen(doc), &c, &d), -EBADMSG);
	if (!strstr(d.msg, why))
		fail_msg("'%s': '%s' lacks '%s'", doc, d.msg, why);
	change_release(&c);
	diag_release(&d);
}

static void test_parse_refusals(void **state)
{
	char *v2 = strdup(sample_json), *p;

	(void)state;
	parse_bad("", "not a JSON object");
	parse_bad("[1]", "not a JSON object");
	parse_bad("{\"format\":\"cdnallow-ranges/1\"}", "not a cdnallow-change document");
	assert_non_null(v2);
	p = strstr(v2, "\"version\":1");
	p[10] = '2';
	parse_bad(v2, "unsupported version");
	parse_bad("{\"format\":\"cdnallow-change\",\"version\":1,\"time\":\"yesterday\"}",
		  "'time' is not an RFC 3339");
	parse_bad("{\"format\":\"cdnallow-change\",\"version\":1,\"time\":\"2026-12-03T22:40:00Z\","
		  "\"backend\":\"nft\",\"mode\":\"allow\",\"firewall\":{\"ipv4\":{\"added\":"
		  "[\"2001:db8::/32\"],\"removed\":[]}}}",
		  "firewall.ipv4.added[0] is not an IPv4 prefix");
	parse_bad("{\"format\":\"cdnallow-change\",\"version\":1,\"time\":\"2026-12-03T22:40:00Z\","
		  "\"backend\":\"nft\",\"mode\":\"allow\",\"firewall\":{\"ipv4\":{\"added\":[],"
		  "\"removed\":[]},\"ipv6\":{\"added\":[],\"removed\":[]}},\"sources\":[{}]}",
		  "sources[0]: 'name' missing");
	free(v2);
}

static char *read_text(const char *path)
{
	char *buf = NULL;
	size_t len = 0;

	assert_int_equal(file_read_all(path, 1 << 20, &buf, &len), 0);
	return buf;
}

static int append_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "a");
	int ret;

	if (!f)
		return -1;
	ret = fputs(text, f) < 0;
	return fclose(f) || ret ? -1 : 0;
}

static void test_history_append_and_read(void **state)
{
	char *dir = tmpdir_make(), *path, *text;
	struct history h = { 0 };
	struct diag d;

	(void)state;
	diag_init(&d);
	assert_non_null(dir);
	path = tmpdir_path(dir, HISTORY_FILE);
	assert_int_equal(history_append(dir, sample_json, HISTORY_ROTATE_SIZE, &d), 0);
	/* a crash in the middle of a line: the next append ends it first */
	assert_int_equal(append_text(path, "{\"format\":\"cdnal"), 0);
	assert_int_equal(history_append(dir, sample_json, HISTORY_ROTATE_SIZE, &d), 0);
	assert_int_equal(tmpdir_mode(path), 0600);
	text = read_text(path);
	assert_int_equal(strlen(text), 2 * (sizeof(sample_json)) + strlen("{\"format\":\"cdnal\n"));
	free(text);
	assert_int_equal(history_read(dir, &h, &d), 0);
	assert_int_equal(h.n, 2);
	assert_int_equal(d.nwarnings, 1);
	assert_non_null(strstr(d.warnings[0], "history.jsonl:2: not a change record, skipped"));
	history_release(&h);
	free(path);
	tmpdir_remove(dir);
	diag_release(&d);
}

/* Beyond the size the file moves to .1 (replacing the older one): two files at most. */
static void test_history_rotation(void **state)
{
	char *dir = tmpdir_make();
	struct history h = { 0 };
	struct diag d;

	(void)state;
	diag_init(&d);
	assert_non_null(dir);
	for (int i = 0; i < 7; i++)
		assert_int_equal(history_append(dir, sample_json, 3 * sizeof(sample_json), &d), 0);
	assert_int_equal(tmpdir_count(dir, HISTORY_FILE), 2);
	assert_int_equal(history_read(dir, &h, &d), 0);
	/* 7 lines, 3 a file: .1 holds 4-6, the current file 7 */
	assert_int_equal(h.n, 4);
	assert_int_equal(d.nwarnings, 0);
	history_release(&h);
	tmpdir_remove(dir);
	diag_release(&d);
}

/* Only a regular file: a symlink planted as history.jsonl is refused, its target untouched. */
static void test_history_refuses_symlink(void **state)
{
	char *dir = tmpdir_make(), *path, *target, *text;
	struct diag d;

	(void)state;
	diag_init(&d);
	assert_non_null(dir);
	path = tmpdir_path(dir, HISTORY_FILE);
	target = tmpdir_path(dir, "target");
	assert_int_equal(tmpdir_write(target, "x", 1), 0);
	assert_int_equal(symlink(target, path), 0);
	assert_true(history_append(dir, sample_json, HISTORY_ROTATE_SIZE, &d) < 0);
	assert_non_null(strstr(d.msg, "cannot append to"));
	text = read_text(target);
	assert_string_equal(text, "x");
	free(text);
	free(path);
	free(target);
	tmpdir_remove(dir);
	diag_release(&d);
}

static void test_sources_round_trip(void **state)
{
	char *dir = tmpdir_make();
	struct source_records r = { 0 }, back = { 0 };
	struct prefix_set *s = prefix_set_new();
	const struct source_record *rec;
	struct diag d;

	(void)state;
	diag_init(&d);
	assert_non_null(dir);
	assert_int_equal(history_load_sources(dir, &back, &d), -ENOENT);
	add(s, "192.0.2.0/24");
	add(s, "2001:db8::/32");
	assert_int_equal(history_add_source(&r, "office", s, 17), 0);
	assert_int_equal(history_add_source(&r, "empty", NULL, 0), 0);
	assert_int_equal(history_save_sources(dir, &r, NULL, 0, &d), 0);
	assert_int_equal(history_load_sources(dir, &back, &d), 0);
	assert_int_equal(back.n, 2);
	rec = history_find_source(&back, "office");
	assert_non_null(rec);
	assert_int_equal(rec->changed_total, 17);
	assert_true(prefix_set_equal(rec->set, s));
	assert_null(history_find_source(&back, "nope"));
	history_sources_release(&back);
	assert_int_equal(history_parse_sources("{\"version\":1,\"sources\":[{\"name\":\"x\"}]}", 38,
					       &back, &d),
			 -EBADMSG);
	assert_non_null(strstr(d.msg, "sources[0]"));
	history_sources_release(&r);
	prefix_set_free(s);
	tmpdir_remove(dir);
	diag_release(&d);
}

/* Every cut and every flipped byte of a sources.rec image is refused, never read as less. */
static void test_sources_rec_damage(void **state)
{
	struct source_records r = { 0 }, back = { 0 };
	struct prefix_set *s = prefix_set_new();
	char *img = NULL, *again = NULL;
	size_t len = 0, len2 = 0;
	struct diag d;

	(void)state;
	add(s, "192.0.2.0/24");
	add(s, "198.51.100.7/32");
	add(s, "2001:db8::/33");
	assert_int_equal(history_add_source(&r, "office", s, 3), 0);
	assert_int_equal(history_pack_sources(&r, NULL, 0, &img, &len), 0);
	/* 36 header + 2 + 6 name + 8 total + 1 kind + 4 count + 5 + 6 + 7 records */
	assert_int_equal(len, 75);
	diag_init(&d);
	assert_int_equal(history_unpack_sources(img, len, NULL, &back, &d), 0);
	assert_int_equal(history_pack_sources(&back, NULL, 0, &again, &len2), 0);
	assert_int_equal(len2, len);
	assert_memory_equal(again, img, len);
	history_sources_release(&back);
	for (size_t cut = 0; cut < len; cut++) {
		assert_int_equal(history_unpack_sources(img, cut, NULL, &back, &d), -EBADMSG);
		assert_int_equal(back.n, 0);
	}
	for (size_t i = 0; i < len; i++) {
		img[i] ^= 0x20;
		assert_int_equal(history_unpack_sources(img, len, NULL, &back, &d), -EBADMSG);
		assert_int_equal(back.n, 0);
		assert_true(d.msg[0] != '\0');
		img[i] ^= 0x20;
	}
	diag_release(&d);
	free(img);
	free(again);
	history_sources_release(&r);
	prefix_set_free(s);
}

/* An upgrade reads sources.json once; the next save writes sources.rec and removes it. */
static void test_sources_migrate_json(void **state)
{
	static const char old[] = "{\"version\":1,\"sources\":[{\"name\":\"office\","
				  "\"changed_total\":5,\"prefixes\":[\"192.0.2.0/24\"]}]}";
	char *dir = tmpdir_make(), *json = NULL, *rec = NULL;
	struct source_records r = { 0 };
	struct diag d;

	(void)state;
	assert_non_null(dir);
	json = tmpdir_path(dir, HISTORY_SOURCES_FILE);
	rec = tmpdir_path(dir, HISTORY_SOURCES_REC);
	assert_int_equal(tmpdir_write(json, old, sizeof(old) - 1), 0);
	diag_init(&d);
	assert_int_equal(history_load_sources(dir, &r, &d), 0);
	assert_true(r.legacy);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.v[0].changed_total, 5);
	assert_int_equal(r.v[0].set->n, 1);
	assert_int_equal(history_save_sources(dir, &r, NULL, 0, &d), 0);
	history_sources_release(&r);
	assert_int_equal(tmpdir_mode(json), -1);
	assert_int_equal(tmpdir_mode(rec), 0600);
	assert_int_equal(history_load_sources(dir, &r, &d), 0);
	assert_false(r.legacy);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.v[0].name, "office");
	history_sources_release(&r);
	/* a damaged sources.rec is reported; the JSON it replaced is not read instead */
	assert_int_equal(tmpdir_write(json, old, sizeof(old) - 1), 0);
	assert_int_equal(tmpdir_write(rec, "CDNASRC2", 8), 0);
	assert_int_equal(history_load_sources(dir, &r, &d), -EBADMSG);
	assert_int_equal(r.n, 0);
	assert_non_null(strstr(d.msg, HISTORY_SOURCES_REC));
	diag_release(&d);
	free(json);
	free(rec);
	tmpdir_remove(dir);
}

/*
 * A source whose list is the applied set is stored as a reference to
 * applied.rec (no copy) and read back from it; once applied.rec holds another
 * set (or none) the reference is stale, never read as that other list.
 */
static void test_sources_ref_applied(void **state)
{
	char *dir = tmpdir_make(), *path = NULL, *buf = NULL;
	struct source_records r = { 0 }, back = { 0 };
	struct prefix_set *s = prefix_set_new(), *other = prefix_set_new();
	const struct source_record *rec;
	uint64_t sum = 0;
	size_t len = 0;
	struct diag d;

	(void)state;
	diag_init(&d);
	assert_non_null(dir);
	for (int i = 0; i < 100; i++) {
		char p[32];

		snprintf(p, sizeof(p), "10.0.%d.0/24", 2 * i);
		add(s, p);
	}
	add(other, "192.0.2.0/24");
	assert_int_equal(state_save_applied(dir, s, &sum, &d), 0);
	assert_int_equal(history_add_source(&r, "office", s, 4), 0);
	assert_int_equal(history_add_source(&r, "extra", other, 1), 0);
	assert_int_equal(history_save_sources(dir, &r, s, sum, &d), 0);
	path = tmpdir_path(dir, HISTORY_SOURCES_REC);
	assert_int_equal(file_read_all(path, 1 << 20, &buf, &len), 0);
	/* header, "office" as a reference (2 + 6 + 8 + 1), "extra" with its one /24 */
	assert_int_equal(len, 36 + 17 + 2 + 5 + 8 + 1 + 4 + 5);
	free(buf);
	assert_int_equal(history_load_sources(dir, &back, &d), 0);
	assert_false(back.legacy);
	rec = history_find_source(&back, "office");
	assert_non_null(rec);
	assert_int_equal(rec->changed_total, 4);
	assert_true(prefix_set_equal(rec->set, s));
	assert_true(prefix_set_equal(history_find_source(&back, "extra")->set, other));
	history_sources_release(&back);
	/* applied.rec replaced behind sources.rec's back (a crash between the two writes) */
	assert_int_equal(state_save_applied(dir, other, NULL, &d), 0);
	assert_int_equal(history_load_sources(dir, &back, &d), -ESTALE);
	assert_int_equal(back.n, 0);
	assert_non_null(strstr(d.msg, "applied"));
	diag_clear_err(&d);
	free(path);
	path = tmpdir_path(dir, "applied.rec");
	unlink(path);
	assert_int_equal(history_load_sources(dir, &back, &d), -ESTALE);
	assert_int_equal(back.n, 0);
	diag_release(&d);
	history_sources_release(&r);
	prefix_set_free(s);
	prefix_set_free(other);
	free(path);
	tmpdir_remove(dir);
}

/* A version 2 sources.rec (before 2026-12) is read once; the next save writes version 3. */
static void test_sources_migrate_v2(void **state)
{
	/* header: magic, payload length 25, FNV-1a (filled in), 1 record */
	uint8_t img[28 + 25] = "CDNASRC2";
	static const uint8_t rec[25] = { 6, 0, 'o', 'f', 'f', 'i', 'c', 'e', 9,	 0,   0, 0, 0,
					 0, 0, 0,   1,	 0,   0,   0,	4,   24, 192, 0, 2 };
	char *dir = tmpdir_make(), *path = NULL, *buf = NULL;
	struct source_records r = { 0 };
	size_t len = 0;
	struct diag d;

	(void)state;
	assert_non_null(dir);
	memcpy(img + 28, rec, sizeof(rec));
	pack_put_le(img + 8, sizeof(rec), 8);
	pack_put_le(img + 16, fnv1a64(img + 28, sizeof(rec)), 8);
	pack_put_le(img + 24, 1, 4);
	path = tmpdir_path(dir, HISTORY_SOURCES_REC);
	assert_int_equal(tmpdir_write(path, (char *)img, 28 + sizeof(rec)), 0);
	diag_init(&d);
	assert_int_equal(history_load_sources(dir, &r, &d), 0);
	assert_true(r.legacy); /* records_changed(): the next sync rewrites it */
	assert_int_equal(r.n, 1);
	assert_int_equal(r.v[0].changed_total, 9);
	assert_int_equal(r.v[0].set->n, 1);
	assert_int_equal(history_save_sources(dir, &r, NULL, 0, &d), 0);
	history_sources_release(&r);
	assert_int_equal(file_read_all(path, 1 << 20, &buf, &len), 0);
	assert_memory_equal(buf, "CDNASRC3", 8);
	assert_int_equal(history_load_sources(dir, &r, &d), 0);
	assert_false(r.legacy);
	assert_int_equal(r.v[0].set->n, 1);
	history_sources_release(&r);
	diag_release(&d);
	free(buf);
	free(path);
	tmpdir_remove(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render_exact),
		cmocka_unit_test(test_parse_round_trip),
		cmocka_unit_test(test_parse_refusals),
		cmocka_unit_test(test_history_append_and_read),
		cmocka_unit_test(test_history_rotation),
		cmocka_unit_test(test_history_refuses_symlink),
		cmocka_unit_test(test_sources_round_trip),
		cmocka_unit_test(test_sources_rec_damage),
		cmocka_unit_test(test_sources_migrate_json),
		cmocka_unit_test(test_sources_ref_applied),
		cmocka_unit_test(test_sources_migrate_v2),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
