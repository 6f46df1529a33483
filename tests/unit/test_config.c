// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cdnallow.conf: defaults, every key with a good value, every key with bad
 * values (the exact FILE:LINE message), comments and whitespace, section
 * rules, the setters the command line uses, and the shipped example file.
 * Config texts are made up.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tmpdir.h"

#include "config.h"
#include "diag.h"

struct fx {
	struct config c;
	struct diag d;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(config_init(&f->c), 0);
	diag_init(&f->d);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	config_release(&f->c);
	diag_release(&f->d);
	free(f);
	return 0;
}

static int load(struct fx *f, const char *text)
{
	return config_load_string(&f->c, text, strlen(text), "t.conf", &f->d);
}

static void load_ok(struct fx *f, const char *text)
{
	int ret = load(f, text);

	if (ret != 0)
		fail_msg("config rejected (%d): %s\n---\n%s", ret, f->d.msg, text);
	assert_string_equal(f->d.msg, "");
}

static void test_guard_keys(void **state)
{
	struct fx *f = *state;
	struct config *c = &f->c;

	assert_int_equal(c->max_grow, 100);
	assert_int_equal(c->max_age_s, 90L * 86400);
	load_ok(f, "[guard]\nmax_grow = 250\nmax_age = 12h\n"
		   "[provider:cloudflare]\nmax_addresses = /10, /28\n"
		   "[source:office]\npath = /x\nmax_addresses = 16M, 1T\n"
		   "[provider:google]\npath = /a.json, /b.json\n");
	assert_int_equal(c->max_grow, 250);
	assert_int_equal(c->max_age_s, 12L * 3600);
	assert_true(config_find_override(c, "cloudflare")->has_max_addresses);
	assert_true(config_find_override(c, "cloudflare")->max_addresses[0] == 4194304.0);
	assert_true(config_find_override(c, "cloudflare")->max_addresses[1] == 0x1p100);
	assert_true(c->sources[0].max_addresses[0] == 16777216.0);
	assert_true(c->sources[0].max_addresses[1] == 0x1p40);
	assert_int_equal(config_find_override(c, "google")->nurls, 2);
	assert_int_equal(load(f, "[source:x]\npath = /x\nmax_addresses = /10\n"), -EINVAL);
	assert_non_null(strstr(f->d.msg, "is not 'IPV4, IPV6' address budgets"));
	diag_release(&f->d);
	diag_init(&f->d);
	assert_int_equal(load(f, "[source:y]\npath = /x\nmax_addresses = /33, /28\n"), -EINVAL);
	diag_release(&f->d);
	diag_init(&f->d);
	assert_int_equal(load(f, "[guard]\nmax_age = 5w\n"), -EINVAL);
}

static void test_defaults(void **state)
{
	struct fx *f = *state;
	struct config *c = &f->c;

	assert_null(c->path);
	assert_int_equal(c->nproviders, 1);
	assert_string_equal(c->providers[0], "cloudflare");
	assert_string_equal(c->backend, "auto");
	assert_int_equal(c->nports, 2);
	assert_int_equal(c->ports[0], 80);
	assert_int_equal(c->ports[1], 443);
	assert_int_equal(c->mode, MODE_ALLOW);
	assert_string_equal(c->state_dir, CONFIG_DEFAULT_STATE_DIR);
	assert_int_equal(c->max_shrink, 30);
	assert_false(c->allow_test_ranges);
	assert_int_equal(c->timeout_s, 30);
	assert_int_equal(c->retries, 3);
	assert_int_equal(c->max_size, 16 * 1024 * 1024);
	assert_null(c->ca_file);
	assert_int_equal(c->noverrides, 0);
	assert_int_equal(c->nsources, 0);
	assert_null(c->nft_table);
	assert_null(c->nft_chain);
	assert_int_equal(c->ufw_ipset_threshold, 500);
	/* an empty file changes nothing */
	load_ok(f, "");
	load_ok(f, "\n\n# only comments\n; here\n");
	assert_int_equal(c->nports, 2);
	/* release is idempotent */
	config_release(c);
	config_release(c);
	config_release(NULL);
}

static const char every_key[] = "[cdnallow]\n"
				"providers = cloudflare, fastly,cloudfront\n"
				"backend = nftables\n"
				"ports = 443, 8443,80\n"
				"mode = lockdown\n"
				"state_dir = /srv/cdnallow/state\n"
				"[guard]\n"
				"max_shrink = 0\n"
				"allow_test_ranges = yes\n"
				"[fetch]\n"
				"timeout = 3600\n"
				"retries = 0\n"
				"max_size = 512k\n"
				"ca_file = /etc/ssl/certs/ca-certificates.crt\n"
				"[provider:fastly]\n"
				"url = https://a.example/x, https://b.example/y\n"
				"floor = 3\n"
				"insecure = on\n"
				"[provider:cloudfront]\n"
				"service = CLOUDFRONT\n"
				"path = /etc/cdnallow/aws.json\n"
				"[provider:azure-frontdoor]\n"
				"tag = AzureFrontDoor.Frontend\n"
				"floor = 0\n"
				"[source:office]\n"
				"url = http://example.internal/ranges.json\n"
				"format = json\n"
				"json_path = data.ranges[]\n"
				"insecure = true\n"
				"floor = 2\n"
				"[source:extra.list_1]\n"
				"path = /etc/cdnallow/extra.txt\n"
				"format = text\n"
				"[source:fleet]\n"
				"url = https://ranges.example.internal/cdnallow.json\n"
				"format = cdnallow\n"
				"[nftables]\n"
				"table = inet filter\n"
				"chain = input\n"
				"[ufw]\n"
				"ipset_threshold = 0\n";

