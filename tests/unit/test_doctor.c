// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for the doctor's pure parts: the /proc/net/tcp parser and the two
 * rule evaluators. tests/unit/data/nft-ruleset-filter.json is `nft -j list
 * ruleset` output of nftables 1.0.6 for a made-up admin ruleset (documentation
 * addresses); the iptables-legacy-save texts are made up in iptables' format.
 * nft-lockdown-debian.json: nftables 1.0.6 after `cdnallow --mode lockdown
 * sync` on Debian's stock /etc/nftables.conf; nft-server-wiki.json: a server
 * ruleset in the style of the nftables wiki (vmaps), loaded and dumped by nft.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "fileio.h"
#include "diag.h"
#include "doctor.h"

static char *ruleset;
static size_t ruleset_len;

static int load_ruleset(void **state)
{
	(void)state;
	return file_read_all(TESTS_DIR "/unit/data/nft-ruleset-filter.json", 1 << 20, &ruleset,
			     &ruleset_len);
}

static int free_ruleset(void **state)
{
	(void)state;
	free(ruleset);
	return 0;
}

static struct probe probe(const char *addr, uint16_t port)
{
	struct probe p = { .dport = port };

	p.family = strchr(addr, ':') ? AF_INET6 : AF_INET;
	assert_int_equal(inet_pton(p.family, addr, p.saddr), 1);
	return p;
}

/* The verdict of the one base chain of the made-up ruleset. */
static const struct chain_verdict *eval_one(const char *addr, uint16_t port,
					    struct chain_verdict **v)
{
	struct probe p = probe(addr, port);
	struct diag d;
	size_t n = 0;

	diag_init(&d);
	assert_int_equal(nft_eval_ruleset(ruleset, ruleset_len, NULL, &p, v, &n, &d), 1);
	assert_int_equal(n, 1);
	diag_release(&d);
	return &(*v)[0];
}

static void test_nft_named_set_accepts(void **state)
{
	struct chain_verdict *v = NULL;
	const struct chain_verdict *c = eval_one("192.0.2.5", 443, &v);

	(void)state;
	assert_int_equal(c->verdict, VERDICT_ACCEPT);
	assert_false(c->uncertain);
	assert_non_null(strstr(c->where, "table inet filter chain input"));
	assert_non_null(strstr(c->because, "accepts"));
	free(v);
}

static void test_nft_policy_drop_names_policy(void **state)
{
	struct chain_verdict *v = NULL;
	const struct chain_verdict *c = eval_one("203.0.113.9", 80, &v);

	(void)state;
	assert_int_equal(c->verdict, VERDICT_DROP);
	assert_string_equal(c->because, "policy drop");
	free(v);
	c = eval_one("203.0.113.9", 443, &v);
	assert_int_equal(c->verdict, VERDICT_ACCEPT);
	free(v);
}

static void test_nft_jump_and_return(void **state)
{
	struct chain_verdict *v = NULL;
	const struct chain_verdict *c = eval_one("2001:db8::1", 443, &v);

	(void)state;
	assert_int_equal(c->verdict, VERDICT_DROP);
	assert_non_null(strstr(c->because, "chain foo"));
	free(v);
	/* the drop rule excludes port 80: foo returns, the policy drops */
	c = eval_one("2001:db8::1", 80, &v);
	assert_int_equal(c->verdict, VERDICT_DROP);
	assert_string_equal(c->because, "policy drop");
	free(v);
	c = eval_one("198.51.100.7", 22, &v);
	assert_int_equal(c->verdict, VERDICT_ACCEPT);
	free(v);
}

