// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests of the ufw backend's pure parts: the `### tuple ###` parser, on
 * made-up user.rules content in the exact format ufw 0.36.2 writes (taken from
 * a real ufw run in a test namespace, addresses changed to documentation
 * ranges), port formatting, rule matching for audit, and the marked-block
 * editing of before.rules/before.init. No file, no ufw, no root.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "../../src/backends/ufw_int.h"
#include "diag.h"
#include "prefix.h"

/* user.rules as ufw 0.36.2 writes it (header trimmed to the parts that matter). */
static const char user_rules[] =
	"*filter\n"
	":ufw-user-input - [0:0]\n"
	":ufw-user-output - [0:0]\n"
	"### RULES ###\n"
	"\n"
	"### tuple ### allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 in\n"
	"-A ufw-user-input -p tcp --dport 22 -j ACCEPT\n"
	"\n"
	"### tuple ### allow tcp 80,443 0.0.0.0/0 any 203.0.113.0/24 in "
	"comment=63646e616c6c6f773a74657374\n"
	"-A ufw-user-input -p tcp -m multiport --dports 80,443 -s 203.0.113.0/24 -j ACCEPT\n"
	"\n"
	"### tuple ### deny tcp 443 0.0.0.0/0 any 192.0.2.0/24 in\n"
	"-A ufw-user-input -p tcp --dport 443 -s 192.0.2.0/24 -j DROP\n"
	"\n"
	"### tuple ### allow any any 0.0.0.0/0 any 198.51.100.0/24 in\n"
	"-A ufw-user-input -s 198.51.100.0/24 -j ACCEPT\n"
	"\n"
	"### tuple ### allow tcp 443 0.0.0.0/0 any 203.0.113.5 in\n"
	"-A ufw-user-input -p tcp --dport 443 -s 203.0.113.5 -j ACCEPT\n"
	"\n"
	"### tuple ### allow_log tcp 8000:8100 0.0.0.0/0 any 0.0.0.0/0 in_eth0\n"
	"-A ufw-user-input -i eth0 -p tcp -m multiport --dports 8000:8100 -j ACCEPT\n"
	"\n"
	"### tuple ### allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 OpenSSH - in\n"
	"-A ufw-user-input -p tcp --dport 22 -j ACCEPT -m comment --comment 'dapp_OpenSSH'\n"
	"\n"
	"### tuple ### route:allow tcp 443 0.0.0.0/0 any 0.0.0.0/0 in_eth0!out_eth1\n"
	"### tuple ### allow tcp\n"
	"### END RULES ###\n"
	"COMMIT\n";

static const char user6_rules[] =
	"*filter\n"
	"### RULES ###\n"
	"\n"
	"### tuple ### allow tcp 443 ::/0 any 2001:db8::/32 in comment=63646e616c6c6f773a782079\n"
	"-A ufw6-user-input -p tcp --dport 443 -s 2001:db8::/32 -j ACCEPT\n"
	"\n"
	"### tuple ### reject tcp 80 ::/0 any ::/0 in comment=6d696e65\n"
	"### END RULES ###\n";

struct fix {
	struct ufw_rules r;
	struct diag d;
};

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	diag_init(&f->d);
	assert_int_equal(ufw_rules_parse(&f->r, user_rules, strlen(user_rules), false, &f->d), 0);
	assert_int_equal(ufw_rules_parse(&f->r, user6_rules, strlen(user6_rules), true, &f->d), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	ufw_rules_release(&f->r);
	diag_release(&f->d);
	free(f);
	return 0;
}

static void test_parse_fields(void **state)
{
	struct fix *f = *state;
	const struct ufw_rule *x;

	/* 8 v4 tuples, one malformed (skipped with a warning), 2 v6 */
	assert_int_equal(f->r.n, 10);
	assert_int_equal(f->d.nwarnings, 1);
	assert_non_null(strstr(f->d.warnings[0], "user.rules:"));
	x = &f->r.v[1];
	assert_string_equal(x->action, "allow");
	assert_string_equal(x->proto, "tcp");
	assert_string_equal(x->dport, "80,443");
	assert_string_equal(x->dst, "0.0.0.0/0");
	assert_string_equal(x->sport, "any");
	assert_string_equal(x->src, "203.0.113.0/24");
	assert_string_equal(x->dir, "in");
	assert_string_equal(x->comment, "cdnallow:test");
	assert_false(x->v6);
	assert_false(x->app);
	assert_int_equal(x->line, 9);
	x = &f->r.v[7];
	assert_true(x->forward);
	assert_string_equal(x->dir, "in_eth0!out_eth1");
	x = &f->r.v[8];
	assert_true(x->v6);
	assert_string_equal(x->comment, "cdnallow:x y");
	assert_string_equal(x->src, "2001:db8::/32");
}

