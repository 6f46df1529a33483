// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for one prefix (src/core/prefix.c): parsing strictness,
 * host-bit masking, canonical formatting, ordering, containment and the
 * network-order byte conversions the nftables backend relies on. Inputs
 * are made up to hit each edge; no fixture is needed here.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "prefix.h"

static struct prefix parse_ok(const char *s, bool expect_host_bits)
{
	struct prefix p;
	bool host = false;

	assert_int_equal(prefix_parse(s, strlen(s), &p, &host), 0);
	assert_int_equal(host, expect_host_bits);
	return p;
}

static void assert_format(const struct prefix *p, const char *want)
{
	char buf[PREFIX_STRLEN];

	assert_int_equal(prefix_format(p, buf, sizeof(buf)), (int)strlen(want));
	assert_string_equal(buf, want);
}

/* parse then format: the canonical form */
static void assert_canon(const char *in, const char *want, bool host_bits)
{
	struct prefix p = parse_ok(in, host_bits);

	assert_format(&p, want);
}

static void test_parse_v4(void **state)
{
	struct prefix p;

	(void)state;
	p = parse_ok("192.0.2.0/24", false);
	assert_int_equal(p.family, AF_INET);
	assert_int_equal(p.len, 24);
	assert_true(p.hi == (uint64_t)0xc0000200 << 32);
	assert_true(p.lo == 0);
	p = parse_ok("198.51.100.7", false);
	assert_int_equal(p.len, 32);
	assert_true(p.hi == (uint64_t)0xc6336407 << 32);
	assert_canon("0.0.0.0/0", "0.0.0.0/0", false);
	assert_canon("255.255.255.255", "255.255.255.255/32", false);
	assert_canon("255.255.255.255/32", "255.255.255.255/32", false);
	assert_canon("0.0.0.0", "0.0.0.0/32", false);
	assert_canon("10.0.0.0/8", "10.0.0.0/8", false);
}

static void test_parse_v6(void **state)
{
	struct prefix p;

	(void)state;
	p = parse_ok("2001:db8::/32", false);
	assert_int_equal(p.family, AF_INET6);
	assert_int_equal(p.len, 32);
	assert_true(p.hi == 0x20010db800000000ull);
	assert_true(p.lo == 0);
	p = parse_ok("2001:DB8::1", false);
	assert_int_equal(p.len, 128);
	assert_true(p.lo == 1);
	assert_canon("::/0", "::/0", false);
	assert_canon("::", "::/128", false);
	assert_canon("::1", "::1/128", false);
	/* what aggregating :: and ::1 gives must parse back */
	assert_canon("::/127", "::/127", false);
	assert_canon("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
		     "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128", false);
	assert_canon("2001:0db8:0000:0000:0000:0000:0000:0000/48", "2001:db8::/48", false);
	/* NAT64 well-known prefix keeps its dotted tail: not IPv4-mapped */
	assert_canon("64:ff9b::192.0.2.1", "64:ff9b::c000:201/128", false);
	/* only the mapped/compatible block is refused, not what contains it */
	assert_canon("::/64", "::/64", false);
}

static void test_parse_host_bits(void **state)
{
	struct prefix p;

	(void)state;
	assert_canon("192.0.2.77/24", "192.0.2.0/24", true);
	assert_canon("10.1.2.3/0", "0.0.0.0/0", true);
	assert_canon("2001:db8::1/32", "2001:db8::/32", true);
	assert_canon("2001:db8:0:0:8000::/65", "2001:db8:0:0:8000::/65", false);
	assert_canon("2001:db8::ffff/127", "2001:db8::fffe/127", true);
	/* host_bits may be NULL */
	assert_int_equal(prefix_parse("192.0.2.1/24", 12, &p, NULL), 0);
	assert_format(&p, "192.0.2.0/24");
}

struct bad_case {
	const char *in;
	int err;
};