static void test_nft_xt_match_is_uncertain(void **state)
{
	/* made up: an iptables-nft multiport accept, then the policy drop */
	static const char json[] =
		"{\"nftables\": [{\"chain\": {\"family\": \"ip\", \"table\": \"filter\", \"name\": "
		"\"INPUT\", \"type\": \"filter\", \"hook\": \"input\", \"prio\": 0, \"policy\": "
		"\"drop\"}}, {\"rule\": {\"family\": \"ip\", \"table\": \"filter\", \"chain\": "
		"\"INPUT\", \"handle\": 4, \"expr\": [{\"xt\": {\"type\": \"match\", \"name\": "
		"\"multiport\"}}, {\"accept\": null}]}}]}";
	struct chain_verdict *v = NULL;
	struct probe p = probe("192.0.2.1", 443);
	struct diag d;
	size_t n = 0;

	(void)state;
	diag_init(&d);
	assert_int_equal(nft_eval_ruleset(json, strlen(json), NULL, &p, &v, &n, &d), 1);
	assert_int_equal(v[0].verdict, VERDICT_DROP);
	assert_true(v[0].uncertain);
	free(v);
	/* an ip-family table never sees IPv6 */
	p = probe("2001:db8::1", 443);
	assert_int_equal(nft_eval_ruleset(json, strlen(json), NULL, &p, &v, &n, &d), 0);
	free(v);
	assert_int_equal(nft_eval_ruleset("[1]", 3, NULL, &p, &v, &n, &d), -EBADMSG);
	assert_non_null(strstr(d.msg, "nftables"));
	diag_release(&d);
}

static const char legacy[] =
	"# made up\n"
	"*filter\n"
	":INPUT DROP [0:0]\n"
	":FORWARD ACCEPT [0:0]\n"
	":OUTPUT ACCEPT [0:0]\n"
	":web - [0:0]\n"
	"-A INPUT -i lo -j ACCEPT\n"
	"-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n"
	"-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\n"
	"-A INPUT -j web\n"
	"-A web -s 192.0.2.0/24 -p tcp -m multiport --dports 80,443 -m comment "
	"--comment \"cdn edge\" -j ACCEPT\n"
	"-A web -p tcp -m tcp --dport 443 -j REJECT --reject-with tcp-reset\n"
	"COMMIT\n";

static void test_legacy_eval(void **state)
{
	struct chain_verdict *v = NULL;
	struct probe p = probe("192.0.2.9", 443);
	struct diag d;
	size_t n = 0;

	(void)state;
	diag_init(&d);
	assert_int_equal(legacy_eval_save(legacy, NULL, "iptables-legacy", &p, &v, &n, &d), 1);
	assert_int_equal(v[0].verdict, VERDICT_ACCEPT);
	assert_false(v[0].uncertain);
	free(v);
	p = probe("203.0.113.1", 443);
	assert_int_equal(legacy_eval_save(legacy, NULL, "iptables-legacy", &p, &v, &n, &d), 1);
	assert_int_equal(v[0].verdict, VERDICT_DROP);
	assert_non_null(strstr(v[0].because, "REJECT"));
	assert_non_null(strstr(v[0].where, "iptables-legacy table filter chain INPUT"));
	free(v);
	p = probe("203.0.113.1", 80);
	assert_int_equal(legacy_eval_save(legacy, NULL, "iptables-legacy", &p, &v, &n, &d), 1);
	assert_string_equal(v[0].because, "policy DROP");
	free(v);
	diag_release(&d);
}

/* All verdicts of a real `nft -j list ruleset` dump under tests/unit/data for one probe. */
static size_t eval_file(const char *name, const char *addr, uint16_t port, struct chain_verdict **v)
{
	char path[512], *json = NULL;
	struct probe p = probe(addr, port);
	struct diag d;
	size_t len = 0, n = 0;

	snprintf(path, sizeof(path), TESTS_DIR "/unit/data/%s", name);
	assert_int_equal(file_read_all(path, 1 << 20, &json, &len), 0);
	diag_init(&d);
	assert_true(nft_eval_ruleset(json, len, NULL, &p, v, &n, &d) >= 0);
	diag_release(&d);
	free(json);
	return n;
}

/*
 * Issue 16 item 1: after a lockdown sync on Debian's stock nftables.conf, the
 * `ip6 saddr != @cdn6 drop` rule does not apply to an IPv4 packet at all (its
 * implicit nfproto dependency fails): it must not drop the CDN.
 */
