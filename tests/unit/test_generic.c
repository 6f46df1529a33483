// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Generic sources: format sniffing, json_path on real payloads (counts from
 * the raw bytes, parse_helpers.h) and on made-up shapes, its grammar errors,
 * and the cdnallow-ranges/1 round trip. Never touches the network.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <jansson.h>

#include "diag.h"
#include "parse_helpers.h"
#include "source.h"

struct run {
	struct prefix_set *set;
	struct diag d;
	int ret;
};

static void run_generic(struct run *r, enum source_format fmt, const char *json_path,
			const char *body, size_t len)
{
	struct source src;

	assert_int_equal(source_init_generic(&src, "x", "/tmp/x"), 0);
	src.format = fmt;
	if (json_path) {
		src.json_path = strdup(json_path);
		assert_non_null(src.json_path);
	}
	r->set = prefix_set_new();
	assert_non_null(r->set);
	diag_init(&r->d);
	r->ret = source_parse(&src, body, len, r->set, &r->d);
	source_release(&src);
}

static void run_done(struct run *r)
{
	prefix_set_free(r->set);
	diag_release(&r->d);
}

/* Parses a fixture with json_path and checks the count against want4/want6. */
static void path_fixture(const char *file, const char *json_path, size_t want4, size_t want6)
{
	struct run r;
	size_t len;
	char *body = fixture_read(file, &len);

	assert_non_null(body);
	run_generic(&r, FORMAT_AUTO, json_path, body, len);
	if (r.ret < 0)
		print_error("%s %s: %s\n", file, json_path, r.d.msg);
	assert_int_equal(r.ret, 0);
	assert_int_equal(set_count(r.set, AF_INET), want4);
	assert_int_equal(set_count(r.set, AF_INET6), want6);
	run_done(&r);
	free(body);
}

static void expect_err(enum source_format fmt, const char *json_path, const char *body, int ret,
		       const char *msg)
{
	struct run r;

	run_generic(&r, fmt, json_path, body, strlen(body));
	if (r.ret != ret || !strstr(r.d.msg, msg))
		print_error("got %d \"%s\", want %d \"%s\"\n", r.ret, r.d.msg, ret, msg);
	assert_int_equal(r.ret, ret);
	assert_non_null(strstr(r.d.msg, msg));
	assert_int_equal(strncmp(r.d.msg, "source 'x'", 10), 0);
	run_done(&r);
}

static void test_text_auto(void **state)
{
	size_t len;
	char *body = fixture_read("akamai-v4.txt", &len);

	(void)state;
	assert_non_null(body);
	path_fixture("akamai-v4.txt", NULL, count_text_entries(body, len), 0);
	path_fixture("cloudflare-ips-v6.txt", NULL, 0, 7);
	free(body);
}

static void test_json_paths_on_fixtures(void **state)
{
	size_t len, v4, v6;
	char *body;

	(void)state;
	path_fixture("fastly.json", "addresses", 19, 0);
	path_fixture("fastly.json", "ipv6_addresses[]", 0, 2);

	body = fixture_read("aws-ip-ranges.json", &len);
	assert_non_null(body);
	v4 = count_substr(body, len, "\"ip_prefix\"");
	v6 = count_substr(body, len, "\"ipv6_prefix\"");
	assert_int_equal(v4, 8971); /* SOURCES.md: records, not distinct prefixes */
	assert_int_equal(v6, 4373);
	free(body);
	path_fixture("aws-ip-ranges.json", "prefixes[].ip_prefix", v4, 0);
	path_fixture("aws-ip-ranges.json", "ipv6_prefixes[].ipv6_prefix", 0, v6);

	/* elements without the key are skipped under [] */
	path_fixture("google-goog.json", "prefixes[].ipv4Prefix", 73, 0);
	path_fixture("google-goog.json", "prefixes[].ipv6Prefix", 0, 11);

	/* every tag's addressPrefixes: SOURCES.md says 54,831 in all */
	body = fixture_read("azure-servicetags-public.json", &len);
	assert_non_null(body);
	{
		size_t t4 = 0, t6 = 0;
		const char *p = body, *end = body + len;

		while ((p = memmem(p, (size_t)(end - p), "\"addressPrefixes\": [", 20))) {
			const char *close = memchr(p, ']', (size_t)(end - p));

			assert_non_null(close);
			count_quoted_prefixes(body, (size_t)(p - body) + 20, (size_t)(close - body),
					      &v4, &v6);
			t4 += v4;
			t6 += v6;
			p = close;
		}
		assert_int_equal(t4 + t6, 54831);
		path_fixture("azure-servicetags-public.json", "values[].properties.addressPrefixes",
			     t4, t6);
	}
	free(body);
	path_fixture("aws-cloudfront-list.json", "CLOUDFRONT_REGIONAL_EDGE_IP_LIST", 49, 0);
}