static void test_every_key(void **state)
{
	struct fx *f = *state;
	struct config *c = &f->c;
	const struct provider_override *o;

	load_ok(f, every_key);
	assert_int_equal(c->nproviders, 3);
	assert_string_equal(c->providers[0], "cloudflare");
	assert_string_equal(c->providers[1], "fastly");
	assert_string_equal(c->providers[2], "cloudfront");
	assert_string_equal(c->backend, "nftables");
	assert_int_equal(c->nports, 3);
	assert_int_equal(c->ports[0], 443);
	assert_int_equal(c->ports[1], 8443);
	assert_int_equal(c->ports[2], 80);
	assert_int_equal(c->mode, MODE_LOCKDOWN);
	assert_string_equal(c->state_dir, "/srv/cdnallow/state");
	assert_int_equal(c->max_shrink, 0);
	assert_true(c->allow_test_ranges);
	assert_int_equal(c->timeout_s, 3600);
	assert_int_equal(c->retries, 0);
	assert_int_equal(c->max_size, 512 * 1024);
	assert_string_equal(c->ca_file, "/etc/ssl/certs/ca-certificates.crt");

	assert_int_equal(c->noverrides, 3);
	o = config_find_override(c, "fastly");
	assert_non_null(o);
	assert_int_equal(o->nurls, 2);
	assert_string_equal(o->urls[0], "https://a.example/x");
	assert_string_equal(o->urls[1], "https://b.example/y");
	assert_true(o->has_floor);
	assert_int_equal(o->floor, 3);
	assert_null(o->filter);
	assert_true(o->insecure);
	o = config_find_override(c, "cloudfront");
	assert_non_null(o);
	assert_int_equal(o->nurls, 1);
	assert_string_equal(o->urls[0], "/etc/cdnallow/aws.json");
	assert_string_equal(o->filter, "CLOUDFRONT");
	assert_false(o->has_floor);
	assert_false(o->insecure);
	o = config_find_override(c, "azure-frontdoor");
	assert_non_null(o);
	assert_string_equal(o->filter, "AzureFrontDoor.Frontend");
	assert_true(o->has_floor);
	assert_int_equal(o->floor, 0);
	assert_int_equal(o->nurls, 0);
	assert_null(config_find_override(c, "cloudflare"));

	assert_int_equal(c->nsources, 3);
	assert_string_equal(c->sources[0].name, "office");
	assert_string_equal(c->sources[0].url, "http://example.internal/ranges.json");
	assert_null(c->sources[0].path);
	assert_int_equal(c->sources[0].format, FORMAT_JSON);
	assert_string_equal(c->sources[0].json_path, "data.ranges[]");
	assert_true(c->sources[0].insecure);
	assert_int_equal(c->sources[0].floor, 2);
	assert_string_equal(c->sources[1].name, "extra.list_1");
	assert_null(c->sources[1].url);
	assert_string_equal(c->sources[1].path, "/etc/cdnallow/extra.txt");
	assert_int_equal(c->sources[1].format, FORMAT_TEXT);
	assert_int_equal(c->sources[1].floor, 0); /* 0: the generic default */
	assert_false(c->sources[1].insecure);
	assert_int_equal(c->sources[2].format, FORMAT_CDNALLOW);

	assert_string_equal(c->nft_table, "inet filter");
	assert_string_equal(c->nft_chain, "input");
	assert_int_equal(c->ufw_ipset_threshold, 0);
}

static void test_values(void **state)
{
	static const struct {
		const char *text;
		size_t max_size;
		unsigned shrink;
		bool test_ranges;
	} cases[] = {
		{ "[fetch]\nmax_size = 1\n[guard]\nallow_test_ranges = TRUE\nmax_shrink = 100", 1,
		  100, true },
		{ "[fetch]\nmax_size = 1G\n[guard]\nallow_test_ranges = Off\nmax_shrink = 007",
		  1024 * 1024 * 1024, 7, false },
		{ "[fetch]\nmax_size = 16m\n[guard]\nallow_test_ranges = 1", 16 << 20, 30, true },
		{ "[fetch]\nmax_size = 2K\n[guard]\nallow_test_ranges = no", 2048, 30, false },
		{ "[fetch]\nmax_size=4096\n[guard]\nallow_test_ranges=0", 4096, 30, false },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fx *f = *state;

		config_release(&f->c);
		assert_int_equal(config_init(&f->c), 0);
		load_ok(f, cases[i].text);
		assert_int_equal(f->c.max_size, cases[i].max_size);
		assert_int_equal(f->c.max_shrink, cases[i].shrink);
		assert_int_equal(f->c.allow_test_ranges, cases[i].test_ranges);
	}
}

static void test_comments_and_whitespace(void **state)
{
	struct fx *f = *state;
	struct config *c = &f->c;

	load_ok(f, "\xef\xbb\xbf# BOM, then a comment\r\n"
		   "  [ cdnallow ]   ; section with blanks and a comment\r\n"
		   "\tports\t=\t8080 ,  8443\t# hash comment\r\n"
		   "\r\n"
		   "   mode = lockdown\r\n");
	assert_int_equal(c->nports, 2);
	assert_int_equal(c->ports[0], 8080);
	assert_int_equal(c->ports[1], 8443);
	assert_int_equal(c->mode, MODE_LOCKDOWN);
}

static void test_comment_rules(void **state)
{
	struct fx *f = *state;
	struct config *c = &f->c;

	/* indentation never continues the previous value (inih's multi-line mode) */
	load_ok(f, "[source:s]\n"
		   "url = https://example.internal/a;b#c ; comment\n"
		   "   json_path = x.y[]   # comment\n"
		   "format = json\n"
		   "[cdnallow]\n"
		   "mode = lockdown ;comment\n"
		   "# url = https://commented.out/\n"
		   "; backend = ufw\n");
	assert_int_equal(c->nsources, 1);
	/* ';' and '#' glued to a value are part of it */
	assert_string_equal(c->sources[0].url, "https://example.internal/a;b#c");
	assert_string_equal(c->sources[0].json_path, "x.y[]");
	assert_int_equal(c->mode, MODE_LOCKDOWN);
	assert_string_equal(c->backend, "auto");
}

