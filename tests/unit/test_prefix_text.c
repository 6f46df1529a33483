// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for the text-list parser (src/core/prefix_text.c): whitespace,
 * comments, line ends and error messages on made-up inputs, then the real
 * provider payloads in FIXTURES_DIR, including the HTML and empty bodies
 * that were served in place of a list.
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

#include <cmocka.h>

#include "diag.h"
#include "parse_helpers.h"
#include "prefix_set.h"

struct ctx {
	struct prefix_set *s;
	struct diag d;
};

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));

	if (!c)
		return -1;
	c->s = prefix_set_new();
	diag_init(&c->d);
	*state = c;
	return c->s ? 0 : -1;
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	prefix_set_free(c->s);
	diag_release(&c->d);
	free(c);
	return 0;
}

static int parse(struct ctx *c, const char *buf, size_t len)
{
	diag_release(&c->d);
	diag_init(&c->d);
	return prefix_set_parse_text(c->s, buf, len, "list.txt", &c->d);
}

static int parse_str(struct ctx *c, const char *text)
{
	return parse(c, text, strlen(text));
}

static int parse_fixture(struct ctx *c, const char *name)
{
	size_t len;
	char *buf = fixture_read(name, &len);
	int r;

	if (!buf)
		fail_msg("cannot read fixture %s", name);
	r = parse(c, buf, len);

	free(buf);
	return r;
}

static void test_layout(void **state)
{
	struct ctx *c = *state;

	assert_int_equal(parse_str(c, "# header\n\n192.0.2.0/24\r\n  198.51.100.0/24\t# edge\n"
				      "\t2001:db8::/32 \r\n#192.0.2.99\n   \n\t\n203.0.113.0/24"),
			 0);
	assert_set(c->s, "192.0.2.0/24 198.51.100.0/24 2001:db8::/32 203.0.113.0/24");
	assert_string_equal(c->d.msg, "");
	assert_int_equal(c->d.nwarnings, 0);
	/* parsing appends */
	assert_int_equal(parse_str(c, "192.0.2.0/25\n"), 0);
	assert_int_equal(c->s->n, 5);
	prefix_set_clear(c->s);
	/* only comments, only blanks, nothing at all, a lone CR */
	assert_int_equal(parse_str(c, "# nothing here\n#\n"), 0);
	assert_int_equal(parse_str(c, "\n\r\n \t \n"), 0);
	assert_int_equal(parse_str(c, ""), 0);
	assert_int_equal(parse(c, NULL, 0), 0);
	assert_int_equal(parse_str(c, "\r"), 0);
	assert_int_equal(c->s->n, 0);
	/* comment glued to the prefix; UTF-8 BOM */
	assert_int_equal(parse_str(c, "\xef\xbb\xbf"
				      "192.0.2.0/24#x\n"),
			 0);
	assert_set(c->s, "192.0.2.0/24");
	prefix_set_clear(c->s);
	/* no trailing newline, and CR only at the very end */
	assert_int_equal(parse_str(c, "192.0.2.0/24\n198.51.100.1\r"), 0);
	assert_set(c->s, "192.0.2.0/24 198.51.100.1/32");
}

