// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Built-in provider parsers on the real payloads in tests/fixtures, with
 * expected counts computed here from the raw bytes (parse_helpers.h) and
 * checked against the reference counts in fixtures/SOURCES.md; then the real
 * failure bodies and malformed variants of every format. Never touches the
 * network.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>

#include "diag.h"
#include "parse_helpers.h"
#include "source.h"

struct run {
	struct prefix_set *set;
	struct diag d;
	int ret;
};

/* Parses body with provider name (filter NULL = the provider default). */
static void run_parse(struct run *r, const char *name, const char *filter, const char *body,
		      size_t len)
{
	const struct provider *prov = provider_find(name);
	struct source src;

	assert_non_null(prov);
	assert_int_equal(source_init_provider(&src, prov), 0);
	if (filter) {
		free(src.filter);
		src.filter = strdup(filter);
		assert_non_null(src.filter);
	}
	r->set = prefix_set_new();
	assert_non_null(r->set);
	diag_init(&r->d);
	r->ret = source_parse(&src, body, len, r->set, &r->d);
	source_release(&src);
}

static void run_str(struct run *r, const char *name, const char *body)
{
	run_parse(r, name, NULL, body, strlen(body));
}

static void run_done(struct run *r)
{
	prefix_set_free(r->set);
	diag_release(&r->d);
}

static void run_fixture(struct run *r, const char *name, const char *filter, const char *file,
			char **body, size_t *len)
{
	*body = fixture_read(file, len);
	assert_non_null(*body);
	run_parse(r, name, filter, *body, *len);
	if (r->ret < 0)
		print_error("%s on %s: %s\n", name, file, r->d.msg);
	assert_int_equal(r->ret, 0);
}

/* Expects failure ret and a message equal to msg (or containing it when partial). */
static void expect_err(const char *name, const char *body, int ret, const char *msg, bool partial)
{
	struct run r;

	run_str(&r, name, body);
	if (r.ret != ret || (partial ? !strstr(r.d.msg, msg) : strcmp(r.d.msg, msg)))
		print_error("%s: got %d \"%s\", want %d \"%s\"\n", name, r.ret, r.d.msg, ret, msg);
	assert_int_equal(r.ret, ret);
	if (partial)
		assert_non_null(strstr(r.d.msg, msg));
	else
		assert_string_equal(r.d.msg, msg);
	assert_int_equal(strncmp(r.d.msg, name, strlen(name)), 0);
	run_done(&r);
}

/* ---- real fixtures ---- */

static void text_fixture(const char *prov, const char *file, int family, size_t ref)
{
	struct run r;
	size_t len, want;
	char *body;

	run_fixture(&r, prov, NULL, file, &body, &len);
	want = count_text_entries(body, len);
	assert_int_equal(want, ref);
	assert_int_equal(r.set->n, want);
	assert_int_equal(set_count(r.set, family), want);
	assert_int_equal(r.d.nwarnings, 0);
	run_done(&r);
	free(body);
}

static void test_cloudflare_text(void **state)
{
	(void)state;
	text_fixture("cloudflare", "cloudflare-ips-v4.txt", AF_INET, 15);
	text_fixture("cloudflare", "cloudflare-ips-v6.txt", AF_INET6, 7);
	text_fixture("cloudflare", "cloudflare-ips-v4-trailing-newline.txt", AF_INET, 15);
	text_fixture("cloudflare", "cloudflare-ips-v6-trailing-newline.txt", AF_INET6, 7);
}

static void test_cloudflare_variants_same_set(void **state)
{
	struct run a, b;
	size_t la, lb;
	char *ba, *bb;

	(void)state;
	run_fixture(&a, "cloudflare", NULL, "cloudflare-ips-v4.txt", &ba, &la);
	run_fixture(&b, "cloudflare", NULL, "cloudflare-ips-v4-trailing-newline.txt", &bb, &lb);
	assert_int_equal(prefix_set_aggregate(a.set), 0);
	assert_int_equal(prefix_set_aggregate(b.set), 0);
	assert_true(prefix_set_equal(a.set, b.set));
	run_done(&a);
	run_done(&b);
	free(ba);
	free(bb);
}

static void test_akamai_text(void **state)
{
	(void)state;
	/* 17 of 19 lines end in TAB, no final newline */
	text_fixture("akamai", "akamai-v4.txt", AF_INET, 19);
	text_fixture("akamai", "akamai-v6.txt", AF_INET6, 3);
}

/* Every quoted prefix of the file counts (fastly, gcore, the CloudFront list). */
static void quoted_fixture(const char *prov, const char *file, size_t ref4, size_t ref6)
{
	size_t len, v4, v6;
	struct run r;
	char *body;

	run_fixture(&r, prov, NULL, file, &body, &len);
	count_quoted_prefixes(body, 0, len, &v4, &v6);
	assert_int_equal(v4, ref4);
	assert_int_equal(v6, ref6);
	assert_int_equal(set_count(r.set, AF_INET), v4);
	assert_int_equal(set_count(r.set, AF_INET6), v6);
	assert_int_equal(r.set->n, v4 + v6);
	run_done(&r);
	free(body);
}

static void test_fastly(void **state)
{
	(void)state;
	quoted_fixture("fastly", "fastly.json", 19, 2);
}

static void test_gcore(void **state)
{
	struct run r;
	size_t len;
	char *body;

	(void)state;
	quoted_fixture("gcore", "gcore.json", 606, 576);
	run_fixture(&r, "gcore", NULL, "gcore.json", &body, &len);
	for (size_t i = 0; i < r.set->n; i++)
		assert_int_equal(r.set->v[i].len, r.set->v[i].family == AF_INET ? 32 : 128);
	run_done(&r);
	free(body);
}

static void test_cloudfront_list(void **state)
{
	(void)state;
	quoted_fixture("cloudfront", "aws-cloudfront-list.json", 131, 0);
}