static void test_glued_comment_is_value(void **state)
{
	struct fx *f = *state;

	assert_int_equal(load(f, "[cdnallow]\nbackend = ufw#x"), -EINVAL);
	assert_string_equal(f->d.msg,
			    "t.conf:2: key 'backend' in [cdnallow]: unknown backend "
			    "'ufw#x' (allowed: auto, nftables, iptables, ufw, firewalld)");
}

static void test_long_line(void **state)
{
	struct fx *f = *state;
	char text[2048], url[600];

	/* inih's line buffer is 200 bytes: longer values must still arrive whole */
	memset(url, 'a', sizeof(url));
	memcpy(url, "https://example.internal/", 25);
	url[sizeof(url) - 1] = '\0';
	snprintf(text, sizeof(text),
		 "[source:long]\nurl = %s   ; comment\n[guard]\nmax_shrink = 5\n", url);
	load_ok(f, text);
	assert_string_equal(f->c.sources[0].url, url);
	assert_int_equal(f->c.max_shrink, 5);
	snprintf(text, sizeof(text), "[cdnallow]\n\n\nbackend = %s\n", url);
	assert_int_equal(load(f, text), -EINVAL);
	assert_true(strncmp(f->d.msg,
			    "t.conf:4: key 'backend' in [cdnallow]: unknown backend 'https",
			    60) == 0);
}

static void test_no_trailing_newline(void **state)
{
	struct fx *f = *state;

	load_ok(f, "[cdnallow]\nmode = lockdown");
	assert_int_equal(f->c.mode, MODE_LOCKDOWN);
}

static void test_outputs(void **state)
{
	struct fx *f = *state;
	const struct output_def *o;

	load_ok(f, "[output:nginx]\nformat = nginx\npath = /etc/nginx/conf.d/cdnallow.conf\n"
		   "header = CF-Connecting-IP\ntest = nginx -t\nreload = systemctl reload nginx\n"
		   "[output:f2b]\nformat = fail2ban\npath = /etc/fail2ban/jail.d/cdn.local\n"
		   "mode = 640\n");
	assert_int_equal(f->c.noutputs, 2);
	o = &f->c.outputs[0];
	assert_string_equal(o->name, "nginx");
	assert_int_equal(o->format, EXPORT_NGINX);
	assert_string_equal(o->path, "/etc/nginx/conf.d/cdnallow.conf");
	assert_string_equal(o->header, "CF-Connecting-IP");
	assert_int_equal(o->mode, 0644);
	assert_string_equal(o->test, "nginx -t");
	assert_string_equal(o->reload, "systemctl reload nginx");
	o = &f->c.outputs[1];
	assert_int_equal(o->format, EXPORT_FAIL2BAN);
	assert_int_equal(o->mode, 0640);
	assert_null(o->header);
	assert_null(o->test);
	assert_null(o->reload);
	/* a later file's section of the same name replaces the earlier one whole */
	load_ok(f, "[output:nginx]\nformat = text\npath = /tmp/x.txt\n");
	assert_int_equal(f->c.noutputs, 2);
	assert_int_equal(f->c.outputs[0].format, EXPORT_TEXT);
	assert_null(f->c.outputs[0].header);
	assert_null(f->c.outputs[0].test);
}

static void test_hooks(void **state)
{
	struct fx *f = *state;

	assert_null(f->c.hook_on_change);
	assert_int_equal(f->c.hook_timeout_s, 60);
	load_ok(f,
		"[hooks]\non_change = /usr/local/bin/cdn-changed --to 'ops team'\ntimeout = 5\n");
	assert_string_equal(f->c.hook_on_change, "/usr/local/bin/cdn-changed --to 'ops team'");
	assert_int_equal(f->c.hook_timeout_s, 5);
}

static void test_mode_sets(void **state)
{
	struct fx *f = *state;

	load_ok(f, "[cdnallow]\nmode = sets\n[nftables]\ntable = inet web");
	assert_int_equal(f->c.mode, MODE_SETS);
	assert_string_equal(backend_mode_name(f->c.mode), "sets");
	assert_string_equal(backend_mode_name(MODE_LOCKDOWN), "lockdown");
	assert_string_equal(backend_mode_name(MODE_ALLOW), "allow");
}

struct bad {
	const char *text;
	const char *msg; /* exact, or a prefix when it ends in "..." */
};

