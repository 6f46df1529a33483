// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Export formats (src/core/export.c) on Cloudflare's real published list:
 * every prefix reaches each format exactly once, in that format's syntax, the
 * header is the provider's own unless the sources disagree, and a header that
 * could break out of its line is refused before anything is written.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "diag.h"
#include "export.h"
#include "parse_helpers.h"
#include "prefix_set.h"
#include "source.h"

struct fx {
	struct prefix_set *set;
	char *out;
	size_t len;
};

static int setup(void **state)
{
	static const char *const files[] = { "cloudflare-ips-v4.txt", "cloudflare-ips-v6.txt" };
	struct fx *fx = calloc(1, sizeof(*fx));
	struct source src = { 0 };
	struct diag d;

	diag_init(&d);
	fx->set = prefix_set_new();
	assert_int_equal(source_init_provider(&src, provider_find("cloudflare")), 0);
	for (size_t i = 0; i < 2; i++) {
		size_t len;
		char *body = fixture_read(files[i], &len);

		assert_non_null(body);
		assert_int_equal(source_parse(&src, body, len, fx->set, &d), 0);
		free(body);
	}
	assert_int_equal(prefix_set_aggregate(fx->set), 0);
	assert_int_equal(fx->set->n, 22);
	source_release(&src);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	prefix_set_free(fx->set);
	free(fx->out);
	free(fx);
	return 0;
}

static const char *render(struct fx *fx, enum export_format f, const char *header)
{
	struct diag d;
	FILE *m;

	diag_init(&d);
	free(fx->out);
	fx->out = NULL;
	m = open_memstream(&fx->out, &fx->len);
	assert_non_null(m);
	assert_int_equal(export_write(m, f, fx->set, header, "cloudflare", &d), 0);
	fclose(m);
	return fx->out;
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* Every member of the set appears n times, wrapped as the format wants. */
static void assert_each_n(struct fx *fx, const char *text, const char *before, const char *after,
			  size_t n)
{
	char want[128], buf[PREFIX_STRLEN];

	for (size_t i = 0; i < fx->set->n; i++) {
		prefix_format(&fx->set->v[i], buf, sizeof(buf));
		snprintf(want, sizeof(want), "%s%s%s", before, buf, after);
		assert_int_equal(count(text, want), n);
	}
}

static void assert_each(struct fx *fx, const char *text, const char *before, const char *after)
{
	assert_each_n(fx, text, before, after, 1);
}

static void test_nginx(void **state)
{
	struct fx *fx = *state;
	const char *t = render(fx, EXPORT_NGINX, "CF-Connecting-IP");

	assert_each(fx, t, "\nset_real_ip_from ", ";\n");
	assert_int_equal(count(t, "set_real_ip_from"), 22);
	assert_non_null(strstr(t, "\nreal_ip_header CF-Connecting-IP;\n"));
	assert_null(strstr(t, "real_ip_recursive"));
	t = render(fx, EXPORT_NGINX, NULL);
	assert_non_null(strstr(t, "\nreal_ip_header X-Forwarded-For;\nreal_ip_recursive on;\n"));
}

static void test_apache_haproxy_text(void **state)
{
	struct fx *fx = *state;
	const char *t = render(fx, EXPORT_APACHE, "CF-Connecting-IP");

	assert_non_null(strstr(t, "\nRemoteIPHeader CF-Connecting-IP\n"));
	assert_each(fx, t, "\nRemoteIPTrustedProxy ", "\n");
	t = render(fx, EXPORT_HAPROXY, NULL);
	assert_int_equal(t[0], '#');
	assert_each(fx, t, "\n", "\n");
	t = render(fx, EXPORT_TEXT, NULL);
	assert_int_equal(count(t, "\n"), 22);
	assert_null(strchr(t, '#'));
}

static void test_caddy_fail2ban_crowdsec(void **state)
{
	struct fx *fx = *state;
	const char *t = render(fx, EXPORT_CADDY, "CF-Connecting-IP");

	/* both matchers list every prefix: the CDN's and its negation */
	assert_each_n(fx, t, " ", "", 2);
	assert_non_null(strstr(t, "\n@cdnallow_cdn {\n\tremote_ip "));
	assert_non_null(strstr(t, "\n@cdnallow_direct not {\n\tremote_ip "));
	assert_int_equal(count(t, "\n\theader CF-Connecting-IP *\n}\n"), 2);
	assert_non_null(strstr(t, "\nrequest_header @cdnallow_direct -CF-Connecting-IP\n"));
	assert_non_null(strstr(
		t, "\nvars @cdnallow_cdn client_ip {http.request.header.CF-Connecting-IP}\n"));
	t = render(fx, EXPORT_FAIL2BAN, NULL);
	assert_non_null(strstr(t, "\n[DEFAULT]\nignoreip = 127.0.0.1/8 ::1 "));
	assert_each(fx, t, " ", "");
	t = render(fx, EXPORT_CROWDSEC, NULL);
	assert_each(fx, t, "\n    - \"", "\"\n");
	assert_non_null(strstr(t, "\nwhitelist:\n  reason: "));
}

static void test_json(void **state)
{
	struct fx *fx = *state;
	const char *t = render(fx, EXPORT_JSON, NULL);

	assert_non_null(
		strstr(t, "{\"format\":\"cdnallow-ranges/1\",\"ipv4\":[\"103.21.244.0/22\","));
	assert_non_null(strstr(t, "\"ipv6\":[\"2400:cb00::/32\","));
	assert_int_equal(count(t, "\""), 2 * 22 + 8);
}

static void test_bad_header(void **state)
{
	char too_long[66];
	const char *const bad[] = {
		"", "X;evil", "X Y", "X\nreal_ip_header Z", "CF-Connecting-IP;", too_long
	};
	struct fx *fx = *state;
	struct diag d;
	char *buf = NULL;
	size_t len = 0;

	memset(too_long, 'X', sizeof(too_long) - 1); /* 65 letters: one over the limit */
	too_long[sizeof(too_long) - 1] = '\0';
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		FILE *m = open_memstream(&buf, &len);

		diag_init(&d);
		assert_int_equal(export_write(m, EXPORT_NGINX, fx->set, bad[i], NULL, &d), -EINVAL);
		fclose(m);
		assert_int_equal(len, 0); /* nothing written */
		assert_non_null(strstr(d.msg, "HTTP header name"));
		free(buf);
		buf = NULL;
	}
}

