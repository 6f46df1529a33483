// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The libcurl loader (curl_dl.c): a SONAME that does not exist, or a library
 * that is not libcurl, is an error that names the library, the cause and what
 * to install, and leaves nothing half loaded; reading local files (or an
 * offline run) never loads libcurl; the real one loads once and works through
 * the names curl_dl.h maps. The tests run in this order: once loaded, libcurl
 * stays loaded.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <curl/curl.h>

#include "build_config.h"
#include "curl_dl.h"
#include "diag.h"
#include "fetch.h"

#define BOGUS "libcurl-cdnallow-test-missing.so.0"

static void assert_contains(const char *s, const char *part)
{
	if (!strstr(s, part))
		fail_msg("'%s' does not contain '%s'", s, part);
}

static void test_curl_dl_missing_library(void **state)
{
	struct diag d;

	(void)state;
	diag_init(&d);
	assert_int_equal(curl_dl_load_soname(BOGUS, &d), -ELIBACC);
	assert_contains(d.msg, "cannot load libcurl (" BOGUS "): ");
	assert_contains(d.msg, "cannot open shared object file");
	assert_contains(d.msg, "; " CDNALLOW_CURL_HINT);
	assert_false(curl_dl_is_loaded());
	assert_null(curl_dl_api()->easy_init);
	/* without a diag: the same refusal, no crash */
	assert_int_equal(curl_dl_load_soname(BOGUS, NULL), -ELIBACC);
	assert_false(curl_dl_is_loaded());
	diag_release(&d);
}

/* A library that loads but is not libcurl: refused whole, the table stays empty. */
static void test_curl_dl_not_libcurl(void **state)
{
	struct diag d;

	(void)state;
	diag_init(&d);
	assert_int_equal(curl_dl_load_soname("libm.so.6", &d), -ELIBACC);
	assert_contains(d.msg, "cannot load libcurl (libm.so.6): it has no curl_global_init");
	assert_contains(d.msg, "needs libcurl 7.85.0 or newer");
	assert_false(curl_dl_is_loaded());
	assert_null(curl_dl_api()->global_init);
	diag_release(&d);
}

static void test_curl_dl_local_files_do_not_load(void **state)
{
	char path[] = "/tmp/cdnallow-curl-dl-XXXXXX";
	struct fetch_req r[2] = { { .url = path }, { .url = "https://127.0.0.1:9/list" } };
	struct fetch_opts o = { .offline = true };
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "192.0.2.0/24\n", 13), 13);
	close(fd);
	assert_int_equal(fetch_many(r, 2, &o), 0);
	assert_int_equal(r[0].err, 0);
	assert_int_equal(r[0].len, 13);
	assert_int_equal(r[1].err, -ENETUNREACH);
	assert_false(curl_dl_is_loaded());
	fetch_global_cleanup(); /* what main() does after every command: nothing to release */
	assert_false(curl_dl_is_loaded());
	fetch_req_release(&r[0]);
	fetch_req_release(&r[1]);
	unlink(path);
}

static void test_curl_dl_loads_once(void **state)
{
	const struct curl_dl_api *api;
	curl_version_info_data *v;
	struct diag d;
	CURL *h;

	(void)state;
	diag_init(&d);
	assert_int_equal(curl_dl_load(&d), 0);
	assert_string_equal(d.msg, "");
	assert_true(curl_dl_is_loaded());
	api = curl_dl_api();
	v = curl_version_info(CURLVERSION_NOW);
	assert_non_null(v);
	assert_true(v->version_num >= 0x075500);
	assert_int_equal(curl_global_init(CURL_GLOBAL_DEFAULT), CURLE_OK);
	h = curl_easy_init();
	assert_non_null(h);
	assert_int_equal(curl_easy_setopt(h, CURLOPT_URL, "https://127.0.0.1:9/"), CURLE_OK);
	curl_easy_cleanup(h);
	curl_global_cleanup();
	/* loaded once: another name changes nothing */
	assert_int_equal(curl_dl_load_soname(BOGUS, &d), 0);
	assert_ptr_equal(curl_dl_api(), api);
	assert_non_null(api->multi_poll);
	fetch_global_cleanup();
	diag_release(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_curl_dl_missing_library),
		cmocka_unit_test(test_curl_dl_not_libcurl),
		cmocka_unit_test(test_curl_dl_local_files_do_not_load),
		cmocka_unit_test(test_curl_dl_loads_once),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