static const struct bad bad_cases[] = {
	/* structure */
	{ "x", "t.conf:1: expected 'key = value' or '[section]', got 'x'" },
	{ "\n\nports = 80", "t.conf:3: key 'ports' before any section (start with [cdnallow])" },
	{ "[cdnallow]\n= 5", "t.conf:2: missing key name before '='" },
	{ "[cdnallow]\nport s = 5",
	  "t.conf:2: 'port s' is not a key name (letters, digits and '_')" },
	{ "[cdnallow]\nmode: allow", "t.conf:2: expected 'key = value' or '[section]', got 'mode: "
				     "allow'" },
	{ "[cdnallow", "t.conf:1: section header '[cdnallow' does not end with ']'" },
	{ "[foo]", "t.conf:1: unknown section [foo] (known: [cdnallow], [guard], [fetch], "
		   "[provider:NAME], [source:NAME], [nftables], [ufw], [output:NAME])" },
	{ "[]", "t.conf:1: unknown section [] (known: ..." },
	{ "[Guard]", "t.conf:1: unknown section [Guard] (known: ..." },
	{ "[guard]\nmax_shrink = 1\n\n[guard]",
	  "t.conf:4: duplicate section [guard] (first at line 1)" },
	{ "[cdnallow]\nmax_shrink = 10",
	  "t.conf:2: key 'max_shrink' belongs in [guard], not in [cdnallow]" },
	{ "[guard]\nurl = x", "t.conf:2: key 'url' belongs in [provider:NAME], not in [guard]" },
	{ "[cdnallow]\nmod = x", "t.conf:2: key 'mod' unknown in [cdnallow] (known: providers, "
				 "backend, ports, mode, state_dir)" },
	{ "[guard]\nmax = 1", "t.conf:2: key 'max' unknown in [guard] (known: max_shrink, "
			      "allow_test_ranges, max_grow, max_age)" },
	{ "[fetch]\nca = /x", "t.conf:2: key 'ca' unknown in [fetch] (known: timeout, retries, "
			      "max_size, ca_file)" },
	{ "[provider:fastly]\nurls = https://x", "t.conf:2: key 'urls' unknown in "
						 "[provider:fastly] (known: url, path, floor, "
						 "service, tag, insecure, max_addresses)" },
	{ "[source:a]\nfile = /x", "t.conf:2: key 'file' unknown in [source:a] (known: url, path, "
				   "format, json_path, insecure, floor, max_addresses)" },
	{ "[nftables]\nfamily = inet", "t.conf:2: key 'family' unknown in [nftables] (known: "
				       "table, chain)" },
	{ "[ufw]\nthreshold = 5", "t.conf:2: key 'threshold' unknown in [ufw] (known: "
				  "ipset_threshold)" },
	{ "[cdnallow]\nmode = allow\n#\nmode = lockdown",
	  "t.conf:4: key 'mode' given twice in [cdnallow] (first at line 2)" },
	{ "[provider:cloudfront]\nservice = A\ntag = B",
	  "t.conf:3: key 'tag' given twice in [provider:cloudfront] (first at line 2)" },
	{ "[cdnallow]\nmode = allow\0x", "t.conf:2: NUL byte in the file" },
	/* [cdnallow] */
	{ "[cdnallow]\nproviders = cloudflare, nope",
	  "t.conf:2: key 'providers' in [cdnallow]: unknown provider 'nope' (known: cloudflare, "
	  "..." },
	{ "[cdnallow]\nproviders = generic", "t.conf:2: key 'providers' in [cdnallow]: unknown "
					     "provider 'generic' (known: ..." },
	{ "[cdnallow]\nproviders = fastly, fastly",
	  "t.conf:2: key 'providers' in [cdnallow]: provider 'fastly' listed twice" },
	{ "[cdnallow]\nproviders = fastly,,cloudflare",
	  "t.conf:2: key 'providers' in [cdnallow]: empty item in list 'fastly,,cloudflare'" },
	{ "[cdnallow]\nproviders = fastly,",
	  "t.conf:2: key 'providers' in [cdnallow]: empty item in list 'fastly,'" },
	{ "[cdnallow]\nbackend = pf", "t.conf:2: key 'backend' in [cdnallow]: unknown backend 'pf' "
				      "(allowed: auto, nftables, iptables, ufw, firewalld)" },
	{ "[cdnallow]\nbackend = NFTABLES", "t.conf:2: key 'backend' in [cdnallow]: unknown "
					    "backend 'NFTABLES' (allowed: ..." },
	{ "[cdnallow]\nports = 80, 70000",
	  "t.conf:2: key 'ports' in [cdnallow]: port '70000' is not a number in 1..65535" },
	{ "[cdnallow]\nports = 0", "t.conf:2: key 'ports' in [cdnallow]: port '0' is not a number "
				   "in 1..65535" },
	{ "[cdnallow]\nports = 80, http", "t.conf:2: key 'ports' in [cdnallow]: port 'http' is not "
					  "a number in 1..65535" },
	{ "[cdnallow]\nports = -1", "t.conf:2: key 'ports' in [cdnallow]: port '-1' is not a "
				    "number in 1..65535" },
	{ "[cdnallow]\nports = 80 443", "t.conf:2: key 'ports' in [cdnallow]: port '80 443' is not "
					"a number in 1..65535" },
	{ "[cdnallow]\nports = 443,80,443",
	  "t.conf:2: key 'ports' in [cdnallow]: port 443 listed twice" },
	{ "[cdnallow]\nports =", "t.conf:2: key 'ports' in [cdnallow]: no port given (allowed: a "
				 "comma list of 1..65535)" },
	{ "[cdnallow]\nports = 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17",
	  "t.conf:2: key 'ports' in [cdnallow]: 17 ports given, at most 16 allowed" },
	{ "[cdnallow]\nmode = deny", "t.conf:2: key 'mode' in [cdnallow]: unknown mode 'deny' "
				     "(allowed: allow, lockdown, sets)" },
	{ "[cdnallow]\nstate_dir = var/lib", "t.conf:2: key 'state_dir' in [cdnallow]: state dir "
					     "'var/lib' is not an absolute path" },
	{ "[cdnallow]\nstate_dir =", "t.conf:2: key 'state_dir' in [cdnallow]: state dir '' is not "
				     "an absolute path" },
	/* [guard] */
	{ "[guard]\nmax_shrink = 101", "t.conf:2: key 'max_shrink' in [guard]: '101' is out of "
				       "range (allowed: 0..100)" },
	{ "[guard]\nmax_shrink = 30%", "t.conf:2: key 'max_shrink' in [guard]: '30%' is not a "
				       "whole number (allowed: 0..100)" },
	{ "[guard]\nmax_shrink = -1", "t.conf:2: key 'max_shrink' in [guard]: '-1' is not a whole "
				      "number (allowed: 0..100)" },
	{ "[guard]\nmax_shrink = 99999999999999999999999",
	  "t.conf:2: key 'max_shrink' in [guard]: '99999999999999999999999' is out of range "
	  "(allowed: 0..100)" },
	{ "[guard]\nmax_shrink =", "t.conf:2: key 'max_shrink' in [guard]: '' is not a whole "
				   "number (allowed: 0..100)" },
	{ "[guard]\nallow_test_ranges = maybe",
	  "t.conf:2: key 'allow_test_ranges' in [guard]: 'maybe' is not a boolean (allowed: true, "
	  "false, yes, no, on, off, 1, 0)" },
	/* [fetch] */
	{ "[fetch]\ntimeout = 0", "t.conf:2: key 'timeout' in [fetch]: '0' is out of range "
				  "(allowed: 1..3600)" },
	{ "[fetch]\ntimeout = 3601", "t.conf:2: key 'timeout' in [fetch]: '3601' is out of range "
				     "(allowed: 1..3600)" },
	{ "[fetch]\ntimeout = 30s", "t.conf:2: key 'timeout' in [fetch]: '30s' is not a whole "
				    "number (allowed: 1..3600)" },
	{ "[fetch]\nretries = 11", "t.conf:2: key 'retries' in [fetch]: '11' is out of range "
				   "(allowed: 0..10)" },
	{ "[fetch]\nmax_size = 16X",
	  "t.conf:2: key 'max_size' in [fetch]: '16X' is not a size "
	  "(allowed: bytes with an optional k, M or G suffix, e.g. 16M)" },
	{ "[fetch]\nmax_size = 16MB", "t.conf:2: key 'max_size' in [fetch]: '16MB' is not a "
				      "size ..." },
	{ "[fetch]\nmax_size = 1.5M", "t.conf:2: key 'max_size' in [fetch]: '1.5M' is not a "
				      "size ..." },
	{ "[fetch]\nmax_size = 0", "t.conf:2: key 'max_size' in [fetch]: '0' is out of range "
				   "(allowed: 1 byte to 1G)" },
	{ "[fetch]\nmax_size = 2G", "t.conf:2: key 'max_size' in [fetch]: '2G' is out of range "
				    "(allowed: 1 byte to 1G)" },
	{ "[fetch]\nmax_size = 99999999999999999999G",
	  "t.conf:2: key 'max_size' in [fetch]: '99999999999999999999G' is out of range ..." },
	{ "[fetch]\nca_file = certs.pem", "t.conf:2: key 'ca_file' in [fetch]: CA file "
					  "'certs.pem' is not an absolute path" },
	/* [provider:NAME] */
	{ "[provider:nope]\nfloor = 1",
	  "t.conf:1: [provider:nope]: unknown provider 'nope' (known: cloudflare, ..." },
	{ "[provider:]", "t.conf:1: [provider:]: unknown provider '' (known: ..." },
	{ "[provider:generic]", "t.conf:1: [provider:generic]: unknown provider 'generic' ..." },
	{ "[provider:fastly]\nurl = ftp://x/y", "t.conf:2: key 'url' in [provider:fastly]: "
						"'ftp://x/y' is not an https:// URL (http:// "
						"needs insecure = true; use path = for local "
						"files)" },
	{ "[provider:fastly]\nurl = https://", "t.conf:2: key 'url' in [provider:fastly]: URL "
					       "'https://' has no host" },
	{ "[provider:fastly]\nurl = https://a/x, /etc/x",
	  "t.conf:2: key 'url' in [provider:fastly]: '/etc/x' is not an https:// URL ..." },
	{ "[provider:fastly]\nurl = https://a, https://b, https://c, https://d, https://e",
	  "t.conf:2: key 'url' in [provider:fastly]: 5 URLs given (allowed: 1 to 4, comma "
	  "separated)" },
	{ "[provider:fastly]\nurl =",
	  "t.conf:2: key 'url' in [provider:fastly]: 0 URLs given ..." },
	{ "[provider:fastly]\nurl = https://a/b\npath = /x",
	  "t.conf:3: key 'path' in [provider:fastly]: give either url or path, not both" },
	{ "[provider:fastly]\npath = /x\nurl = https://a/b",
	  "t.conf:3: key 'url' in [provider:fastly]: give either url or path, not both" },
	{ "[provider:fastly]\npath = x.json", "t.conf:2: key 'path' in [provider:fastly]: path "
					      "'x.json' is not an absolute path" },
	{ "[provider:fastly]\nfloor = -3", "t.conf:2: key 'floor' in [provider:fastly]: '-3' is "
					   "not a whole number (allowed: 0..10000000)" },
	{ "[provider:cloudfront]\nservice =",
	  "t.conf:2: key 'service' in [provider:cloudfront]: empty filter ..." },
	{ "[provider:fastly]\ninsecure = sure", "t.conf:2: key 'insecure' in [provider:fastly]: "
						"'sure' is not a boolean ..." },
	{ "[provider:fastly]\n[provider:fastly]",
	  "t.conf:2: duplicate section [provider:fastly] (first at line 1)" },
	/* [source:NAME] */
	{ "[source:a]", "t.conf:1: [source:a]: needs url or path" },
	{ "[source:a]\nformat = text\n[guard]", "t.conf:1: [source:a]: needs url or path" },
	{ "[source:a]\nurl = https://x/y\npath = /z",
	  "t.conf:1: [source:a]: give either url or path, not both" },
	{ "[source:a]\nurl = https://x/y\nformat = json",
	  "t.conf:1: [source:a]: format = json needs json_path (e.g. data.ranges[])" },
	{ "[source:a]\nurl = https://x/y\n\njson_path = a.b\nformat = text",
	  "t.conf:4: [source:a]: json_path applies only to format = json" },
	{ "[source:a]\nurl = https://x/y\nformat = yaml",
	  "t.conf:3: key 'format' in [source:a]: unknown format 'yaml' (allowed: text, json, "
	  "cdnallow, auto)" },
	{ "[source:a]\nurl = file:///etc/x", "t.conf:2: key 'url' in [source:a]: "
					     "'file:///etc/x' is not an https:// URL ..." },
	{ "[source:a]\nurl = https://x/a b", "t.conf:2: key 'url' in [source:a]: URL 'https://x/a "
					     "b' contains blanks or control characters" },
	{ "[source:a]\npath = rel.txt", "t.conf:2: key 'path' in [source:a]: path 'rel.txt' is not "
					"an absolute path" },
	{ "[source:a]\njson_path =", "t.conf:2: key 'json_path' in [source:a]: empty JSON path "
				     "(e.g. data.ranges[])" },
	{ "[source:a]\nfloor = 0", "t.conf:2: key 'floor' in [source:a]: '0' is out of range "
				   "(allowed: 1..10000000)" },
	{ "[source:a]\ninsecure = 2", "t.conf:2: key 'insecure' in [source:a]: '2' is not a "
				      "boolean ..." },
	{ "[source:]", "t.conf:1: [source:]: source name must be 1 to 64 letters, digits, '.', '_' "
		       "or '-'" },
	{ "[source:a/b]", "t.conf:1: [source:a/b]: source name must be ..." },
	{ "[source:cloudflare]", "t.conf:1: [source:cloudflare]: 'cloudflare' is a built-in "
				 "provider; use [provider:cloudflare] to change it" },
	/* [nftables] */
	{ "[nftables]\ntable = filter\nchain = input",
	  "t.conf:2: key 'table' in [nftables]: 'filter' is not 'FAMILY NAME' with FAMILY ip, ip6 "
	  "or inet (e.g. 'inet filter')" },
	{ "[nftables]\ntable = bridge filter", "t.conf:2: key 'table' in [nftables]: 'bridge "
					       "filter' is not 'FAMILY NAME' ..." },
	{ "[nftables]\ntable = inet a b", "t.conf:2: key 'table' in [nftables]: 'a b' is not a "
					  "valid nftables table name" },
	{ "[nftables]\ntable = inet cdnallow",
	  "t.conf:2: key 'table' in [nftables]: 'cdnallow' is cdnallow's own table; name the table "
	  "whose input chain drops, e.g. 'inet filter'" },
	{ "[nftables]\nchain = 1nput", "t.conf:2: key 'chain' in [nftables]: '1nput' is not a "
				       "valid nftables chain name (e.g. input)" },
	{ "[nftables]\ntable = inet filter", "t.conf:1: [nftables]: table and chain go together "
					     "(e.g. table = inet filter, chain = input)" },
	{ "[nftables]\nchain = input\n[ufw]", "t.conf:1: [nftables]: table and chain go together "
					      "..." },
	/* [output:NAME] */
	{ "[output:web]\npath = /x", "t.conf:1: [output:web]: needs format (nginx, apache, "
				     "haproxy, caddy, fail2ban, crowdsec, text, json)" },
	{ "[output:web]\nformat = nginx\n[guard]",
	  "t.conf:1: [output:web]: needs path (the absolute file name to write)" },
	{ "[output:web]\nformat = iis\npath = /x",
	  "t.conf:2: key 'format' in [output:web]: unknown format 'iis' (known: nginx, apache, "
	  "haproxy, caddy, fail2ban, crowdsec, text, json)" },
	{ "[output:web]\nformat = nginx\npath = realip.conf",
	  "t.conf:3: key 'path' in [output:web]: path 'realip.conf' is not an absolute path" },
	{ "[output:web]\npath = /etc/nginx/", "t.conf:2: key 'path' in [output:web]: path "
					      "'/etc/nginx/' names a directory; give the file to "
					      "write" },
	{ "[output:web]\nheader = X;include /etc/passwd",
	  "t.conf:2: key 'header' in [output:web]: 'X;include /etc/passwd' is not an HTTP header "
	  "name (letters, digits and '-')" },
	{ "[output:f2b]\nformat = fail2ban\npath = /x\nheader = X-Real-IP",
	  "t.conf:4: [output:f2b]: header applies only to format nginx, apache or caddy, not "
	  "fail2ban" },
	{ "[output:web]\nmode = 0666",
	  "t.conf:2: key 'mode' in [output:web]: mode 0666 lets every user rewrite the file (e.g. "
	  "0644)" },
	{ "[output:web]\nmode = 644x",
	  "t.conf:2: key 'mode' in [output:web]: '644x' is not an octal file mode (e.g. 0644)" },
	{ "[output:web]\nmode = 0044", "t.conf:2: key 'mode' in [output:web]: mode 0044 does not "
				       "let the owner read the file (e.g. 0644)" },
	{ "[output:web]\ntest =", "t.conf:2: key 'test' in [output:web]: a command of 1 to 4096 "
				  "characters is needed (e.g. nginx -t)" },
	{ "[output:web]\nreload = systemctl reload 'nginx",
	  "t.conf:2: key 'reload' in [output:web]: ..." },
	{ "[output:web]\ntest = nginx -t | true", "t.conf:2: key 'test' in [output:web]: ..." },
	{ "[output:a]\nformat = text\npath = /x\n[output:b]\nformat = json\n\npath = /x",
	  "t.conf:7: [output:b]: path '/x' is also [output:a]'s" },
	{ "[output:a b]", "t.conf:1: [output:a b]: output name must be 1 to 64 letters, digits, "
			  "'.', '_' or '-'" },
	{ "[output:web]\nurl = https://x", "t.conf:2: key 'url' belongs in [provider:NAME], not in "
					   "[output:web]" },
	/* [hooks] */
	{ "[hooks]\non_change = notify 'x",
	  "t.conf:2: key 'on_change' in [hooks]: unbalanced single "
	  "quote in command" },
	{ "[hooks]\non_change =", "t.conf:2: key 'on_change' in [hooks]: empty command" },
	{ "[hooks]\non_change = ./hook.sh", "t.conf:2: key 'on_change' in [hooks]: program "
					    "'./hook.sh' must be a name looked up in PATH or an "
					    "absolute path" },
	{ "[hooks]\non_change = logger a && true",
	  "t.conf:2: key 'on_change' in [hooks]: '&' ..." },
	{ "[hooks]\ntimeout = 0", "t.conf:2: key 'timeout' in [hooks]: '0' is out of range ..." },
	{ "[hooks]\ntimeout = 3601",
	  "t.conf:2: key 'timeout' in [hooks]: '3601' is out of range ..." },
	/* [ufw] */
	{ "[ufw]\nipset_threshold = many", "t.conf:2: key 'ipset_threshold' in [ufw]: 'many' is "
					   "not a whole number (allowed: 0..10000000)" },
	{ "[ufw]\nipset_threshold = 10000001", "t.conf:2: key 'ipset_threshold' in [ufw]: "
					       "'10000001' is out of range ..." },
};