static void test_errors(void **state)
{
	struct ctx *c = *state;
	char *big;

	assert_int_equal(parse_str(c, "192.0.2.0/24\n\nbogus entry\n"), -EINVAL);
	assert_string_equal(c->d.msg, "list.txt:3: bad prefix 'bogus entry' (byte offset 14): "
				      "not an IPv4 or IPv6 prefix");
	/* the set is left as it was */
	assert_int_equal(c->s->n, 0);
	assert_int_equal(parse_str(c, "192.0.2.0/24\r\n  192.0.2.0/33 # c\r\n"), -EINVAL);
	assert_string_equal(c->d.msg, "list.txt:2: bad prefix '192.0.2.0/33' (byte offset 16): "
				      "bad prefix length");
	assert_int_equal(parse_str(c, "2001:db8::/32\n::ffff:192.0.2.1"), -EINVAL);
	assert_string_equal(c->d.msg,
			    "list.txt:2: bad prefix '::ffff:192.0.2.1' (byte offset 14): "
			    "IPv4-mapped or IPv4-compatible IPv6 address, use the IPv4 form");
	assert_int_equal(parse_str(c, "192.0.2.0/24 198.51.100.0/24"), -EINVAL);
	assert_int_equal(parse_str(c, "192.0.2.0/24,"), -EINVAL);
	assert_int_equal(parse_str(c, "192.0.2.0/24;"), -EINVAL);
	assert_int_equal(parse_str(c, "192.0.2.0/24\v"), -EINVAL);
	assert_int_equal(parse(c, "192.0.2.0/24\n\x01\xff", 15), -EINVAL);
	assert_string_equal(c->d.msg, "list.txt:2: bad prefix '\\x01\\xff' (byte offset 13): "
				      "not an IPv4 or IPv6 prefix");
	/* NUL anywhere, even in a comment, means this is not text */
	assert_int_equal(parse(c, "192.0.2.0/24\n# a\0b\n", 19), -EINVAL);
	assert_string_equal(c->d.msg, "list.txt:2: NUL byte (byte offset 16): not a text list");
	assert_int_equal(parse(c, "192.0.2.0/24\0", 13), -EINVAL);
	/* a very long token is cut in the message */
	big = malloc(5001);
	assert_non_null(big);
	memset(big, '9', 5000);
	big[5000] = '\0';
	assert_int_equal(parse_str(c, big), -EINVAL);
	assert_true(strlen(c->d.msg) < 200);
	assert_non_null(strstr(c->d.msg, "999...' (byte offset 0)"));
	free(big);
	assert_int_equal(c->s->n, 0);
}

static void test_host_bits_warnings(void **state)
{
	struct ctx *c = *state;
	char buf[4096];
	size_t o = 0;

	assert_int_equal(parse_str(c, "192.0.2.1/24\n2001:db8::1/64\n198.51.100.0/24"), 0);
	assert_set(c->s, "192.0.2.0/24 2001:db8::/64 198.51.100.0/24");
	assert_int_equal(c->d.nwarnings, 2);
	assert_string_equal(c->d.warnings[0],
			    "list.txt:1: '192.0.2.1/24' has host bits set, using 192.0.2.0/24");
	assert_string_equal(c->d.warnings[1],
			    "list.txt:2: '2001:db8::1/64' has host bits set, using 2001:db8::/64");
	prefix_set_clear(c->s);
	for (int i = 0; i < 25; i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "10.0.%d.1/24\n", i);
	assert_int_equal(parse_str(c, buf), 0);
	assert_int_equal(c->s->n, 25);
	assert_int_equal(c->d.nwarnings, 11);
	assert_string_equal(c->d.warnings[9],
			    "list.txt:10: '10.0.9.1/24' has host bits set, using 10.0.9.0/24");
	assert_string_equal(c->d.warnings[10],
			    "list.txt: 25 prefixes had host bits set (first 10 shown)");
}

static void test_html(void **state)
{
	struct ctx *c = *state;

	assert_int_equal(parse_str(c, "\r\n  <!DOCTYPE html>\n<html>"), -EINVAL);
	assert_string_equal(c->d.msg,
			    "list.txt:2: looks like an HTML page, not a list of prefixes");
	assert_int_equal(parse_str(c, "<html>"), -EINVAL);
	assert_string_equal(c->d.msg,
			    "list.txt:1: looks like an HTML page, not a list of prefixes");
	/* '<' after a prefix is just a bad line */
	assert_int_equal(parse_str(c, "192.0.2.0/24\n<html>"), -EINVAL);
	assert_string_equal(c->d.msg, "list.txt:2: bad prefix '<html>' (byte offset 13): "
				      "not an IPv4 or IPv6 prefix");
}