static void test_format_names(void **state)
{
	enum export_format f;
	struct diag d;

	(void)state;
	diag_init(&d);
	assert_int_equal(export_format_parse("haproxy", &f, &d), 0);
	assert_int_equal(f, EXPORT_HAPROXY);
	assert_string_equal(export_format_name(f), "haproxy");
	assert_int_equal(export_format_parse("Nginx", &f, &d), -EINVAL);
	assert_non_null(strstr(d.msg, "unknown format 'Nginx'"));
}

static void test_default_header(void **state)
{
	struct source s[2] = { 0 };

	(void)state;
	assert_int_equal(source_init_provider(&s[0], provider_find("cloudflare")), 0);
	assert_int_equal(source_init_provider(&s[1], provider_find("fastly")), 0);
	assert_string_equal(export_default_header(s, 1), "CF-Connecting-IP");
	/* two CDNs with their own headers: only X-Forwarded-For is common */
	assert_string_equal(export_default_header(s, 2), "X-Forwarded-For");
	assert_string_equal(export_default_header(&s[1], 1), "Fastly-Client-IP");
	source_release(&s[0]);
	source_release(&s[1]);
	assert_int_equal(source_init_provider(&s[0], provider_find("cloudfront")), 0);
	assert_string_equal(export_default_header(s, 1), "X-Forwarded-For");
	source_release(&s[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_nginx, setup, teardown),
		cmocka_unit_test_setup_teardown(test_apache_haproxy_text, setup, teardown),
		cmocka_unit_test_setup_teardown(test_caddy_fail2ban_crowdsec, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_header, setup, teardown),
		cmocka_unit_test(test_format_names),
		cmocka_unit_test(test_default_header),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