static void test_json_paths_made_up(void **state)
{
	/* made-up shapes */
	static const char nested[] =
		"{\"data\": {\"ranges\": [\"192.0.2.0/24\", \"2001:db8::/48\"]}}";
	static const char top[] = "[\"192.0.2.1\", \"198.51.100.0/24\"]";
	static const char deep[] = "{\"a\": [[\"192.0.2.0/25\"], [\"192.0.2.128/25\", "
				   "\"203.0.113.0/24\"]]}";
	static const char objs[] = "{\"a\": [{\"b\": {\"c\": [\"192.0.2.0/24\"]}}, "
				   "{\"b\": {\"c\": \"198.51.100.0/24\"}}, {\"x\": 1}]}";
	struct run r;

	(void)state;
	run_generic(&r, FORMAT_AUTO, "data.ranges[]", nested, strlen(nested));
	assert_int_equal(r.ret, 0);
	assert_int_equal(r.set->n, 2);
	run_done(&r);
	run_generic(&r, FORMAT_JSON, "data.ranges", nested, strlen(nested));
	assert_int_equal(r.ret, 0);
	assert_int_equal(r.set->n, 2);
	run_done(&r);
	run_generic(&r, FORMAT_AUTO, "[]", top, strlen(top));
	assert_int_equal(r.ret, 0);
	assert_int_equal(r.set->n, 2);
	assert_int_equal(r.set->v[0].len, 32);
	run_done(&r);
	run_generic(&r, FORMAT_AUTO, "a[][]", deep, strlen(deep));
	assert_int_equal(r.ret, 0);
	assert_int_equal(r.set->n, 3);
	run_done(&r);
	run_generic(&r, FORMAT_AUTO, "a[].b.c", objs, strlen(objs));
	assert_int_equal(r.ret, 0);
	assert_int_equal(r.set->n, 2);
	run_done(&r);
}