/* Records of ip-ranges.json with service == svc, counted object by object in the raw text. */
static void count_aws_service(const char *b, size_t len, const char *svc, size_t *v4, size_t *v6)
{
	char needle[128];
	const char *p = b, *end = b + len;

	snprintf(needle, sizeof(needle), "\"service\": \"%s\"", svc);
	*v4 = *v6 = 0;
	while ((p = memmem(p, (size_t)(end - p), needle, strlen(needle)))) {
		const char *open = memrchr(b, '{', (size_t)(p - b));
		const char *close = memchr(p, '}', (size_t)(end - p));

		assert_non_null(open);
		assert_non_null(close);
		if (memmem(open, (size_t)(close - open), "\"ipv6_prefix\"", 13))
			(*v6)++;
		else if (memmem(open, (size_t)(close - open), "\"ip_prefix\"", 11))
			(*v4)++;
		p = close;
	}
}

static void aws_service(const char *filter, size_t ref4, size_t ref6)
{
	size_t len, v4, v6;
	struct run r;
	char *body;

	run_fixture(&r, "cloudfront", filter, "aws-ip-ranges.json", &body, &len);
	count_aws_service(body, len, filter ? filter : "CLOUDFRONT_ORIGIN_FACING", &v4, &v6);
	assert_int_equal(v4, ref4);
	if (ref6 != (size_t)-1)
		assert_int_equal(v6, ref6);
	assert_int_equal(set_count(r.set, AF_INET), v4);
	assert_int_equal(set_count(r.set, AF_INET6), v6);
	run_done(&r);
	free(body);
}

static void test_cloudfront_ip_ranges(void **state)
{
	(void)state;
	aws_service(NULL, 46, (size_t)-1); /* default filter: CLOUDFRONT_ORIGIN_FACING */
	aws_service("CLOUDFRONT", 193, 27);
}

static void test_cloudfront_unknown_service(void **state)
{
	struct run r;
	size_t len;
	char *body;

	(void)state;
	body = fixture_read("aws-ip-ranges.json", &len);
	assert_non_null(body);
	run_parse(&r, "cloudfront", "CLOUDFRONT_ORGIN_FACING", body, len);
	assert_int_equal(r.ret, -ENOENT);
	assert_non_null(strstr(r.d.msg, "cloudfront: no record has service "
					"\"CLOUDFRONT_ORGIN_FACING\""));
	assert_int_equal(r.set->n, 0);
	run_done(&r);
	free(body);
}

static void google_fixture(const char *file, size_t ref4, size_t ref6)
{
	struct run r;
	size_t len;
	char *body;

	run_fixture(&r, "google", NULL, file, &body, &len);
	assert_int_equal(count_substr(body, len, "\"ipv4Prefix\""), ref4);
	assert_int_equal(count_substr(body, len, "\"ipv6Prefix\""), ref6);
	assert_int_equal(set_count(r.set, AF_INET), ref4);
	assert_int_equal(set_count(r.set, AF_INET6), ref6);
	run_done(&r);
	free(body);
}

static void test_google(void **state)
{
	(void)state;
	google_fixture("google-goog.json", 73, 11);
	google_fixture("google-cloud.json", 736, 46);
}

/* Quoted prefixes in the addressPrefixes array following "name": "tag". */
static void count_azure_tag(const char *b, size_t len, const char *tag, size_t *v4, size_t *v6)
{
	char needle[128];
	const char *p, *arr, *close;

	snprintf(needle, sizeof(needle), "\"name\": \"%s\"", tag);
	p = memmem(b, len, needle, strlen(needle));
	assert_non_null(p);
	arr = memmem(p, len - (size_t)(p - b), "\"addressPrefixes\": [", 20);
	assert_non_null(arr);
	close = memchr(arr, ']', len - (size_t)(arr - b));
	assert_non_null(close);
	count_quoted_prefixes(b, (size_t)(arr - b) + 20, (size_t)(close - b), v4, v6);
}

static void test_azure(void **state)
{
	size_t len, v4, v6;
	struct run r;
	char *body;

	(void)state;
	run_fixture(&r, "azure-frontdoor", NULL, "azure-servicetags-public.json", &body, &len);
	count_azure_tag(body, len, "AzureFrontDoor.Backend", &v4, &v6);
	assert_int_equal(v4, 63);
	assert_int_equal(v6, 85);
	assert_int_equal(set_count(r.set, AF_INET), v4);
	assert_int_equal(set_count(r.set, AF_INET6), v6);
	run_done(&r);

	run_parse(&r, "azure-frontdoor", "AzureFrontDoor.Frontend", body, len);
	assert_int_equal(r.ret, 0);
	count_azure_tag(body, len, "AzureFrontDoor.Frontend", &v4, &v6);
	assert_true(v4 + v6 > 0);
	assert_int_equal(set_count(r.set, AF_INET), v4);
	assert_int_equal(set_count(r.set, AF_INET6), v6);
	run_done(&r);

	run_parse(&r, "azure-frontdoor", "NoSuchTag", body, len);
	assert_int_equal(r.ret, -ENOENT);
	assert_string_equal(r.d.msg, "azure-frontdoor: no service tag named \"NoSuchTag\"");
	run_done(&r);
	free(body);
}

/* ---- real failure bodies ---- */

static void test_cloudflare_error_pages(void **state)
{
	static const char *const pages[] = {
		"cloudflare-ips-v4-error-500.html",
		"cloudflare-ips-v4-error-502.html",
		"cloudflare-ips-v4-error-challenge.html",
		"cloudflare-ips-v4-error-notfound.html",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
		struct run r;
		size_t len;
		char *body = fixture_read(pages[i], &len);

		assert_non_null(body);
		run_parse(&r, "cloudflare", NULL, body, len);
		assert_int_equal(r.ret, -EBADMSG);
		assert_string_equal(r.d.msg, "cloudflare: looks like an HTML page (HTTP error or "
					     "challenge page?), not a text list");
		assert_int_equal(r.set->n, 0);
		run_done(&r);
		free(body);
	}
}