static void expect_msg(const char *got, const char *want, size_t i)
{
	size_t n = strlen(want);

	if (n > 3 && strcmp(want + n - 3, "...") == 0) {
		if (strncmp(got, want, n - 3) != 0)
			fail_msg("case %zu:\n got '%s'\nwant '%s'", i, got, want);
		return;
	}
	if (strcmp(got, want) != 0)
		fail_msg("case %zu:\n got '%s'\nwant '%s'", i, got, want);
}

static void test_bad(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const char *t = bad_cases[i].text;
		/* the NUL case carries its length past the NUL */
		size_t len = strlen(t);
		struct config c;
		struct diag d;
		int ret;

		if (strstr(bad_cases[i].msg, "NUL byte"))
			len += 2;
		assert_int_equal(config_init(&c), 0);
		diag_init(&d);
		ret = config_load_string(&c, t, len, "t.conf", &d);
		if (ret != -EINVAL)
			fail_msg("case %zu: ret %d, msg '%s'", i, ret, d.msg);
		expect_msg(d.msg, bad_cases[i].msg, i);
		config_release(&c);
		diag_release(&d);
	}
}

static void test_first_error_wins(void **state)
{
	struct fx *f = *state;

	assert_int_equal(load(f, "[cdnallow]\nmode = x\nbackend = y\n[nope]\n"), -EINVAL);
	assert_string_equal(f->d.msg, "t.conf:2: key 'mode' in [cdnallow]: unknown mode 'x' "
				      "(allowed: allow, lockdown, sets)");
	/* the setters leave bad values out: the default survives */
	assert_int_equal(f->c.mode, MODE_ALLOW);
	assert_int_equal(f->c.nports, 2);
}