static void test_fixture_cloudflare(void **state)
{
	struct ctx *c = *state;
	struct prefix_set *nl = prefix_set_new();

	assert_int_equal(parse_fixture(c, "cloudflare-ips-v4.txt"), 0);
	assert_int_equal(c->s->n, 15);
	assert_int_equal(prefix_set_count(c->s, AF_INET), 15);
	assert_int_equal(prefix_set_aggregate(c->s), 0);
	assert_int_equal(c->s->n, 15);
	/* the 2021 variant: trailing newline and another order, same set */
	assert_int_equal(prefix_set_copy(nl, c->s), 0);
	prefix_set_clear(c->s);
	assert_int_equal(parse_fixture(c, "cloudflare-ips-v4-trailing-newline.txt"), 0);
	assert_int_equal(c->s->n, 15);
	assert_int_equal(prefix_set_aggregate(c->s), 0);
	assert_true(prefix_set_equal(c->s, nl));

	prefix_set_clear(c->s);
	assert_int_equal(parse_fixture(c, "cloudflare-ips-v6.txt"), 0);
	assert_int_equal(prefix_set_count(c->s, AF_INET6), 7);
	assert_int_equal(prefix_set_aggregate(c->s), 0);
	assert_int_equal(prefix_set_copy(nl, c->s), 0);
	prefix_set_clear(c->s);
	assert_int_equal(parse_fixture(c, "cloudflare-ips-v6-trailing-newline.txt"), 0);
	assert_int_equal(prefix_set_aggregate(c->s), 0);
	assert_true(prefix_set_equal(c->s, nl));
	assert_int_equal(c->d.nwarnings, 0);
	prefix_set_free(nl);
}

static void test_fixture_akamai(void **state)
{
	struct ctx *c = *state;
	struct prefix p;

	assert_int_equal(parse_fixture(c, "akamai-v4.txt"), 0);
	assert_int_equal(c->s->n, 19);
	assert_int_equal(prefix_set_count(c->s, AF_INET), 19);
	assert_int_equal(c->d.nwarnings, 0);
	assert_int_equal(prefix_parse("23.0.0.0/12", 11, &p, NULL), 0);
	assert_int_equal(prefix_set_aggregate(c->s), 0);
	assert_true(prefix_set_contains(c->s, &p));
	prefix_set_clear(c->s);
	assert_int_equal(parse_fixture(c, "akamai-v6.txt"), 0);
	assert_int_equal(c->s->n, 3);
	assert_int_equal(prefix_set_count(c->s, AF_INET6), 3);
}

static void test_fixture_error_bodies(void **state)
{
	static const char *const html[] = {
		"cloudflare-ips-v4-error-500.html",
		"cloudflare-ips-v4-error-502.html",
		"cloudflare-ips-v4-error-challenge.html",
		"cloudflare-ips-v4-error-notfound.html",
	};
	struct ctx *c = *state;

	for (size_t i = 0; i < sizeof(html) / sizeof(html[0]); i++) {
		assert_int_equal(parse_fixture(c, html[i]), -EINVAL);
		assert_non_null(strstr(c->d.msg, "looks like an HTML page"));
		assert_int_equal(c->s->n, 0);
	}
	/* empty is not a parse error: the guard refuses empty lists */
	assert_int_equal(parse_fixture(c, "fastly-error-empty.txt"), 0);
	assert_int_equal(c->s->n, 0);
	assert_string_equal(c->d.msg, "");
	/* JSON is not a text list either */
	assert_int_equal(parse_fixture(c, "fastly.json"), -EINVAL);
	assert_non_null(strstr(c->d.msg, "list.txt:1: bad prefix '{"));
}

/* a prefix a line is reserved up front: 1000 lines take 1001 slots, not a doubled 1024 */
static void test_reserved_per_line(void **state)
{
	struct prefix_set *s = prefix_set_new();
	char *buf = malloc(1000 * 16);
	size_t len = 0;
	struct diag d;

	(void)state;
	assert_non_null(s);
	assert_non_null(buf);
	for (unsigned i = 0; i < 1000; i++)
		len += (size_t)sprintf(buf + len, "11.0.%u.%u\n", i / 128, (i % 128) * 2);
	diag_init(&d);
	assert_int_equal(prefix_set_parse_text(s, buf, len, "t", &d), 0);
	assert_int_equal(s->n, 1000);
	assert_true(s->cap <= 1001);
	diag_release(&d);
	prefix_set_free(s);
	free(buf);
}