static void test_nft_lockdown_other_family(void **state)
{
	static const char *const cdn[] = { "203.0.113.5", "2001:db8:cd::5" };
	struct chain_verdict *v = NULL;
	size_t n;

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		n = eval_file("nft-lockdown-debian.json", cdn[i], 80, &v);
		assert_int_equal(n, 2);
		for (size_t j = 0; j < n; j++) {
			assert_int_equal(v[j].verdict, VERDICT_ACCEPT);
			assert_false(v[j].uncertain);
		}
		free(v);
	}
	n = eval_file("nft-lockdown-debian.json", "198.51.100.7", 443, &v);
	assert_int_equal(v[1].verdict, VERDICT_DROP);
	assert_false(v[1].uncertain);
	assert_non_null(strstr(v[1].where, "table inet cdnallow chain lockdown"));
	free(v);
}

/*
 * Issue 16 item 2: a server ruleset after the nftables wiki (verdict maps on
 * ct state and meta protocol, jumps per family, policy drop) certainly drops
 * the web ports and accepts ssh; no "cannot tell".
 */
static void test_nft_vmap_server(void **state)
{
	struct chain_verdict *v = NULL;

	(void)state;
	assert_int_equal(eval_file("nft-server-wiki.json", "203.0.113.5", 443, &v), 1);
	assert_int_equal(v[0].verdict, VERDICT_DROP);
	assert_false(v[0].uncertain);
	assert_string_equal(v[0].because, "policy drop");
	free(v);
	assert_int_equal(eval_file("nft-server-wiki.json", "2001:db8:cd::5", 22, &v), 1);
	assert_int_equal(v[0].verdict, VERDICT_ACCEPT);
	assert_false(v[0].uncertain);
	free(v);
}