static void test_existing_error_kept(void **state)
{
	struct fx *f = *state;

	/* a message already in d is the caller's: the parse neither prefixes nor replaces it */
	diag_err(&f->d, "earlier");
	assert_int_equal(load(f, "[cdnallow]\nmode = x"), -EINVAL);
	assert_string_equal(f->d.msg, "earlier");
}

static void test_load_over_previous(void **state)
{
	struct fx *f = *state;
	struct config *c = &f->c;

	load_ok(f, "[provider:fastly]\nurl = https://a/x\nfloor = 3\n[source:s]\npath = /a\n");
	load_ok(f, "[provider:fastly]\npath = /b\n[source:s]\nurl = https://b/y\n"
		   "[cdnallow]\nproviders =\n");
	assert_int_equal(c->noverrides, 1);
	assert_int_equal(c->overrides[0].nurls, 1);
	assert_string_equal(c->overrides[0].urls[0], "/b");
	assert_false(c->overrides[0].has_floor);
	assert_int_equal(c->nsources, 1);
	assert_null(c->sources[0].path);
	assert_string_equal(c->sources[0].url, "https://b/y");
	/* an empty list means no built-in provider: only [source:*] */
	assert_int_equal(c->nproviders, 0);
}

static void test_example_config(void **state)
{
	struct fx *f = *state;
	char path[4096];

	snprintf(path, sizeof(path), "%s/../contrib/cdnallow.conf.example", TESTS_DIR);
	assert_int_equal(config_load(&f->c, path, &f->d), 0);
	assert_string_equal(f->d.msg, "");
	assert_string_equal(f->c.path, path);
	assert_int_equal(f->c.nproviders, 1);
	assert_string_equal(f->c.providers[0], "cloudflare");
	assert_string_equal(f->c.backend, "auto");
	assert_int_equal(f->c.max_size, 16 * 1024 * 1024);
	assert_non_null(config_find_override(&f->c, "cloudflare"));
}