/*
 * One token parsed alone (a short body: the general path only) and as the
 * first line of a long body (the one-pass IPv4 path where it applies) must
 * agree on the result, the prefix, the message and the warnings.
 */
static void check_same(const char *tok)
{
	static const char tail[] = "\n198.51.100.0/24\n198.51.100.0/24\n";
	struct prefix_set *one = prefix_set_new(), *two = prefix_set_new();
	struct diag d1, d2;
	char body[96];
	int r1, r2;

	assert_non_null(one);
	assert_non_null(two);
	diag_init(&d1);
	diag_init(&d2);
	snprintf(body, sizeof(body), "%s%s", tok, tail);
	r1 = prefix_set_parse_text(one, tok, strlen(tok), "t", &d1);
	r2 = prefix_set_parse_text(two, body, strlen(body), "t", &d2);
	if (r1 != r2 || strcmp(d1.msg, d2.msg) || d1.nwarnings != d2.nwarnings ||
	    (r1 == 0 && one->n && !prefix_equal(&one->v[0], &two->v[0])))
		fail_msg("'%s': alone %d '%s', in a long body %d '%s'", tok, r1, d1.msg, r2,
			 d2.msg);
	if (r1 == 0)
		assert_int_equal(two->n, one->n + 2);
	diag_release(&d1);
	diag_release(&d2);
	prefix_set_free(one);
	prefix_set_free(two);
}

static void test_fast_path_same(void **state)
{
	static const char *const toks[] = {
		"1.2.3.4",     "1.2.3.4/32",	"0.0.0.0/0",	 "255.255.255.255/32",
		"10.0.0.0/8",  "10.1.0.0/16\r", "100.64.0.0/10", "01.2.3.4",
		"1.2.3.04/32", "1.2.3.00",	"256.1.1.1",	 "1.2.3.255",
		"1.2.3.4/33",  "1.2.3.4/032",	"1.2.3.4/0",	 "1.2.3.5/31",
		"1.2.3.4/ 32", "1.2.3.4 ",	" 1.2.3.4",	 "\t1.2.3.4",
		"1.2.3.4#c",   "1.2.3",		"1.2.3.4.5",	 "1.2.3.4/",
		"1.2.3.4//32", "1111.2.3.4",	"1.2.3.4/3x",	 "1.2.3.4\r\r",
		"::1/128",     "2001:db8::/32", "1.2.3.4/100",	 "999.1.1.1",
		"1..2.3",      ".1.2.3.4",	"# 1.2.3.4",	 "",
		"1.2.3.4/8",   "0.0.0.0",	"0.0.0.1/0",	 "1.2.3.4/1234",
	};
	const char alpha[] = "0123456789012345678901234567890123456789././/\r #:x";
	unsigned seed = 1;
	char tok[24];

	(void)state;
	for (size_t i = 0; i < sizeof(toks) / sizeof(toks[0]); i++)
		check_same(toks[i]);
	/* random tokens near the IPv4 grammar: leading zeros, long fields, bad bytes */
	for (int i = 0; i < 20000; i++) {
		size_t n = 1 + (seed = seed * 1103515245u + 12345u) % 19;

		for (size_t k = 0; k < n; k++) {
			seed = seed * 1103515245u + 12345u;
			tok[k] = alpha[(seed >> 16) % (sizeof(alpha) - 1)];
		}
		tok[n] = '\0';
		check_same(tok);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_layout, setup, teardown),
		cmocka_unit_test(test_reserved_per_line),
		cmocka_unit_test(test_fast_path_same),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_host_bits_warnings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_html, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fixture_cloudflare, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fixture_akamai, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fixture_error_bodies, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