static void test_fastly_empty_body(void **state)
{
	struct run r;
	size_t len;
	char *body;

	(void)state;
	body = fixture_read("fastly-error-empty.txt", &len);
	assert_non_null(body);
	assert_int_equal(len, 0);
	run_parse(&r, "fastly", NULL, body, len);
	assert_int_equal(r.ret, 0);
	assert_int_equal(r.set->n, 0);
	assert_string_equal(r.d.msg, "");
	run_done(&r);
	free(body);
}

/* ---- every provider: empty, HTML, truncated ---- */

static void test_all_empty_and_html(void **state)
{
	static const char html[] = "\r\n <html><head><title>502 Bad Gateway</title></head></html>";

	(void)state;
	for (size_t i = 0; provider_registry[i]; i++) {
		const char *name = provider_registry[i]->name;
		struct run r;

		run_str(&r, name, "");
		assert_int_equal(r.ret, 0);
		assert_int_equal(r.set->n, 0);
		run_done(&r);
		run_str(&r, name, " \r\n\t");
		assert_int_equal(r.ret, 0);
		assert_int_equal(r.set->n, 0);
		run_done(&r);
		run_parse(&r, name, NULL, NULL, 0);
		assert_int_equal(r.ret, 0);
		run_done(&r);
		expect_err(name, html, -EBADMSG,
			   "looks like an HTML page (HTTP error or challenge page?), not ", true);
	}
}

/* Body cut in the middle of an array: jansson's position is in the message. */
static void truncated(const char *name, const char *body)
{
	struct run r;

	run_parse(&r, name, NULL, body, strlen(body) / 2);
	assert_int_equal(r.ret, -EBADMSG);
	assert_int_equal(strncmp(r.d.msg, name, strlen(name)), 0);
	assert_non_null(strstr(r.d.msg, "invalid JSON at line 1 column"));
	run_done(&r);
}

/* Made-up payloads in the documented shapes (no real sample for bunny, imperva, the CF API). */
#define CF_API                                                                               \
	"{\"result\":{\"ipv4_cidrs\":[\"192.0.2.0/24\",\"198.51.100.0/24\"],"                \
	"\"ipv6_cidrs\":[\"2001:db8::/32\"],\"etag\":\"x\"},\"success\":true,\"errors\":[]," \
	"\"messages\":[]}"
#define IMPERVA                                                                    \
	"{\"ipRanges\":[\"192.0.2.0/24\",\"198.51.100.0/25\",\"203.0.113.0/24\"]," \
	"\"ipv6Ranges\":[\"2001:db8:1::/48\"],\"res\":0,\"res_message\":\"OK\","   \
	"\"debug_info\":{\"id-info\":\"999999\"}}"
#define BUNNY "[\"192.0.2.1\",\"192.0.2.7\",\"198.51.100.9\",\"203.0.113.200\"]"
#define BUNNY6 "[\"2001:db8::1\",\"2001:db8:5::a\"]"

static void test_truncated_json(void **state)
{
	(void)state;
	truncated("fastly", "{\"addresses\":[\"23.235.32.0/20\",\"43.249.72.0/22\"],"
			    "\"ipv6_addresses\":[\"2a04:4e40::/32\"]}");
	truncated("gcore", "{\"addresses\": [\"31.184.207.11/32\", \"92.223.124.6/32\"], "
			   "\"addresses_v6\": []}");
	truncated("cloudfront", "{\"CLOUDFRONT_GLOBAL_IP_LIST\": [\"120.52.22.96/27\", "
				"\"205.251.249.0/24\"], \"CLOUDFRONT_REGIONAL_EDGE_IP_LIST\": []}");
	truncated("google", "{\"prefixes\": [{\"ipv4Prefix\": \"8.8.4.0/24\"}, "
			    "{\"ipv6Prefix\": \"2001:4860::/32\"}]}");
	truncated("azure-frontdoor",
		  "{\"values\": [{\"name\": \"AzureFrontDoor.Backend\", \"properties\": "
		  "{\"addressPrefixes\": [\"13.73.248.8/29\"]}}]}");
	truncated("cloudflare", CF_API);
	truncated("imperva", IMPERVA);
	truncated("bunny", BUNNY);
}