static void test_load_file(void **state)
{
	struct fx *f = *state;
	char *dir = tmpdir_make(), *path, *missing;

	assert_non_null(dir);
	path = tmpdir_path(dir, "cdnallow.conf");
	missing = tmpdir_path(dir, "none.conf");
	assert_int_equal(config_load(&f->c, missing, &f->d), -ENOENT);
	assert_string_equal(f->d.msg, "");
	assert_null(f->c.path);

	assert_int_equal(tmpdir_write(path, "[cdnallow]\n\nmod = allow\n", 24), 0);
	assert_int_equal(config_load(&f->c, path, &f->d), -EINVAL);
	assert_true(strncmp(f->d.msg, path, strlen(path)) == 0);
	assert_string_equal(
		f->d.msg + strlen(path),
		":3: key 'mod' unknown in [cdnallow] (known: providers, backend, ports, "
		"mode, state_dir)");
	assert_null(f->c.path);
	diag_clear_err(&f->d);

	assert_int_equal(config_load(&f->c, dir, &f->d), -EISDIR);
	assert_non_null(strstr(f->d.msg, "cannot read config file"));
	diag_clear_err(&f->d);

	assert_int_equal(tmpdir_write(path, "[cdnallow]\nmode = lockdown\n", 27), 0);
	assert_int_equal(config_load(&f->c, path, &f->d), 0);
	assert_string_equal(f->c.path, path);
	assert_int_equal(f->c.mode, MODE_LOCKDOWN);
	free(path);
	free(missing);
	tmpdir_remove(dir);
}