static void test_json_path_errors(void **state)
{
	static const char nested[] = "{\"data\": {\"ranges\": [\"192.0.2.0/24\", null]}}";

	(void)state;
	expect_err(FORMAT_AUTO, NULL, "{\"ranges\": []}", -EINVAL,
		   "source 'x': JSON body needs json_path = ");
	expect_err(FORMAT_JSON, NULL, "[\"192.0.2.0/24\"]", -EINVAL, "needs json_path");
	expect_err(
		FORMAT_AUTO, "data.ranges[]", nested, -EBADMSG,
		"source 'x': data.ranges[1]: expected a string or an array of strings, got null");
	expect_err(FORMAT_AUTO, "data.ranges", nested, -EBADMSG,
		   "source 'x': data.ranges[1]: expected a string, got null");
	expect_err(FORMAT_AUTO, "data.nope[]", nested, -EBADMSG,
		   "source 'x': missing key \"data.nope\"");
	expect_err(FORMAT_AUTO, "data[]", nested, -EBADMSG,
		   "source 'x': data: expected an array, got an object");
	expect_err(FORMAT_AUTO, "data", nested, -EBADMSG,
		   "source 'x': data: expected a string or an array of strings, got an object");
	expect_err(FORMAT_AUTO, "[]", nested, -EBADMSG,
		   "source 'x': top level: expected an array, got an object");
	expect_err(FORMAT_AUTO, "a.b", "{\"a\": [1]}", -EBADMSG,
		   "source 'x': a: expected an object, got an array");
	expect_err(FORMAT_AUTO, "a[].b", "{\"a\": [\"192.0.2.0/24\"]}", -EBADMSG,
		   "source 'x': a[0]: expected an object, got a string");
	expect_err(FORMAT_AUTO, "a[]", "{\"a\": [\"192.0.2.0 /24\"]}", -EINVAL,
		   "source 'x': a[0]: \"192.0.2.0 /24\": not an IP address or prefix");
	static const char *const bad[] = { "a..b", "a[",   "a[]x", ".a",
					   "a.",   "a[]]", "x]y",  "a[][][][][]" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_err(FORMAT_AUTO, bad[i], nested, -EINVAL, "json_path \"");
}

static void test_formats(void **state)
{
	static const char list[] = "192.0.2.0/24\n# c\n2001:db8::/32\n";
	struct run r;

	(void)state;
	run_generic(&r, FORMAT_TEXT, NULL, list, strlen(list));
	assert_int_equal(r.ret, 0);
	assert_int_equal(r.set->n, 2);
	run_done(&r);
	expect_err(FORMAT_TEXT, NULL, "{\"a\": 1}", -EINVAL, "source 'x'");
	expect_err(FORMAT_AUTO, NULL, "<!DOCTYPE html><html></html>", -EBADMSG,
		   "source 'x': looks like an HTML page (HTTP error or challenge page?)");
	expect_err(FORMAT_JSON, "a", "<html></html>", -EBADMSG,
		   "source 'x': looks like an HTML page (HTTP error or challenge page?), not JSON");
	expect_err(FORMAT_JSON, "a", "{\"a\": [\"192.0.2.0/24\"", -EBADMSG,
		   "source 'x': invalid JSON at line 1 column");
	expect_err(FORMAT_CDNALLOW, NULL, "192.0.2.0/24\n", -EBADMSG, "invalid JSON");
	run_generic(&r, FORMAT_AUTO, NULL, "", 0);
	assert_int_equal(r.ret, 0);
	assert_int_equal(r.set->n, 0);
	run_done(&r);
}

/* Builds a cdnallow-ranges/1 document the way `fetch --json` describes it. */
static char *cdnallow_doc(const struct prefix_set *s)
{
	json_t *doc = json_object(), *v4 = json_array(), *v6 = json_array(), *srcs = json_array();
	char *out;

	for (size_t i = 0; i < s->n; i++) {
		char buf[PREFIX_STRLEN];

		prefix_format(&s->v[i], buf, sizeof(buf));
		json_array_append_new(s->v[i].family == AF_INET ? v4 : v6, json_string(buf));
	}
	json_object_set_new(doc, "format", json_string("cdnallow-ranges/1"));
	json_object_set_new(doc, "generated", json_string("2025-07-25T00:00:00Z"));
	json_object_set_new(doc, "ipv4", v4);
	json_object_set_new(doc, "ipv6", v6);
	json_array_append_new(srcs, json_pack("{s:s,s:s,s:i}", "name", "azure-frontdoor", "status",
					      "fresh", "count", (int)s->n));
	json_object_set_new(doc, "sources", srcs);
	out = json_dumps(doc, JSON_INDENT(2));
	json_decref(doc);
	return out;
}

static void test_cdnallow_round_trip(void **state)
{
	const struct provider *prov = provider_find("azure-frontdoor");
	struct prefix_set *orig = prefix_set_new();
	struct source src;
	struct diag d;
	struct run r;
	size_t len;
	char *body = fixture_read("azure-servicetags-public.json", &len), *doc;

	(void)state;
	assert_non_null(body);
	assert_non_null(orig);
	diag_init(&d);
	assert_int_equal(source_init_provider(&src, prov), 0);
	assert_int_equal(source_parse(&src, body, len, orig, &d), 0);
	assert_int_equal(prefix_set_aggregate(orig), 0);
	source_release(&src);
	doc = cdnallow_doc(orig);
	assert_non_null(doc);

	for (int fmt = FORMAT_AUTO; fmt <= FORMAT_CDNALLOW; fmt += FORMAT_CDNALLOW) {
		run_generic(&r, (enum source_format)fmt, NULL, doc, strlen(doc));
		assert_int_equal(r.ret, 0);
		assert_int_equal(r.set->n, orig->n);
		assert_int_equal(prefix_set_aggregate(r.set), 0);
		assert_true(prefix_set_equal(r.set, orig));
		run_done(&r);
	}
	free(doc);
	free(body);
	prefix_set_free(orig);
	diag_release(&d);
}

static void test_cdnallow_errors(void **state)
{
	(void)state;
	expect_err(
		FORMAT_AUTO, NULL,
		"{\"format\": \"cdnallow-ranges/1\", \"ipv4\": [\"2001:db8::/32\"], \"ipv6\": []}",
		-EINVAL, "source 'x': ipv4[0]: \"2001:db8::/32\" is IPv6, expected IPv4");
	expect_err(
		FORMAT_AUTO, NULL,
		"{\"format\": \"cdnallow-ranges/1\", \"ipv4\": [], \"ipv6\": [\"192.0.2.0/24\"]}",
		-EINVAL, "source 'x': ipv6[0]: \"192.0.2.0/24\" is IPv4, expected IPv6");
	expect_err(FORMAT_AUTO, NULL,
		   "{\"format\": \"cdnallow-ranges/2\", \"ipv4\": [], \"ipv6\": []}", -EBADMSG,
		   "source 'x': format: \"cdnallow-ranges/2\" is not supported");
	expect_err(FORMAT_CDNALLOW, NULL, "{\"ipv4\": [], \"ipv6\": []}", -EBADMSG,
		   "source 'x': missing key \"format\"");
	expect_err(FORMAT_CDNALLOW, NULL, "{\"format\": \"other\", \"ipv4\": [], \"ipv6\": []}",
		   -EBADMSG, "source 'x': format: \"other\" is not supported");
	expect_err(FORMAT_AUTO, NULL, "{\"format\": \"cdnallow-ranges/1\", \"ipv4\": [null]}",
		   -EBADMSG, "source 'x': ipv4[0]: expected a string, got null");
	expect_err(FORMAT_AUTO, NULL, "{\"format\": \"cdnallow-ranges/1\", \"ipv4\": []}", -EBADMSG,
		   "source 'x': missing key \"ipv6\"");
	expect_err(FORMAT_CDNALLOW, NULL, "[]", -EBADMSG,
		   "source 'x': expected an object, got an array");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_auto),
		cmocka_unit_test(test_json_paths_on_fixtures),
		cmocka_unit_test(test_json_paths_made_up),
		cmocka_unit_test(test_json_path_errors),
		cmocka_unit_test(test_formats),
		cmocka_unit_test(test_cdnallow_round_trip),
		cmocka_unit_test(test_cdnallow_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