/* An undecidable accept before a drop policy: may drop; an undecidable drop before it: drops. */
static void test_nft_fork_on_unknown(void **state)
{
	static const char json[] =
		"{\"nftables\": [{\"chain\": {\"family\": \"inet\", \"table\": \"t\", \"name\": "
		"\"in\", \"type\": \"filter\", \"hook\": \"input\", \"prio\": 0, \"policy\": "
		"\"drop\"}}, {\"rule\": {\"family\": \"inet\", \"table\": \"t\", \"chain\": "
		"\"in\", "
		"\"handle\": 4, \"expr\": [{\"match\": {\"op\": \"!=\", \"left\": {\"meta\": "
		"{\"key\": \"iif\"}}, \"right\": \"lo\"}}, {\"match\": {\"op\": \"==\", \"left\": "
		"{\"payload\": {\"protocol\": \"ip\", \"field\": \"daddr\"}}, \"right\": "
		"{\"prefix\": {\"addr\": \"127.0.0.0\", \"len\": 8}}}}, {\"drop\": null}]}}, "
		"{\"rule\": {\"family\": \"inet\", \"table\": \"t\", \"chain\": \"in\", "
		"\"handle\": "
		"5, \"expr\": [{\"match\": {\"op\": \"==\", \"left\": {\"payload\": {\"protocol\": "
		"\"ip\", \"field\": \"daddr\"}}, \"right\": \"192.0.2.1\"}}, {\"drop\": null}]}}]}";
	static const char text[] = "table inet t { # handle 1\n"
				   "\tchain in { # handle 1\n"
				   "\t\ttype filter hook input priority filter; policy drop;\n"
				   "\t\tiif != \"lo\" ip daddr 127.0.0.0/8 drop # handle 4\n"
				   "\t}\n}\n";
	struct chain_verdict *v = NULL;
	struct probe p = probe("203.0.113.5", 80);
	struct diag d;
	char buf[128];
	size_t n = 0;

	(void)state;
	diag_init(&d);
	assert_int_equal(nft_eval_ruleset(json, strlen(json), text, &p, &v, &n, &d), 1);
	assert_int_equal(v[0].verdict, VERDICT_DROP);
	assert_false(v[0].uncertain);
	free(v);
	assert_int_equal(nft_rule_text(text, "inet", "t", "in", 4, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "iif != \"lo\" ip daddr 127.0.0.0/8 drop");
	assert_int_equal(nft_rule_text(text, "inet", "t", "in", 9, buf, sizeof(buf)), -ENOENT);
	diag_release(&d);
}

/*
 * Issue 16 item 2: a rule the evaluator truly cannot decide (a rate limit) is
 * quoted whole as `nft -a list ruleset` prints it (found by its handle), not
 * as JSON and not cut. nft-ratelimit.json/.txt: nft 1.0.6's -j and -a
 * listings of one ruleset whose rule is longer than 200 characters.
 */
static void test_nft_cannot_tell_quotes_nft(void **state)
{
	static const char rule[] =
		"chain input rule `ip saddr != { 192.0.2.0/24, 198.51.100.0/24 } "
		"tcp dport { 80, 443, 8080, 8443 } ct state new limit rate over 20/second "
		"burst 50 packets counter packets 0 bytes 0 drop comment \"flood guard: new web "
		"connections from outside the office\"` (cannot tell a rate limit or quota)";
	char *json = NULL, *text = NULL;
	struct chain_verdict *v = NULL;
	struct probe p = probe("203.0.113.5", 443);
	struct diag d;
	size_t len = 0, tlen = 0, n = 0;

	(void)state;
	assert_int_equal(
		file_read_all(TESTS_DIR "/unit/data/nft-ratelimit.json", 1 << 20, &json, &len), 0);
	assert_int_equal(
		file_read_all(TESTS_DIR "/unit/data/nft-ratelimit.txt", 1 << 20, &text, &tlen), 0);
	diag_init(&d);
	assert_int_equal(nft_eval_ruleset(json, len, text, &p, &v, &n, &d), 1);
	assert_int_equal(v[0].verdict, VERDICT_DROP);
	assert_true(v[0].uncertain);
	assert_string_equal(v[0].because, rule);
	free(v);
	/* the office is not rate limited: no doubt, no quote */
	p = probe("192.0.2.7", 443);
	assert_int_equal(nft_eval_ruleset(json, len, text, &p, &v, &n, &d), 1);
	assert_int_equal(v[0].verdict, VERDICT_ACCEPT);
	assert_false(v[0].uncertain);
	free(v);
	diag_release(&d);
	free(json);
	free(text);
}

/* Issue 16 item 3: --match-set is judged by the set's members, not by its name. */
static void test_legacy_ipset_members(void **state)
{
	static const char save[] =
		"*filter\n"
		":INPUT DROP [0:0]\n"
		"-A INPUT -p tcp -m multiport --dports 80,443 -m set --match-set "
		"cdnallow4 src -j ACCEPT\n"
		"COMMIT\n";
	static const char sets[] = "create cdnallow4 hash:net family inet hashsize 1024 maxelem "
				   "65536 bucketsize 12 initval 0x1\n"
				   "add cdnallow4 203.0.113.0/24\n";
	struct chain_verdict *v = NULL;
	struct probe p = probe("203.0.113.9", 443);
	struct diag d;
	size_t n = 0;

	(void)state;
	diag_init(&d);
	assert_int_equal(legacy_eval_save(save, sets, "iptables-legacy", &p, &v, &n, &d), 1);
	assert_int_equal(v[0].verdict, VERDICT_ACCEPT);
	assert_false(v[0].uncertain);
	free(v);
	p = probe("198.51.100.7", 443);
	assert_int_equal(legacy_eval_save(save, sets, "iptables-legacy", &p, &v, &n, &d), 1);
	assert_int_equal(v[0].verdict, VERDICT_DROP);
	assert_false(v[0].uncertain);
	free(v);
	/* without the members: cannot tell */
	assert_int_equal(legacy_eval_save(save, NULL, "iptables-legacy", &p, &v, &n, &d), 1);
	assert_true(v[0].uncertain);
	free(v);
	diag_release(&d);
}

static void test_listen_parse(void **state)
{
	/* made up in the kernel's format: 127.0.0.1:8080 and 0.0.0.0:80 listen, one established */
	static const char tcp[] = "  sl  local_address rem_address   st tx_queue rx_queue tr "
				  "tm->when retrnsmt   uid  timeout inode\n"
				  "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 "
				  "00:00000000 00000000     0        0 111 1 0 100 0 0 10 0\n"
				  "   1: 00000000:0050 00000000:0000 0A 00000000:00000000 "
				  "00:00000000 00000000     0        0 222 1 0 100 0 0 10 0\n"
				  "   2: 0A00000A:0050 0B00000A:D431 01 00000000:00000000 "
				  "00:00000000 00000000     0        0 333 1 0 100 0 0 10 0\n";
	static const char tcp6[] =
		"  sl  local_address                         remote_address                        "
		"st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
		"   0: 00000000000000000000000001000000:01BB 00000000000000000000000000000000:0000 "
		"0A 00000000:00000000 00:00000000 00000000     0        0 444 1 0 100 0 0 10 0";
	struct listener *v = NULL;
	size_t n = 0;

	(void)state;
	assert_int_equal(listen_parse_proc(tcp, AF_INET, &v, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(v[0].port, 8080);
	assert_memory_equal(v[0].addr, "\x7f\x00\x00\x01", 4);
	assert_int_equal(v[0].inode, 111);
	assert_int_equal(v[1].port, 80);
	assert_memory_equal(v[1].addr, "\x00\x00\x00\x00", 4);
	/* the last line has no newline, like the fixtures */
	assert_int_equal(listen_parse_proc(tcp6, AF_INET6, &v, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(v[2].port, 443);
	assert_int_equal(v[2].addr[15], 1); /* ::1 */
	free(v);
}

/* Issue 16 item 9: an info finding, never an error, on what the allowlist cannot do. */
static void test_origin_auth(void **state)
{
	char dir[] = "/tmp/cdnallow-test-etc-XXXXXX", path[256];
	struct doctor_ctx c = { .etc = dir };
	struct findings f = { 0 };
	FILE *fp;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(doctor_check_origin_auth(&c, "example.com", &f), 0);
	assert_int_equal(f.n, 1);
	assert_int_equal(f.v[0].severity, SEV_INFO);
	assert_non_null(strstr(f.v[0].message, "no web server configuration was readable"));
	assert_non_null(strstr(f.v[0].fix, "Authenticated Origin Pulls"));
	findings_release(&f);
	snprintf(path, sizeof(path), "%s/nginx", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/nginx/nginx.conf", dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("server {\n\tlisten 443 ssl;\n\t# ssl_verify_client on;\n}\n", fp);
	fclose(fp);
	assert_int_equal(doctor_check_origin_auth(&c, "example.com", &f), 0);
	assert_non_null(strstr(f.v[0].message, "demands nothing more than the address"));
	findings_release(&f);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("server {\n\tssl_verify_client on;\n\tssl_client_certificate /etc/ca.pem;\n}\n", fp);
	fclose(fp);
	assert_int_equal(doctor_check_origin_auth(&c, "example.com", &f), 0);
	assert_int_equal(f.v[0].severity, SEV_INFO);
	assert_non_null(strstr(f.v[0].message, "demands a TLS client certificate"));
	findings_release(&f);
	unlink(path);
	snprintf(path, sizeof(path), "%s/nginx", dir);
	rmdir(path);
	rmdir(dir);
}

static void test_findings(void **state)
{
	struct findings f = { 0 };

	(void)state;
	findings_add(&f, "listen", SEV_ERROR, "fix it", "port %u", 443);
	findings_add(&f, "bind", SEV_WARNING, NULL, "w");
	assert_int_equal(f.n, 2);
	assert_string_equal(f.v[0].message, "port 443");
	assert_string_equal(f.v[1].fix, "");
	assert_int_equal(findings_count(&f, SEV_ERROR), 1);
	assert_int_equal(findings_count(&f, SEV_WARNING), 1);
	findings_release(&f);
	assert_int_equal(f.n, 0);
}

/* --domain becomes a URL and a --resolve entry: only a plain host name may get there. */
static void test_domain_valid(void **state)
{
	static const char *const good[] = { "example.com", "a.b-c.example.", "xn--bcher-kva.ch",
					    "localhost", "1.2.3.4" };
	static const char *const bad[] = {
		"a@host:8443", "host:8443", "host/path", "",	    ".",     "-a.com",
		"a-.com",      "a..com",    "a b.com",	 "a.com\n", "[::1]", "h\x1b]0;x\x07"
	};
	char label[80], longname[300];

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_true(doctor_domain_valid(good[i]));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(doctor_domain_valid(bad[i]));
	assert_false(doctor_domain_valid(NULL));
	memset(label, 'a', 64);
	label[64] = '\0';
	assert_false(doctor_domain_valid(label));
	label[63] = '\0';
	assert_true(doctor_domain_valid(label));
	memset(longname, 'a', 254);
	for (size_t i = 50; i < 254; i += 50)
		longname[i] = '.';
	longname[254] = '\0';
	assert_false(doctor_domain_valid(longname));
	longname[253] = '\0';
	assert_true(doctor_domain_valid(longname));
}

/* mode sets: the admin's rules that use the sets count, cdnallow's own and look-alikes do not */
static void test_sets_count_refs(void **state)
{
	static const char nft[] =
		"table inet web { # handle 4\n"
		"\tset cdnallow4 { # handle 1\n"
		"\tchain input { # handle 3\n"
		"\t\tip saddr @cdnallow4 tcp dport 443 accept # handle 7\n"
		"\t\tip6 saddr @cdnallow6 tcp dport 443 accept # handle 8\n"
		"\t\ttcp dport @cdnallow_ports ip saddr @cdnallow4 accept comment \"cdnallow\"\n"
		"\t\tip saddr @cdnallow4b accept # handle 9\n"
		"\t\tip saddr @cdn4 drop\n"
		"\t}\n}\n";
	static const char save[] =
		"*filter\n:INPUT DROP [0:0]\n"
		"-A INPUT -p tcp -m tcp --dport 443 -m set --match-set cdnallow4 src -j ACCEPT\n"
		"-A INPUT -p tcp -m multiport --dports 80,443 -m set --match-set cdnallow4 src -m "
		"comment --comment cdnallow -j ACCEPT\n"
		"-A INPUT -m set --match-set cdnallow4b src -j ACCEPT\n"
		"# -A INPUT -m set --match-set cdnallow6 src\n"
		"COMMIT";

	(void)state;
	assert_int_equal(doctor_sets_count_refs(nft, true), 2);
	assert_int_equal(doctor_sets_count_refs(save, false), 1);
	assert_int_equal(doctor_sets_count_refs(save, true), 0);
	assert_int_equal(doctor_sets_count_refs(NULL, true), 0);
	assert_int_equal(doctor_sets_count_refs("", false), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nft_named_set_accepts),
		cmocka_unit_test(test_nft_policy_drop_names_policy),
		cmocka_unit_test(test_nft_jump_and_return),
		cmocka_unit_test(test_nft_xt_match_is_uncertain),
		cmocka_unit_test(test_legacy_eval),
		cmocka_unit_test(test_nft_lockdown_other_family),
		cmocka_unit_test(test_nft_vmap_server),
		cmocka_unit_test(test_nft_fork_on_unknown),
		cmocka_unit_test(test_nft_cannot_tell_quotes_nft),
		cmocka_unit_test(test_legacy_ipset_members),
		cmocka_unit_test(test_listen_parse),
		cmocka_unit_test(test_sets_count_refs),
		cmocka_unit_test(test_findings),
		cmocka_unit_test(test_origin_auth),
		cmocka_unit_test(test_domain_valid),
	};

	return cmocka_run_group_tests(tests, load_ruleset, free_ruleset);
}