static void test_parse_errors(void **state)
{
	static const struct bad_case cases[] = {
		{ "", -EINVAL },
		{ "/24", -EINVAL },
		{ "garbage", -EINVAL },
		{ "1.2.3", -EINVAL },
		{ "1.2.3.4.5", -EINVAL },
		{ "1.2.3.", -EINVAL },
		{ ".1.2.3", -EINVAL },
		{ "1..2.3", -EINVAL },
		{ "256.0.0.0", -EINVAL },
		{ "1.2.3.1000", -EINVAL },
		{ "01.2.3.4", -EINVAL },
		{ "1.2.3.04", -EINVAL },
		{ "00.0.0.0", -EINVAL },
		{ "1.2.3.4 ", -EINVAL },
		{ " 1.2.3.4", -EINVAL },
		{ "1.2.3.4/24 ", -ERANGE },
		{ "1.2.3.-4", -EINVAL },
		{ "0x1.2.3.4", -EINVAL },
		{ "1.2.3.4/33", -ERANGE },
		{ "1.2.3.4/", -ERANGE },
		{ "1.2.3.4/-1", -ERANGE },
		{ "1.2.3.4/08", -ERANGE },
		{ "1.2.3.4/00", -ERANGE },
		{ "1.2.3.4/+8", -ERANGE },
		{ "1.2.3.4/1000", -ERANGE },
		{ "1.2.3.4/24/24", -ERANGE },
		{ "1.2.3.4/2x", -ERANGE },
		{ "2001:db8::/129", -ERANGE },
		{ "2001:db8::/", -ERANGE },
		{ "2001:db8::/032", -ERANGE },
		{ "2001:db8:::/32", -EINVAL },
		{ "2001:db8::g/32", -EINVAL },
		{ "2001:db8::1%eth0", -EINVAL },
		{ "1:2:3:4:5:6:7:8:9", -EINVAL },
		{ "2001:0db8:0000:0000:0000:0000:0000:0000:0000:0000:0000", -EINVAL },
		{ "::ffff:192.0.2.1", -EAFNOSUPPORT },
		{ "::ffff:c000:201", -EAFNOSUPPORT },
		{ "::ffff:0:0/96", -EAFNOSUPPORT },
		{ "::ffff:192.0.2.0/120", -EAFNOSUPPORT },
		{ "::192.0.2.1", -EAFNOSUPPORT },
		{ "::/96", -EAFNOSUPPORT },
		{ "::2", -EAFNOSUPPORT },
		{ "::/126", -EAFNOSUPPORT },
	};
	struct prefix p;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r = prefix_parse(cases[i].in, strlen(cases[i].in), &p, NULL);

		if (r != cases[i].err)
			fail_msg("'%s': got %d, want %d", cases[i].in, r, cases[i].err);
	}
}

static void test_parse_bounded(void **state)
{
	const char buf[] = "192.0.2.0/24999";
	const char nul[] = "192.0.2.0\0/24";
	struct prefix p;

	(void)state;
	/* reads only n bytes: the tail after the length is not seen */
	assert_int_equal(prefix_parse(buf, 12, &p, NULL), 0);
	assert_format(&p, "192.0.2.0/24");
	assert_int_equal(prefix_parse(nul, sizeof(nul) - 1, &p, NULL), -EINVAL);
	assert_int_equal(prefix_parse("2001:db8::1", 10, &p, NULL), 0);
	assert_format(&p, "2001:db8::/128");
}

static void test_format_small_buffer(void **state)
{
	struct prefix p = parse_ok("198.51.100.0/24", false);
	char buf[8];

	(void)state;
	assert_int_equal(prefix_format(&p, buf, sizeof(buf)), 15);
	assert_string_equal(buf, "198.51.");
}

static void test_cmp_equal(void **state)
{
	struct prefix a = parse_ok("10.0.0.0/8", false), b = parse_ok("10.0.0.0/16", false);
	struct prefix c = parse_ok("11.0.0.0/8", false), d = parse_ok("::/0", false);
	struct prefix e = parse_ok("255.255.255.255", false);

	(void)state;
	assert_true(prefix_cmp(&a, &b) < 0);
	assert_true(prefix_cmp(&b, &a) > 0);
	assert_true(prefix_cmp(&b, &c) < 0);
	assert_true(prefix_cmp(&e, &d) < 0); /* IPv4 sorts first */
	assert_true(prefix_cmp(&d, &e) > 0);
	assert_int_equal(prefix_cmp(&a, &a), 0);
	assert_true(prefix_equal(&a, &a));
	assert_false(prefix_equal(&a, &b));
	b.len = 8;
	assert_true(prefix_equal(&a, &b));
	/* same bits, other family */
	d = parse_ok("::", false);
	e = parse_ok("0.0.0.0", false);
	d.len = 32;
	assert_false(prefix_equal(&d, &e));
}

static void test_contains(void **state)
{
	struct prefix all4 = parse_ok("0.0.0.0/0", false), all6 = parse_ok("::/0", false);
	struct prefix a = parse_ok("192.0.2.0/24", false), b = parse_ok("192.0.2.128/25", false);
	struct prefix c = parse_ok("192.0.3.0/25", false), h = parse_ok("192.0.2.255", false);
	struct prefix v6 = parse_ok("2001:db8:1::/48", false),
		      v6b = parse_ok("2001:db8::/32", false);
	struct prefix v6c = parse_ok("2001:db8:0:0:8000::/65", false);

	(void)state;
	assert_true(prefix_contains(&a, &a));
	assert_true(prefix_contains(&a, &b));
	assert_true(prefix_contains(&a, &h));
	assert_false(prefix_contains(&b, &a));
	assert_false(prefix_contains(&a, &c));
	assert_true(prefix_contains(&all4, &c));
	assert_false(prefix_contains(&all6, &c));
	assert_false(prefix_contains(&all4, &v6));
	assert_true(prefix_contains(&all6, &v6));
	assert_true(prefix_contains(&v6b, &v6));
	assert_false(prefix_contains(&v6, &v6b));
	assert_true(prefix_contains(&v6b, &v6c));
	assert_false(prefix_contains(&v6, &v6c));
	assert_int_equal(prefix_width(&a), 32);
	assert_int_equal(prefix_width(&v6), 128);
}