static void test_log_and_app(void **state)
{
	struct fix *f = *state;

	assert_string_equal(f->r.v[5].action, "allow");
	assert_string_equal(f->r.v[5].dir, "in_eth0");
	assert_true(f->r.v[6].app);
	assert_false(f->r.v[0].app);
}

static void test_ours(void **state)
{
	struct fix *f = *state;
	struct ufw_rule x = { 0 };

	assert_true(ufw_rule_is_ours(&f->r.v[1]));
	assert_true(ufw_rule_is_ours(&f->r.v[8]));
	assert_false(ufw_rule_is_ours(&f->r.v[0]));
	assert_false(ufw_rule_is_ours(&f->r.v[9])); /* comment "mine" */
	assert_string_equal(f->r.v[9].comment, "mine");
	strcpy(x.comment, "cdnallow");
	assert_true(ufw_rule_is_ours(&x));
	strcpy(x.comment, "cdnallowed-by-bob");
	assert_false(ufw_rule_is_ours(&x));
}

static void test_plain_allow_and_src(void **state)
{
	struct fix *f = *state;
	struct prefix p;
	char buf[PREFIX_STRLEN];

	assert_true(ufw_rule_is_plain_allow(&f->r.v[1], "80,443"));
	assert_false(ufw_rule_is_plain_allow(&f->r.v[1], "443"));
	assert_false(ufw_rule_is_plain_allow(&f->r.v[2], "443")); /* deny */
	assert_true(ufw_rule_is_plain_allow(&f->r.v[4], "443"));
	assert_false(ufw_rule_is_plain_allow(&f->r.v[5], "8000:8100")); /* interface */
	assert_true(ufw_rule_src_prefix(&f->r.v[4], &p));
	prefix_format(&p, buf, sizeof(buf));
	assert_string_equal(buf, "203.0.113.5/32");
	assert_true(ufw_rule_src_prefix(&f->r.v[8], &p));
	assert_int_equal(p.family, AF_INET6);
	assert_false(ufw_rule_src_prefix(&f->r.v[0], &p)); /* Anywhere */
	assert_true(ufw_rule_src_any(&f->r.v[0]));
}

static void test_covers_port(void **state)
{
	struct fix *f = *state;

	assert_true(ufw_rule_covers_port(&f->r.v[1], 443));
	assert_true(ufw_rule_covers_port(&f->r.v[1], 80));
	assert_false(ufw_rule_covers_port(&f->r.v[1], 8080));
	assert_true(ufw_rule_covers_port(&f->r.v[3], 443));  /* proto any, port any */
	assert_true(ufw_rule_covers_port(&f->r.v[5], 8050)); /* range */
	assert_false(ufw_rule_covers_port(&f->r.v[5], 443));
	assert_false(ufw_rule_covers_port(&f->r.v[7], 443)); /* routed */
}