static void test_parse_size(void **state)
{
	static const struct {
		const char *s;
		int ret;
		size_t v;
	} cases[] = {
		{ "0", 0, 0 },
		{ "1000", 0, 1000 },
		{ "512k", 0, 512 * 1024 },
		{ "512K", 0, 512 * 1024 },
		{ "16M", 0, 16 << 20 },
		{ "1G", 0, 1 << 30 },
		{ "17179869183G", 0, (size_t)17179869183ULL << 30 },
		{ "17179869184G", -ERANGE, 0 },
		{ "18446744073709551615", 0, SIZE_MAX },
		{ "18446744073709551616", -ERANGE, 0 },
		{ "99999999999999999999999", -ERANGE, 0 },
		{ "", -EINVAL, 0 },
		{ "M", -EINVAL, 0 },
		{ "-1", -EINVAL, 0 },
		{ "+1", -EINVAL, 0 },
		{ " 1", -EINVAL, 0 },
		{ "1 ", -EINVAL, 0 },
		{ "16 M", -EINVAL, 0 },
		{ "16MB", -EINVAL, 0 },
		{ "16MiB", -EINVAL, 0 },
		{ "1.5M", -EINVAL, 0 },
		{ "1T", -EINVAL, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t v = 12345;
		int ret = config_parse_size(cases[i].s, &v);

		if (ret != cases[i].ret)
			fail_msg("'%s': ret %d, want %d", cases[i].s, ret, cases[i].ret);
		assert_int_equal(v, ret == 0 ? cases[i].v : 12345);
	}
}

static void test_parse_ports(void **state)
{
	uint16_t ports[BACKEND_MAX_PORTS] = { 1, 2 };
	size_t n = 2;
	struct diag d;

	(void)state;
	diag_init(&d);
	assert_int_equal(config_parse_ports(" 8080 ,443 ", ports, &n, &d), 0);
	assert_int_equal(n, 2);
	assert_int_equal(ports[0], 8080);
	assert_int_equal(ports[1], 443);
	assert_int_equal(config_parse_ports("65535", ports, &n, &d), 0);
	assert_int_equal(n, 1);
	assert_int_equal(ports[0], 65535);
	assert_int_equal(
		config_parse_ports("1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16", ports, &n, &d), 0);
	assert_int_equal(n, 16);
	/* a failure leaves the old list intact */
	assert_int_equal(config_parse_ports("22,65536", ports, &n, &d), -EINVAL);
	assert_string_equal(d.msg, "port '65536' is not a number in 1..65535");
	assert_int_equal(n, 16);
	assert_int_equal(ports[0], 1);
	diag_release(&d);
}

static void test_setters(void **state)
{
	struct fx *f = *state;
	struct config *c = &f->c;

	assert_int_equal(config_set_providers(c, "fastly, google", &f->d), 0);
	assert_int_equal(c->nproviders, 2);
	assert_string_equal(c->providers[1], "google");
	assert_int_equal(config_set_providers(c, "fastly, nosuch", &f->d), -EINVAL);
	assert_true(strncmp(f->d.msg, "unknown provider 'nosuch' (known: cloudflare, fastly", 50) ==
		    0);
	assert_int_equal(c->nproviders, 2);
	diag_clear_err(&f->d);

	assert_int_equal(config_set_backend(c, "ufw", &f->d), 0);
	assert_string_equal(c->backend, "ufw");
	assert_int_equal(config_set_backend(c, "pf", &f->d), -EINVAL);
	assert_string_equal(c->backend, "ufw");
	diag_clear_err(&f->d);

	assert_int_equal(config_set_mode(c, "lockdown", &f->d), 0);
	assert_int_equal(c->mode, MODE_LOCKDOWN);
	assert_int_equal(config_set_mode(c, "Lockdown", &f->d), -EINVAL);
	assert_string_equal(f->d.msg, "unknown mode 'Lockdown' (allowed: allow, lockdown, sets)");
	assert_int_equal(c->mode, MODE_LOCKDOWN);
	diag_clear_err(&f->d);

	assert_int_equal(config_set_state_dir(c, "/tmp/x", &f->d), 0);
	assert_string_equal(c->state_dir, "/tmp/x");
	assert_int_equal(config_set_state_dir(c, "rel", &f->d), -EINVAL);
	assert_string_equal(c->state_dir, "/tmp/x");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hooks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outputs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_guard_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_every_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_comments_and_whitespace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_comment_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_glued_comment_is_value, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_trailing_newline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mode_sets, setup, teardown),
		cmocka_unit_test(test_bad),
		cmocka_unit_test_setup_teardown(test_first_error_wins, setup, teardown),
		cmocka_unit_test_setup_teardown(test_existing_error_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_over_previous, setup, teardown),
		cmocka_unit_test_setup_teardown(test_example_config, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_file, setup, teardown),
		cmocka_unit_test(test_parse_size),
		cmocka_unit_test(test_parse_ports),
		cmocka_unit_test_setup_teardown(test_setters, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