static void assert_bytes(const uint8_t *got, const uint8_t *want, size_t n)
{
	assert_memory_equal(got, want, n);
}

static void test_bytes_v4(void **state)
{
	struct prefix p = parse_ok("192.0.2.0/24", false), q;
	uint8_t b[16];

	(void)state;
	assert_int_equal(prefix_first_bytes(&p, b), 4);
	assert_bytes(b, (const uint8_t[]){ 192, 0, 2, 0 }, 4);
	assert_int_equal(prefix_last_bytes(&p, b), 4);
	assert_bytes(b, (const uint8_t[]){ 192, 0, 2, 255 }, 4);
	assert_true(prefix_next_bytes(&p, b));
	assert_bytes(b, (const uint8_t[]){ 192, 0, 3, 0 }, 4);
	p = parse_ok("10.255.255.255", false);
	assert_true(prefix_next_bytes(&p, b));
	assert_bytes(b, (const uint8_t[]){ 11, 0, 0, 0 }, 4);
	p = parse_ok("255.255.255.255", false);
	assert_false(prefix_next_bytes(&p, b));
	assert_int_equal(prefix_last_bytes(&p, b), 4);
	assert_bytes(b, (const uint8_t[]){ 255, 255, 255, 255 }, 4);
	p = parse_ok("128.0.0.0/1", false);
	assert_false(prefix_next_bytes(&p, b));
	p = parse_ok("0.0.0.0/0", false);
	assert_false(prefix_next_bytes(&p, b));
	assert_int_equal(prefix_last_bytes(&p, b), 4);
	assert_bytes(b, (const uint8_t[]){ 255, 255, 255, 255 }, 4);

	assert_int_equal(prefix_from_bytes(AF_INET, (const uint8_t[]){ 203, 0, 113, 9 }, 24, &q),
			 0);
	assert_format(&q, "203.0.113.0/24");
	assert_int_equal(prefix_from_bytes(AF_INET, (const uint8_t[]){ 203, 0, 113, 9 }, 33, &q),
			 -EINVAL);
	assert_int_equal(prefix_from_bytes(AF_UNIX, (const uint8_t[]){ 203, 0, 113, 9 }, 8, &q),
			 -EINVAL);
}

static void test_bytes_v6(void **state)
{
	static const uint8_t top[16] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
					 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t db8[16] = {
		0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1
	};
	struct prefix p = parse_ok("2001:db8::/64", false), q;
	uint8_t b[16];

	(void)state;
	assert_int_equal(prefix_first_bytes(&p, b), 16);
	assert_bytes(
		b, (const uint8_t[]){ 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
		16);
	assert_int_equal(prefix_last_bytes(&p, b), 16);
	assert_bytes(b,
		     (const uint8_t[]){ 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff,
					0xff, 0xff, 0xff, 0xff },
		     16);
	/* the carry crosses from lo into hi */
	assert_true(prefix_next_bytes(&p, b));
	assert_bytes(
		b, (const uint8_t[]){ 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0 },
		16);
	p = parse_ok("2001:db8::ffff:ffff:ffff:ffff", false);
	assert_true(prefix_next_bytes(&p, b));
	assert_bytes(
		b, (const uint8_t[]){ 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0 },
		16);
	p = parse_ok("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", false);
	assert_false(prefix_next_bytes(&p, b));
	p = parse_ok("::/0", false);
	assert_false(prefix_next_bytes(&p, b));
	assert_int_equal(prefix_last_bytes(&p, b), 16);
	assert_bytes(b, top, 16);

	assert_int_equal(prefix_from_bytes(AF_INET6, db8, 128, &q), 0);
	assert_format(&q, "2001:db8::1/128");
	assert_int_equal(prefix_from_bytes(AF_INET6, db8, 32, &q), 0);
	assert_format(&q, "2001:db8::/32");
	assert_int_equal(prefix_from_bytes(AF_INET6, top, 0, &q), 0);
	assert_format(&q, "::/0");
	assert_int_equal(prefix_from_bytes(AF_INET6, top, 129, &q), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_v4),	cmocka_unit_test(test_parse_v6),
		cmocka_unit_test(test_parse_host_bits), cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_parse_bounded),	cmocka_unit_test(test_format_small_buffer),
		cmocka_unit_test(test_cmp_equal),	cmocka_unit_test(test_contains),
		cmocka_unit_test(test_bytes_v4),	cmocka_unit_test(test_bytes_v6),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