static void test_ports_format(void **state)
{
	uint16_t p1[] = { 443, 80, 443 }, p2[] = { 443 }, bad[16] = { 0 };
	char buf[UFW_PORTS_STRLEN];

	(void)state;
	assert_int_equal(ufw_ports_format(p1, 3, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "80,443");
	assert_int_equal(ufw_ports_format(p2, 1, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "443");
	assert_int_equal(ufw_ports_format(p2, 0, buf, sizeof(buf)), -EINVAL);
	for (int i = 0; i < 16; i++)
		bad[i] = (uint16_t)(1000 + i);
	assert_int_equal(ufw_ports_format(bad, 16, buf, sizeof(buf)), -EINVAL);
}

static void test_hex(void **state)
{
	char hex[64];

	(void)state;
	ufw_hex_encode("cdnallow:test", hex, sizeof(hex));
	assert_string_equal(hex, "63646e616c6c6f773a74657374");
}

static void test_odd_and_bad_comment(void **state)
{
	static const char t[] = "### tuple ### allow tcp 443 0.0.0.0/0 any 192.0.2.0/24 in "
				"comment=63646e616c6c6f77zz\n"
				"### tuple ### allow tcp 443 0.0.0.0/0 any 192.0.2.0/24 in "
				"comment=63646e616c6c6f773\n";
	struct ufw_rules r = { 0 };

	(void)state;
	assert_int_equal(ufw_rules_parse(&r, t, strlen(t), false, NULL), 0);
	assert_int_equal(r.n, 2);
	assert_string_equal(r.v[0].comment, "cdnallow");
	assert_string_equal(r.v[1].comment, "cdnallow");
	ufw_rules_release(&r);
}

static void test_audit(void **state)
{
	static const char t[] = "### tuple ### deny tcp 443 0.0.0.0/0 any 192.0.2.0/24 in\n"
				"### tuple ### allow tcp 80,443 0.0.0.0/0 any 203.0.113.0/24 in "
				"comment=63646e616c6c6f77\n"
				"### tuple ### allow tcp 443 0.0.0.0/0 any 0.0.0.0/0 in\n"
				"### tuple ### reject tcp 80 0.0.0.0/0 any 198.51.100.0/24 in\n"
				"### tuple ### allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 in\n";
	const uint16_t ports[] = { 80, 443 };
	struct ufw_rules r = { 0 };
	struct diag d;

	(void)state;
	diag_init(&d);
	assert_int_equal(ufw_rules_parse(&r, t, strlen(t), false, &d), 0);
	ufw_rules_audit(&r, ports, 2, false, &d);
	assert_int_equal(d.nwarnings, 2);
	assert_non_null(strstr(d.warnings[0], "user.rules:1 'deny tcp 443 from 192.0.2.0/24' comes "
					      "before cdnallow's rules"));
	assert_non_null(strstr(d.warnings[1], "user.rules:3 'allow tcp 443 from 0.0.0.0/0' lets "
					      "anyone reach port 443"));
	diag_release(&d);
	/* ipset mode: our rule runs before every user rule, nothing shadows it */
	diag_init(&d);
	ufw_rules_audit(&r, ports, 2, true, &d);
	assert_int_equal(d.nwarnings, 1);
	assert_non_null(strstr(d.warnings[0], "lets anyone reach port 443"));
	diag_release(&d);
	ufw_rules_release(&r);
}

static const char before_rules[] =
	"#\n# rules.before\n#\n"
	"*filter\n"
	":ufw-before-input - [0:0]\n"
	"# End required lines\n"
	"-A ufw-before-input -i lo -j ACCEPT\n"
	"\n"
	"# don't delete the 'COMMIT' line or these rules won't be processed\n"
	"COMMIT\n"
	"*nat\n"
	"COMMIT\n";

static void test_block_insert_replace_remove(void **state)
{
	char *block = NULL, *t1 = NULL, *t2 = NULL, *t3 = NULL;
	size_t l1, l2, l3, s, e;
	const char *commit;

	(void)state;
	assert_int_equal(ufw_block_rules(false, "80,443", &block), 0);
	assert_non_null(strstr(block, "-A ufw-before-input -p tcp -m multiport --dports 80,443 "
				      "-m set --match-set cdnallow4 src -j ACCEPT\n"));
	assert_int_equal(ufw_block_set(before_rules, strlen(before_rules), block, UFW_ANCHOR_FILTER,
				       &t1, &l1),
			 0);
	/* inserted right before the COMMIT of *filter, not *nat's */
	commit = strstr(t1, "COMMIT\n");
	assert_true(ufw_block_find(t1, l1, &s, &e));
	assert_true(t1 + e == commit);
	/* setting the same block again changes nothing */
	assert_int_equal(ufw_block_set(t1, l1, block, UFW_ANCHOR_FILTER, &t2, &l2), 0);
	assert_int_equal(l1, l2);
	assert_memory_equal(t1, t2, l1);
	/* removal gives back the admin's file byte for byte */
	assert_int_equal(ufw_block_set(t2, l2, NULL, UFW_ANCHOR_FILTER, &t3, &l3), 0);
	assert_int_equal(l3, strlen(before_rules));
	assert_memory_equal(t3, before_rules, l3);
	free(block);
	free(t1);
	free(t2);
	free(t3);
}

/*
 * Found by fuzz_ufw_block: a stray BEGIN line (no END) made the insert land at
 * COMMIT, and the next run would have replaced the admin's rules between the
 * stray line and ours. Any unpaired or repeated marker is refused instead.
 */
static void test_block_stray_marker(void **state)
{
	static const char *const bad[] = {
		"*filter\n# BEGIN cdnallow\n-A ufw-before-input -j ACCEPT\nCOMMIT\n",
		"*filter\n# END cdnallow\nCOMMIT\n",
		"*filter\n# END cdnallow\n# BEGIN cdnallow\nCOMMIT\n",
		"*filter\n# BEGIN cdnallow\n# BEGIN cdnallow\n# END cdnallow\nCOMMIT\n",
		"*filter\n# BEGIN cdnallow\n# END cdnallow\n# END cdnallow\nCOMMIT\n",
	};
	char *block = NULL, *out = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal(ufw_block_rules(false, "80,443", &block), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(
			ufw_block_set(bad[i], strlen(bad[i]), block, UFW_ANCHOR_FILTER, &out, &len),
			-EBADMSG);
		assert_int_equal(
			ufw_block_set(bad[i], strlen(bad[i]), NULL, UFW_ANCHOR_FILTER, &out, &len),
			-EBADMSG);
	}
	free(block);
}

static void test_block_replace_changed(void **state)
{
	char *b1 = NULL, *b2 = NULL, *t1 = NULL, *t2 = NULL;
	size_t l1, l2;

	(void)state;
	assert_int_equal(ufw_block_rules(true, "443", &b1), 0);
	assert_int_equal(ufw_block_rules(true, "80,443", &b2), 0);
	assert_int_equal(
		ufw_block_set(before_rules, strlen(before_rules), b1, UFW_ANCHOR_FILTER, &t1, &l1),
		0);
	assert_int_equal(ufw_block_set(t1, l1, b2, UFW_ANCHOR_FILTER, &t2, &l2), 0);
	assert_non_null(strstr(t2, "ufw6-before-input -p tcp -m multiport --dports 80,443"));
	assert_null(strstr(t2, "--dports 443 "));
	assert_int_equal(l2, strlen(before_rules) + strlen(b2));
	free(b1);
	free(b2);
	free(t1);
	free(t2);
}

static void test_block_filter_missing(void **state)
{
	static const char t[] = "*nat\nCOMMIT\n";
	char *b = NULL, *o = NULL;
	size_t l;

	(void)state;
	assert_int_equal(ufw_block_rules(false, "443", &b), 0);
	assert_int_equal(ufw_block_set(t, strlen(t), b, UFW_ANCHOR_FILTER, &o, &l), -ENOENT);
	free(b);
}

static void test_block_init(void **state)
{
	static const char init[] = "#!/bin/sh\nset -e\ncase \"$1\" in\nstart)\n    ;;\nesac\n";
	static const char no_nl[] = "#!/bin/sh\necho hi";
	char *b = NULL, *o = NULL, *o2 = NULL;
	size_t l, l2;

	(void)state;
	assert_int_equal(ufw_block_init(&b), 0);
	assert_non_null(strstr(b, "ipset create cdnallow6 hash:net family inet6"));
	assert_int_equal(ufw_block_set(init, strlen(init), b, UFW_ANCHOR_INIT, &o, &l), 0);
	assert_int_equal(strncmp(o, "#!/bin/sh\n" UFW_BLOCK_BEGIN "\n", 27), 0);
	assert_non_null(strstr(o, UFW_BLOCK_END "\nset -e\n"));
	assert_int_equal(ufw_block_set(o, l, NULL, UFW_ANCHOR_INIT, &o2, &l2), 0);
	assert_string_equal(o2, init);
	free(o);
	free(o2);
	/* a block is appended to a file without a final newline */
	assert_int_equal(ufw_block_set(no_nl, strlen(no_nl), b, UFW_ANCHOR_INIT, &o, &l), 0);
	assert_int_equal(strncmp(o, "#!/bin/sh\n" UFW_BLOCK_BEGIN, 26), 0);
	free(o);
	free(b);
}

static void test_block_unterminated(void **state)
{
	static const char t[] = "a\n# BEGIN cdnallow\nb\n";
	size_t s, e;

	(void)state;
	/* a BEGIN without END is not our block: never cut the rest of the file */
	assert_false(ufw_block_find(t, strlen(t), &s, &e));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_parse_fields, setup, teardown),
		cmocka_unit_test_setup_teardown(test_log_and_app, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ours, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plain_allow_and_src, setup, teardown),
		cmocka_unit_test_setup_teardown(test_covers_port, setup, teardown),
		cmocka_unit_test(test_ports_format),
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_odd_and_bad_comment),
		cmocka_unit_test(test_audit),
		cmocka_unit_test(test_block_insert_replace_remove),
		cmocka_unit_test(test_block_replace_changed),
		cmocka_unit_test(test_block_filter_missing),
		cmocka_unit_test(test_block_init),
		cmocka_unit_test(test_block_stray_marker),
		cmocka_unit_test(test_block_unterminated),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