static void test_real_fixtures_truncated(void **state)
{
	static const char *const files[][2] = {
		{ "fastly", "fastly.json" },
		{ "gcore", "gcore.json" },
		{ "cloudfront", "aws-cloudfront-list.json" },
		{ "cloudfront", "aws-ip-ranges.json" },
		{ "google", "google-goog.json" },
		{ "azure-frontdoor", "azure-servicetags-public.json" },
		{ "cdn77", "cdn77.json" },
		{ "imperva", "imperva.json" },
		{ "cloudflare", "cloudflare-jdcloud.json" },
		{ "cloudflare-china", "cloudflare-jdcloud.json" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct run r;
		size_t len;
		char *body = fixture_read(files[i][1], &len);

		assert_non_null(body);
		run_parse(&r, files[i][0], NULL, body, len - 3);
		assert_int_equal(r.ret, -EBADMSG);
		assert_non_null(strstr(r.d.msg, ": invalid JSON at line "));
		run_done(&r);
		free(body);
	}
}

/* ---- malformed variants ---- */

static void test_fastly_malformed(void **state)
{
	(void)state;
	expect_err(
		"fastly",
		"{\"addresses\":[\"23.235.32.0/20\",\"43.249.72.0/22\",\"103.244.50.0/24\",null],"
		"\"ipv6_addresses\":[]}",
		-EBADMSG, "fastly: addresses[3]: expected a string, got null", false);
	expect_err("fastly", "{\"addresses\":[],\"ipv6_addresses\":[42]}", -EBADMSG,
		   "fastly: ipv6_addresses[0]: expected a string, got a number", false);
	expect_err("fastly", "{\"addresses\":[\"23.235.32.0/20\"]}", -EBADMSG,
		   "fastly: missing key \"ipv6_addresses\"", false);
	expect_err("fastly", "{\"addresses\":\"23.235.32.0/20\",\"ipv6_addresses\":[]}", -EBADMSG,
		   "fastly: addresses: expected an array, got a string", false);
	expect_err("fastly", "{\"addresses\":[[\"23.235.32.0/20\"]],\"ipv6_addresses\":[]}",
		   -EBADMSG, "fastly: addresses[0]: expected a string, got an array", false);
	expect_err("fastly", "{\"addresses\":[\"23.235.32.0 /20\"],\"ipv6_addresses\":[]}", -EINVAL,
		   "fastly: addresses[0]: \"23.235.32.0 /20\": not an IP address or prefix", false);
	expect_err("fastly", "{\"addresses\":[\" 23.235.32.0/20\"],\"ipv6_addresses\":[]}", -EINVAL,
		   "not an IP address or prefix", true);
	expect_err("fastly", "{\"addresses\":[\"23.235.32.0/33\"],\"ipv6_addresses\":[]}", -EINVAL,
		   "fastly: addresses[0]: \"23.235.32.0/33\": prefix length out of range", false);
	expect_err("fastly", "{\"addresses\":[\"2a04:4e40::/32\"],\"ipv6_addresses\":[]}", -EINVAL,
		   "fastly: addresses[0]: \"2a04:4e40::/32\" is IPv6, expected IPv4", false);
	expect_err("fastly", "{\"addresses\":[],\"ipv6_addresses\":[\"151.101.0.0/16\"]}", -EINVAL,
		   "fastly: ipv6_addresses[0]: \"151.101.0.0/16\" is IPv4, expected IPv6", false);
	expect_err("fastly", "[\"151.101.0.0/16\"]", -EBADMSG,
		   "fastly: expected an object, got an array", false);
	expect_err("fastly", "{\"addresses\":[],\"addresses\":[],\"ipv6_addresses\":[]}", -EBADMSG,
		   "fastly: invalid JSON at line 1 column", true);
	/* huge numbers are rejected by the JSON parser itself or as a wrong type */
	expect_err("fastly", "{\"addresses\":[1e99999],\"ipv6_addresses\":[]}", -EBADMSG,
		   "fastly: invalid JSON at line 1 column", true);
	expect_err("fastly",
		   "{\"addresses\":[123456789012345678901234567890],\"ipv6_addresses\":[]}",
		   -EBADMSG, "fastly: invalid JSON at line 1 column", true);
	expect_err("fastly", "{\"addresses\":[1e300],\"ipv6_addresses\":[]}", -EBADMSG,
		   "fastly: addresses[0]: expected a string, got a number", false);
	expect_err("fastly", "{\"addresses\":[],\"ipv6_addresses\":[]} trailing", -EBADMSG,
		   "fastly: invalid JSON", true);
}

static void test_gcore_malformed(void **state)
{
	(void)state;
	expect_err("gcore", "{\"addresses\": [\"31.184.207.11/32\"], \"addresses_v6\": [false]}",
		   -EBADMSG, "gcore: addresses_v6[0]: expected a string, got false", false);
	expect_err("gcore", "{\"addresses_v6\": []}", -EBADMSG, "gcore: missing key \"addresses\"",
		   false);
	expect_err("gcore", "{\"addresses\": {}, \"addresses_v6\": []}", -EBADMSG,
		   "gcore: addresses: expected an array, got an object", false);
}

static void test_cloudflare_api(void **state)
{
	struct run r;

	(void)state;
	run_str(&r, "cloudflare", CF_API); /* made up, documented shape */
	assert_int_equal(r.ret, 0);
	assert_int_equal(set_count(r.set, AF_INET), 2);
	assert_int_equal(set_count(r.set, AF_INET6), 1);
	run_done(&r);
	expect_err("cloudflare",
		   "{\"result\":null,\"success\":false,\"errors\":[{\"code\":10000,"
		   "\"message\":\"Authentication error\"}],\"messages\":[]}",
		   -EBADMSG, "cloudflare: API reported failure: Authentication error", false);
	expect_err("cloudflare", "{\"result\":{\"ipv4_cidrs\":[],\"ipv6_cidrs\":[]}}", -EBADMSG,
		   "cloudflare: API reported no \"success\" field", false);
	expect_err("cloudflare", "{\"success\":true}", -EBADMSG,
		   "cloudflare: missing key \"result\"", false);
	expect_err("cloudflare", "{\"success\":true,\"result\":[]}", -EBADMSG,
		   "cloudflare: result: expected an object, got an array", false);
	expect_err("cloudflare",
		   "{\"success\":true,\"result\":{\"ipv4_cidrs\":[\"192.0.2.0/24\"],"
		   "\"ipv6_cidrs\":[\"192.0.2.0/24\"]}}",
		   -EINVAL,
		   "cloudflare: result.ipv6_cidrs[0]: \"192.0.2.0/24\" is IPv4, expected IPv6",
		   false);
	expect_err("cloudflare", "{\"success\":true,\"result\":{\"ipv6_cidrs\":[]}}", -EBADMSG,
		   "cloudflare: missing key \"result.ipv4_cidrs\"", false);
	expect_err("cloudflare", "173.245.48.0/20\n103.21.244.0 /22\n", -EINVAL, "cloudflare:2",
		   true);
}

static void test_cloudfront_malformed(void **state)
{
	(void)state;
	expect_err("cloudfront",
		   "{\"prefixes\": [{\"ip_prefix\": \"3.4.12.4/32\", \"service\": "
		   "\"CLOUDFRONT_ORIGIN_FACING\"}, {\"ip_prefix\": null, \"service\": "
		   "\"CLOUDFRONT_ORIGIN_FACING\"}], \"ipv6_prefixes\": []}",
		   -EBADMSG, "cloudfront: prefixes[1].ip_prefix: expected a string, got null",
		   false);
	expect_err(
		"cloudfront",
		"{\"prefixes\": [], \"ipv6_prefixes\": [{\"ipv6_prefix\": \"3.4.12.0/24\", "
		"\"service\": \"CLOUDFRONT_ORIGIN_FACING\"}]}",
		-EINVAL,
		"cloudfront: ipv6_prefixes[0].ipv6_prefix: \"3.4.12.0/24\" is IPv4, expected IPv6",
		false);
	expect_err("cloudfront",
		   "{\"prefixes\": [{\"ip_prefix\": \"3.4.12.4/32\"}], \"ipv6_prefixes\": []}",
		   -EBADMSG, "cloudfront: missing key \"prefixes[0].service\"", false);
	expect_err("cloudfront",
		   "{\"prefixes\": [{\"service\": \"CLOUDFRONT_ORIGIN_FACING\"}], "
		   "\"ipv6_prefixes\": []}",
		   -EBADMSG, "cloudfront: missing key \"prefixes[0].ip_prefix\"", false);
	expect_err("cloudfront", "{\"prefixes\": [\"3.4.12.4/32\"], \"ipv6_prefixes\": []}",
		   -EBADMSG, "cloudfront: prefixes[0]: expected an object, got a string", false);
	expect_err("cloudfront", "{\"prefixes\": []}", -EBADMSG,
		   "cloudfront: missing key \"ipv6_prefixes\"", false);
	expect_err("cloudfront", "{\"CLOUDFRONT_GLOBAL_IP_LIST\": [\"120.52.22.96/27\"]}", -EBADMSG,
		   "cloudfront: missing key \"CLOUDFRONT_REGIONAL_EDGE_IP_LIST\"", false);
	expect_err("cloudfront",
		   "{\"CLOUDFRONT_GLOBAL_IP_LIST\": [\"2600:9000::/28\"], "
		   "\"CLOUDFRONT_REGIONAL_EDGE_IP_LIST\": []}",
		   -EINVAL, "cloudfront: CLOUDFRONT_GLOBAL_IP_LIST[0]: \"2600:9000::/28\" is IPv6",
		   true);
}

static void test_google_malformed(void **state)
{
	(void)state;
	expect_err("google", "{\"prefixes\": [{\"ipv4Prefix\": \"8.8.4.0/24\"}, {}]}", -EBADMSG,
		   "google: prefixes[1]: expected exactly one of ipv4Prefix, ipv6Prefix", false);
	expect_err("google", "{\"prefixes\": [{\"ipv4Prefix\": {\"a\": 1}}]}", -EBADMSG,
		   "google: prefixes[0].ipv4Prefix: expected a string, got an object", false);
	expect_err("google", "{\"prefixes\": [{\"ipv6Prefix\": \"8.8.4.0/24\"}]}", -EINVAL,
		   "google: prefixes[0].ipv6Prefix: \"8.8.4.0/24\" is IPv4, expected IPv6", false);
	expect_err("google", "{\"syncToken\": \"1\"}", -EBADMSG, "google: missing key \"prefixes\"",
		   false);
	expect_err("google", "{\"prefixes\": [7]}", -EBADMSG,
		   "google: prefixes[0]: expected an object, got a number", false);
}

static void test_azure_malformed(void **state)
{
	(void)state;
	expect_err(
		"azure-frontdoor",
		"{\"values\": [{\"name\": \"AzureFrontDoor.Backend\", \"properties\": "
		"{\"addressPrefixes\": [\"13.73.248.8/29\", null]}}]}",
		-EBADMSG,
		"azure-frontdoor: values[0].properties.addressPrefixes[1]: expected a string, got "
		"null",
		false);
	expect_err("azure-frontdoor",
		   "{\"values\": [{\"name\": \"AzureFrontDoor.Backend\", \"properties\": {}}]}",
		   -EBADMSG,
		   "azure-frontdoor: missing key \"values[0].properties.addressPrefixes\"", false);
	expect_err("azure-frontdoor", "{\"values\": [{\"properties\": {}}]}", -EBADMSG,
		   "azure-frontdoor: missing key \"values[0].name\"", false);
	expect_err("azure-frontdoor", "{\"values\": {}}", -EBADMSG,
		   "azure-frontdoor: values: expected an array, got an object", false);
	expect_err("azure-frontdoor",
		   "{\"values\": [{\"name\": \"AzureFrontDoor.Backend\", \"properties\": "
		   "{\"addressPrefixes\": [\"13.73.248.8 /29\"]}}]}",
		   -EINVAL, "\"13.73.248.8 /29\": not an IP address or prefix", true);
}

static void test_bunny(void **state)
{
	static const char xml[] = /* made up, the shape of the XML answer */
		"<?xml version=\"1.0\"?>\r\n<ArrayOfstring xmlns:i=\"http://www.w3.org/2001/"
		"XMLSchema-instance\" xmlns=\"http://schemas.microsoft.com/2003/10/Serialization/"
		"Arrays\"><string>192.0.2.1</string><string>198.51.100.9</string>\n"
		"<string>203.0.113.200</string></ArrayOfstring>";
	struct run r;

	(void)state;
	run_str(&r, "bunny", BUNNY); /* made up */
	assert_int_equal(r.ret, 0);
	assert_int_equal(set_count(r.set, AF_INET), 4);
	for (size_t i = 0; i < r.set->n; i++)
		assert_int_equal(r.set->v[i].len, 32);
	run_done(&r);
	run_str(&r, "bunny", BUNNY6);
	assert_int_equal(r.ret, 0);
	assert_int_equal(set_count(r.set, AF_INET6), 2);
	assert_int_equal(r.set->v[0].len, 128);
	run_done(&r);
	run_str(&r, "bunny", xml);
	assert_int_equal(r.ret, 0);
	assert_int_equal(set_count(r.set, AF_INET), 3);
	run_done(&r);
	run_str(&r, "bunny", "192.0.2.1\n198.51.100.8/31\n"); /* the /plain variant */
	assert_int_equal(r.ret, 0);
	assert_int_equal(r.set->n, 2);
	run_done(&r);
	expect_err("bunny", "[\"192.0.2.1\", null]", -EBADMSG,
		   "bunny: [1]: expected a string, got null", false);
	expect_err("bunny", "{\"ips\": []}", -EBADMSG, "bunny: : expected an array, got an object",
		   false);
	expect_err("bunny", "<ArrayOfstring><string>192.0.2.1</strin></ArrayOfstring>", -EBADMSG,
		   "bunny: XML edge server list malformed", true);
	expect_err("bunny", "<ArrayOfstring><string>192.0.2.1 x</string></ArrayOfstring>", -EINVAL,
		   "bunny: string[0]: \"192.0.2.1 x\": not an IP address or prefix", false);
	run_str(&r, "bunny", "<ArrayOfstring xmlns=\"x\"/>");
	assert_int_equal(r.ret, 0);
	assert_int_equal(r.set->n, 0);
	run_done(&r);
}

static void test_imperva(void **state)
{
	struct run r;

	(void)state;
	run_str(&r, "imperva", IMPERVA); /* made up, documented shape */
	assert_int_equal(r.ret, 0);
	assert_int_equal(set_count(r.set, AF_INET), 3);
	assert_int_equal(set_count(r.set, AF_INET6), 1);
	run_done(&r);
	expect_err("imperva", "{\"res\":2,\"res_message\":\"Invalid input\"}", -EBADMSG,
		   "imperva: API error (res 2): Invalid input", false);
	expect_err("imperva", "{\"ipRanges\":[],\"res\":0}", -EBADMSG,
		   "imperva: missing key \"ipv6Ranges\"", false);
	expect_err("imperva", "{\"ipRanges\":[\"2001:db8::/32\"],\"ipv6Ranges\":[]}", -EINVAL,
		   "imperva: ipRanges[0]: \"2001:db8::/32\" is IPv6, expected IPv4", false);
}

/* The real API body (POSTed by a mirror): 11 IPv4, 1 IPv6, plus a "debug_info" object. */
static void test_imperva_real(void **state)
{
	(void)state;
	quoted_fixture("imperva", "imperva.json", 11, 1);
}

static void test_cdn77(void **state)
{
	struct run r;

	(void)state;
	quoted_fixture("cdn77", "cdn77.json", 36, 0);
	run_str(&r, "cdn77", "{\"updated_at\": \"x\", \"prefixes\": []}");
	assert_int_equal(r.ret, 0);
	assert_int_equal(r.set->n, 0);
	run_done(&r);
	expect_err("cdn77", "{\"updated_at\": \"x\"}", -EBADMSG, "cdn77: missing key \"prefixes\"",
		   false);
	expect_err("cdn77", "{\"prefixes\": [\"192.0.2.0/24\"]}", -EBADMSG,
		   "cdn77: prefixes[0]: expected an object, got a string", false);
	expect_err("cdn77", "{\"prefixes\": [{\"prefix\": \"192.0.2.0/24\"}, {}]}", -EBADMSG,
		   "cdn77: missing key \"prefixes[1].prefix\"", false);
	expect_err("cdn77", "{\"prefixes\": [{\"prefix\": 7}]}", -EBADMSG,
		   "cdn77: prefixes[0].prefix: expected a string, got a number", false);
	expect_err("cdn77", "{\"prefixes\": [{\"prefix\": \"192.0.2.0/33\"}]}", -EINVAL,
		   "cdn77: prefixes[0].prefix: \"192.0.2.0/33\"", true);
	expect_err("cdn77", "<html><body>502 Bad Gateway</body></html>", -EBADMSG,
		   "cdn77: looks like an HTML page", true);
}

/* quic.cloud/ips: addresses separated by "<br />", no final separator. */
static void test_quiccloud(void **state)
{
	size_t len, want;
	struct run r;
	char *body;

	(void)state;
	run_fixture(&r, "quic-cloud", NULL, "quic-cloud-ips.html", &body, &len);
	want = count_substr(body, len, "<br />") + 1;
	assert_int_equal(want, 152);
	assert_int_equal(set_count(r.set, AF_INET), want);
	assert_int_equal(set_count(r.set, AF_INET6), 0);
	for (size_t i = 0; i < r.set->n; i++)
		assert_int_equal(r.set->v[i].len, 32);
	assert_int_equal(r.d.nwarnings, 0);
	run_done(&r);
	free(body);
	/* the ?ln variant and the other spellings of the tag */
	run_str(&r, "quic-cloud", "192.0.2.1\n198.51.100.9\n");
	assert_int_equal(r.ret, 0);
	assert_int_equal(r.set->n, 2);
	run_done(&r);
	run_str(&r, "quic-cloud",
		"192.0.2.1<br>198.51.100.9<BR/>203.0.113.5<br />2001:db8::1<br />");
	assert_int_equal(r.ret, 0);
	assert_int_equal(set_count(r.set, AF_INET), 3);
	assert_int_equal(set_count(r.set, AF_INET6), 1);
	run_done(&r);
	expect_err("quic-cloud", "<!DOCTYPE html><html><title>Just a moment...</title></html>",
		   -EBADMSG, "quic-cloud: looks like an HTML page", true);
	expect_err("quic-cloud", "192.0.2.1<br />198.51.100.9<b>", -EBADMSG,
		   "quic-cloud: looks like an HTML page", true);
	expect_err("quic-cloud", "192.0.2.1<br", -EBADMSG, "quic-cloud: looks like an HTML page",
		   true);
	expect_err("quic-cloud", "192.0.2.1<br />not-an-address", -EINVAL, "not-an-address", true);
}

/*
 * The real API body of api.cloudflare.com/client/v4/ips?networks=jdcloud (as
 * a mirror's curl stored it): the cloudflare provider reads its global arrays
 * and ignores jdcloud_cidrs, which sit between them and "etag".
 */
static void test_cloudflare_api_real(void **state)
{
	size_t len, v4, v6, jd4, jd6;
	const char *jd;
	struct run r;
	char *body;

	(void)state;
	run_fixture(&r, "cloudflare", NULL, "cloudflare-jdcloud.json", &body, &len);
	jd = strstr(body, "\"jdcloud_cidrs\"");
	assert_non_null(jd);
	count_quoted_prefixes(body, 0, (size_t)(jd - body), &v4, &v6);
	assert_int_equal(v4, 15);
	assert_int_equal(v6, 7);
	assert_int_equal(set_count(r.set, AF_INET), v4);
	assert_int_equal(set_count(r.set, AF_INET6), v6);
	count_quoted_prefixes(body, (size_t)(jd - body), len, &jd4, &jd6);
	assert_int_equal(jd4, 47);
	assert_int_equal(jd6, 46);
	run_done(&r);
	free(body);
}

/* cloudflare-china: the global arrays and jdcloud_cidrs (both families mixed), all of them. */
static void test_cloudflare_china(void **state)
{
	(void)state;
	quoted_fixture("cloudflare-china", "cloudflare-jdcloud.json", 15 + 47, 7 + 46);
	/* the plain /ips answer: the query string was lost, not "no JD Cloud" */
	expect_err("cloudflare-china", CF_API, -EBADMSG,
		   "cloudflare-china: missing key \"result.jdcloud_cidrs\"", false);
	expect_err("cloudflare-china",
		   "{\"result\":null,\"success\":false,\"errors\":[{\"code\":10000,"
		   "\"message\":\"Authentication error\"}],\"messages\":[]}",
		   -EBADMSG, "cloudflare-china: API reported failure: Authentication error", false);
	expect_err("cloudflare-china",
		   "{\"success\":true,\"result\":{\"ipv4_cidrs\":[],\"ipv6_cidrs\":[],"
		   "\"jdcloud_cidrs\":\"192.0.2.0/24\"}}",
		   -EBADMSG, "cloudflare-china: result.jdcloud_cidrs: expected an array", true);
	expect_err("cloudflare-china",
		   "{\"success\":true,\"result\":{\"ipv4_cidrs\":[],\"ipv6_cidrs\":[],"
		   "\"jdcloud_cidrs\":[\"192.0.2.0/24\",\"2001:db8::/33x\"]}}",
		   -EINVAL, "cloudflare-china: result.jdcloud_cidrs[1]", true);
	/* the text lists are the cloudflare provider's, not an answer of this API */
	expect_err("cloudflare-china", "173.245.48.0/20\n103.21.244.0/22", -EBADMSG,
		   "cloudflare-china: ", true);
}

/* www.arvancloud.ir/en/ips.txt: one IPv4 CIDR a line, no final newline. */
static void test_arvancloud(void **state)
{
	(void)state;
	text_fixture("arvancloud", "arvancloud-ips.txt", AF_INET, 15);
	expect_err("arvancloud", "185.143.232.0/22\n92.114.16.80/28 x\n", -EINVAL, "arvancloud:2",
		   true);
}

static void test_host_bits_warn(void **state)
{
	char buf[PREFIX_STRLEN];
	struct run r;

	(void)state;
	run_str(&r, "fastly", "{\"addresses\":[\"151.101.7.9/24\"],\"ipv6_addresses\":[]}");
	assert_int_equal(r.ret, 0);
	assert_int_equal(r.set->n, 1);
	prefix_format(&r.set->v[0], buf, sizeof(buf));
	assert_string_equal(buf, "151.101.7.0/24");
	assert_int_equal(r.d.nwarnings, 1);
	assert_non_null(strstr(r.d.warnings[0], "fastly: addresses[0]: \"151.101.7.9/24\" has "
						"host bits set, using 151.101.7.0/24"));
	run_done(&r);
	/* broader than /24 (/48 for IPv6) with host bits: a typo that would open far more */
	expect_err("fastly", "{\"addresses\":[\"151.101.7.9/16\"],\"ipv6_addresses\":[]}", -EINVAL,
		   "fastly: addresses[0]: \"151.101.7.9/16\" has host bits set and is broader "
		   "than /24: refused",
		   true);
	expect_err("fastly", "{\"addresses\":[],\"ipv6_addresses\":[\"2a04:4e42::1/32\"]}", -EINVAL,
		   "\"2a04:4e42::1/32\" has host bits set and is broader than /48", true);
}

static bool overlaps_any(const struct prefix *p, const struct prefix_set *s)
{
	for (size_t i = 0; i < s->n; i++) {
		if (s->v[i].family == p->family &&
		    (prefix_contains(&s->v[i], p) || prefix_contains(p, &s->v[i])))
			return true;
	}
	return false;
}

/* google = goog.json minus cloud.json plus the load balancers' ranges: no customer VM passes. */
static void test_google_excludes_cloud(void **state)
{
	static const char *const front_ends[] = { "35.191.0.0/16",	   "130.211.0.0/22",
						  "34.96.0.0/20",	   "34.127.192.0/18",
						  "2600:2d00:1:b029::/64", "2600:2d00:1:1::/64" };
	struct prefix_set *got = prefix_set_new(), *excl = prefix_set_new();
	const struct snapshot *snap = snapshot_find("google");
	size_t glen, clen, overlap_all = 0;
	char *goog = fixture_read("google-goog.json", &glen);
	char *cloud = fixture_read("google-cloud.json", &clen);
	struct run all, cl;
	struct source src;
	struct diag d;

	(void)state;
	diag_init(&d);
	assert_int_equal(source_init_provider(&src, provider_find("google")), 0);
	assert_int_equal(src.nurls, 2);
	assert_int_equal(source_parse_endpoint(&src, 0, goog, glen, got, excl, &d), 0);
	assert_int_equal(source_parse_endpoint(&src, 1, cloud, clen, got, excl, &d), 0);
	assert_int_equal(source_finish(&src, got, excl, &d), 0);
	run_parse(&cl, "google-all", NULL, cloud, clen);
	assert_int_equal(prefix_set_aggregate(cl.set), 0);
	for (size_t i = 0; i < got->n; i++)
		assert_false(overlaps_any(&got->v[i], cl.set));
	for (size_t i = 0; i < sizeof(front_ends) / sizeof(front_ends[0]); i++) {
		struct prefix p;

		assert_int_equal(prefix_parse(front_ends[i], strlen(front_ends[i]), &p, NULL), 0);
		assert_true(prefix_set_contains(got, &p));
	}
	/* the built-in snapshot is made the same way */
	assert_non_null(snap);
	prefix_set_clear(excl);
	assert_int_equal(prefix_set_parse_text(excl, snap->text, strlen(snap->text), "snap", &d),
			 0);
	assert_int_equal(prefix_set_aggregate(excl), 0);
	assert_true(prefix_set_equal(excl, got));
	/* what google used to be: 37 of goog.json's 84 prefixes overlap cloud.json */
	run_parse(&all, "google-all", NULL, goog, glen);
	for (size_t i = 0; i < all.set->n; i++)
		overlap_all += overlaps_any(&all.set->v[i], cl.set);
	assert_int_equal(all.set->n, 84);
	assert_int_equal(overlap_all, 37);
	run_done(&all);
	run_done(&cl);
	source_release(&src);
	prefix_set_free(got);
	prefix_set_free(excl);
	diag_release(&d);
	free(goog);
	free(cloud);
}

/* ---- registry and source life cycle ---- */

static void test_registry(void **state)
{
	static const char *const names[] = { "cloudflare",	 "fastly",    "cloudfront",
					     "google",		 "gcore",     "akamai",
					     "azure-frontdoor",	 "bunny",     "imperva",
					     "google-all",	 "cdn77",     "quic-cloud",
					     "cloudflare-china", "arvancloud" };
	size_t n = 0;

	(void)state;
	for (; provider_registry[n]; n++) {
		const struct provider *p = provider_registry[n];

		assert_ptr_equal(provider_find(p->name), p);
		assert_true(p->floor >= 5);
		assert_non_null(p->parse);
		assert_non_null(p->summary);
		for (size_t u = 0; p->urls[u]; u++)
			assert_int_equal(strncmp(p->urls[u], "https://", 8), 0);
	}
	assert_int_equal(n, sizeof(names) / sizeof(names[0]));
	for (size_t i = 0; i < n; i++)
		assert_non_null(provider_find(names[i]));
	assert_null(provider_find("generic"));
	assert_null(provider_find("Cloudflare"));
	assert_null(provider_find(NULL));
	assert_null(provider_find("azure"));
	assert_null(provider_find("akamai")->urls[0]);
	assert_string_equal(provider_find("cloudfront")->default_filter,
			    "CLOUDFRONT_ORIGIN_FACING");
}

static void test_source_init(void **state)
{
	struct source s;

	(void)state;
	assert_int_equal(source_init_provider(&s, provider_find("cloudflare")), 0);
	assert_string_equal(s.name, "cloudflare");
	assert_int_equal(s.nurls, 2);
	assert_string_equal(s.urls[1], "https://www.cloudflare.com/ips-v6");
	assert_int_equal(s.floor, 10);
	assert_null(s.filter);
	source_release(&s);
	assert_null(s.name);
	source_release(&s); /* twice is harmless */
	assert_int_equal(source_init_provider(&s, provider_find("azure-frontdoor")), 0);
	assert_int_equal(s.nurls, 0);
	assert_string_equal(s.filter, "AzureFrontDoor.Backend");
	source_release(&s);
	assert_int_equal(source_init_provider(&s, NULL), -EINVAL);
	source_release(NULL);

	assert_int_equal(source_init_generic(&s, "office", "/etc/cdnallow/extra.txt"), 0);
	assert_ptr_equal(s.prov, &provider_generic);
	assert_int_equal(s.nurls, 1);
	assert_int_equal(s.format, FORMAT_AUTO);
	assert_int_equal(s.floor, 1);
	assert_string_equal(s.urls[0], "/etc/cdnallow/extra.txt");
	source_release(&s);
	assert_int_equal(source_init_generic(&s, "x", ""), -EINVAL);
}

static void test_source_is_url(void **state)
{
	(void)state;
	assert_true(source_is_url("https://example.com/list"));
	assert_true(source_is_url("http://127.0.0.1:8080/x"));
	assert_true(source_is_url("file:///etc/x"));
	assert_true(source_is_url("svn+ssh://h/x"));
	assert_false(source_is_url("/etc/cdnallow/extra.txt"));
	assert_false(source_is_url("list.txt"));
	assert_false(source_is_url("./https://x"));
	assert_false(source_is_url("1http://x"));
	assert_false(source_is_url("https:/x"));
	assert_false(source_is_url("://x"));
	assert_false(source_is_url(""));
	assert_false(source_is_url(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cloudflare_text),
		cmocka_unit_test(test_cloudflare_variants_same_set),
		cmocka_unit_test(test_akamai_text),
		cmocka_unit_test(test_fastly),
		cmocka_unit_test(test_gcore),
		cmocka_unit_test(test_cloudfront_list),
		cmocka_unit_test(test_cloudfront_ip_ranges),
		cmocka_unit_test(test_cloudfront_unknown_service),
		cmocka_unit_test(test_google),
		cmocka_unit_test(test_azure),
		cmocka_unit_test(test_cloudflare_error_pages),
		cmocka_unit_test(test_fastly_empty_body),
		cmocka_unit_test(test_all_empty_and_html),
		cmocka_unit_test(test_google_excludes_cloud),
		cmocka_unit_test(test_truncated_json),
		cmocka_unit_test(test_real_fixtures_truncated),
		cmocka_unit_test(test_fastly_malformed),
		cmocka_unit_test(test_gcore_malformed),
		cmocka_unit_test(test_cloudflare_api),
		cmocka_unit_test(test_cloudfront_malformed),
		cmocka_unit_test(test_google_malformed),
		cmocka_unit_test(test_azure_malformed),
		cmocka_unit_test(test_bunny),
		cmocka_unit_test(test_imperva),
		cmocka_unit_test(test_imperva_real),
		cmocka_unit_test(test_cdn77),
		cmocka_unit_test(test_quiccloud),
		cmocka_unit_test(test_cloudflare_api_real),
		cmocka_unit_test(test_cloudflare_china),
		cmocka_unit_test(test_arvancloud),
		cmocka_unit_test(test_host_bits_warn),
		cmocka_unit_test(test_registry),
		cmocka_unit_test(test_source_init),
		cmocka_unit_test(test_source_is_url),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
