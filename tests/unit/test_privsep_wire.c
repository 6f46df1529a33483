// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The downloader's message format (src/sources/privsep_wire.c): what the
 * child encodes the parent decodes to the same outcome, validators, parse
 * error, warnings and prefixes; and every kind of broken message (cut short,
 * a byte too many, an unknown flag, a prefix with host bits, an IPv4 prefix
 * with trailing bytes, a NUL in a string, a download without its parsed
 * list) is refused as a whole with a reason.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "diag.h"
#include "fetch.h"
#include "prefix.h"
#include "prefix_set.h"
#include "strbuf.h"
#include "../../src/sources/privsep_wire.h"

static void add(struct prefix_set *s, const char *text)
{
	struct prefix p;

	assert_int_equal(prefix_parse(text, strlen(text), &p, NULL), 0);
	assert_int_equal(prefix_set_add(s, &p), 0);
}

/* A parsed 200 with two validators, one warning and three prefixes, encoded into sb. */
static void good_message(struct strbuf *sb)
{
	struct fetch_req r = { .http_status = 200, .attempts = 2, .parsed = true };

	r.new_etag = strdup("\"abc\"");
	r.new_last_modified = strdup("Wed, 21 Oct 2015 07:28:00 GMT");
	r.prefixes = prefix_set_new();
	assert_non_null(r.prefixes);
	add(r.prefixes, "173.245.48.0/20");
	add(r.prefixes, "2400:cb00::/32");
	add(r.prefixes, "0.0.0.0/0");
	diag_warn(&r.parse_diag, "line 3: host bits set");
	assert_int_equal(privsep_encode(&r, sb), 0);
	fetch_req_release(&r);
}

static int decode(const struct strbuf *sb, struct fetch_req *r, char *why, size_t n)
{
	return privsep_decode((const uint8_t *)sb->buf + 4, sb->len - 4, r, why, n);
}

static void roundtrip(void **state)
{
	struct strbuf sb = { 0 };
	struct fetch_req r = { 0 };
	char why[128] = "", text[PREFIX_STRLEN];

	(void)state;
	good_message(&sb);
	assert_int_equal(sb.len - 4, (size_t)(uint8_t)sb.buf[0] | (size_t)(uint8_t)sb.buf[1] << 8);
	assert_int_equal(decode(&sb, &r, why, sizeof(why)), 0);
	assert_true(r.parsed);
	assert_int_equal(r.err, 0);
	assert_int_equal(r.parse_err, 0);
	assert_int_equal(r.http_status, 200);
	assert_int_equal(r.attempts, 2);
	assert_string_equal(r.new_etag, "\"abc\"");
	assert_string_equal(r.new_last_modified, "Wed, 21 Oct 2015 07:28:00 GMT");
	assert_null(r.body);
	assert_int_equal(r.parse_diag.nwarnings, 1);
	assert_string_equal(r.parse_diag.warnings[0], "line 3: host bits set");
	assert_int_equal(r.prefixes->n, 3);
	prefix_format(&r.prefixes->v[1], text, sizeof(text));
	assert_string_equal(text, "2400:cb00::/32");
	fetch_req_release(&r);
	strbuf_release(&sb);
}

static void parse_error_and_failure(void **state)
{
	struct fetch_req a = { .http_status = 200, .parsed = true, .parse_err = -EINVAL };
	struct fetch_req b = { .err = -ETIMEDOUT, .attempts = 3 };
	struct fetch_req c = { .not_modified = true, .http_status = 304 };
	struct strbuf sb = { 0 };
	char why[128] = "";

	(void)state;
	diag_err(&a.parse_diag, "looks like an HTML page");
	assert_int_equal(privsep_encode(&a, &sb), 0);
	fetch_req_release(&a);
	assert_int_equal(decode(&sb, &a, why, sizeof(why)), 0);
	assert_int_equal(a.parse_err, -EINVAL);
	assert_string_equal(a.parse_diag.msg, "looks like an HTML page");
	assert_null(a.prefixes);
	fetch_req_release(&a);

	strbuf_reset(&sb);
	snprintf(b.errmsg, sizeof(b.errmsg), "timeout after 30 s");
	assert_int_equal(privsep_encode(&b, &sb), 0);
	memset(&b, 0, sizeof(b));
	assert_int_equal(decode(&sb, &b, why, sizeof(why)), 0);
	assert_int_equal(b.err, -ETIMEDOUT);
	assert_string_equal(b.errmsg, "timeout after 30 s");
	assert_false(b.parsed);
	fetch_req_release(&b);

	strbuf_reset(&sb);
	assert_int_equal(privsep_encode(&c, &sb), 0);
	memset(&c, 0, sizeof(c));
	assert_int_equal(decode(&sb, &c, why, sizeof(why)), 0);
	assert_true(c.not_modified);
	fetch_req_release(&c);
	strbuf_release(&sb);
}

/* Mutates the good message at off (or cuts/extends it) and expects a refusal naming why. */
static void refused(const struct strbuf *good, size_t off, int delta_len, uint8_t byte,
		    const char *why_part)
{
	uint8_t buf[512];
	size_t len = good->len - 4;
	struct fetch_req r = { 0 };
	char why[160] = "";

	assert_true(len + 1 <= sizeof(buf));
	memcpy(buf, good->buf + 4, len);
	if (delta_len == 0)
		buf[off] = byte;
	else if (delta_len > 0)
		buf[len++] = byte;
	else
		len = off;
	assert_int_equal(privsep_decode(buf, len, &r, why, sizeof(why)), -EBADMSG);
	assert_non_null(strstr(why, why_part));
	assert_null(r.prefixes);
	assert_null(r.new_etag);
	fetch_req_release(&r);
}

static void malformed(void **state)
{
	struct strbuf sb = { 0 };
	size_t len, last;

	(void)state;
	good_message(&sb);
	len = sb.len - 4;
	last = len - 18; /* the last prefix: 0.0.0.0/0 */
	refused(&sb, 0, 0, 2, "version");
	refused(&sb, 13, 0, 0x80, "unknown flags");
	refused(&sb, 13, 0, 2, "without its parsed list");
	refused(&sb, len - 1, -1, 0, "prefixes but");
	refused(&sb, 0, 1, 0, "prefixes but");
	refused(&sb, 10, -1, 0, "cut short");
	refused(&sb, last, 0, 5, "family");
	refused(&sb, last + 1, 0, 33, "length");
	refused(&sb, last + 2, 0, 10, "host bits");
	refused(&sb, last + 10, 0, 1, "after its IPv4 address");
	/* "abc" of the ETag value: offset 14 errmsg length + 4, then 4 + 1 */
	refused(&sb, 14 + 4 + 4 + 1, 0, 0, "NUL");
	refused(&sb, 1, 0, 7, "not an error number");
	strbuf_release(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(roundtrip),
		cmocka_unit_test(parse_error_and_failure),
		cmocka_unit_test(malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
