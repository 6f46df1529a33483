/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libcurl, loaded by the process that downloads, when it downloads: the binary
 * does not link it, since its ~30 libraries (OpenSSL, nghttp2, GSSAPI, LDAP,
 * …) were 19 % of a run that only reads local files and most of its memory
 * (docs/architecture.md §1). Include after <curl/curl.h>: the curl_* names
 * cdnallow uses then call through the table curl_dl_load() filled, so fetch.c
 * and domain.c read as plain libcurl code. None of them may run before
 * curl_dl_load() returned 0 in this process.
 */
#ifndef CDNALLOW_CURL_DL_H
#define CDNALLOW_CURL_DL_H

#include <stdbool.h>

#include <curl/curl.h>

struct diag;

/* The libcurl functions cdnallow calls, as libcurl.so exports them. */
struct curl_dl_api {
	CURLcode (*global_init)(long flags);
	void (*global_cleanup)(void);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *h, CURLoption opt, ...);
	CURLcode (*easy_getinfo)(CURL *h, CURLINFO info, ...);
	CURLcode (*easy_perform)(CURL *h);
	void (*easy_cleanup)(CURL *h);
	const char *(*easy_strerror)(CURLcode c);
	CURLHcode (*easy_header)(CURL *h, const char *name, size_t index, unsigned int origin,
				 int request, struct curl_header **hout);
	CURLM *(*multi_init)(void);
	CURLMcode (*multi_add_handle)(CURLM *m, CURL *h);
	CURLMcode (*multi_remove_handle)(CURLM *m, CURL *h);
	CURLMcode (*multi_perform)(CURLM *m, int *running);
	CURLMcode (*multi_poll)(CURLM *m, struct curl_waitfd extra[], unsigned int n,
				int timeout_ms, int *numfds);
	CURLMsg *(*multi_info_read)(CURLM *m, int *left);
	CURLMcode (*multi_cleanup)(CURLM *m);
	struct curl_slist *(*slist_append)(struct curl_slist *l, const char *s);
	void (*slist_free_all)(struct curl_slist *l);
	curl_version_info_data *(*version_info)(CURLversion v);
};

/*
 * Loads libcurl by the SONAME of the library it was built against
 * (CDNALLOW_CURL_SONAME), once per process; never by a path or a name from the
 * environment. 0, or -ELIBACC with d's error saying why and what to install
 * (a missing library, a missing function, a version older than cdnallow
 * needs). The library stays loaded until exit.
 */
int curl_dl_load(struct diag *d);
/* curl_dl_load with another SONAME, for the tests of the failure paths. */
int curl_dl_load_soname(const char *soname, struct diag *d);
bool curl_dl_is_loaded(void);
/* The table: all NULL until curl_dl_load() succeeded. */
const struct curl_dl_api *curl_dl_api(void);

/* curl.h's type checks (typecheck-gcc.h) are macros over the real functions. */
#undef curl_easy_setopt
#undef curl_easy_getinfo
#define curl_global_init (curl_dl_api()->global_init)
#define curl_global_cleanup (curl_dl_api()->global_cleanup)
#define curl_easy_init (curl_dl_api()->easy_init)
#define curl_easy_setopt (curl_dl_api()->easy_setopt)
#define curl_easy_getinfo (curl_dl_api()->easy_getinfo)
#define curl_easy_perform (curl_dl_api()->easy_perform)
#define curl_easy_cleanup (curl_dl_api()->easy_cleanup)
#define curl_easy_strerror (curl_dl_api()->easy_strerror)
#define curl_easy_header (curl_dl_api()->easy_header)
#define curl_multi_init (curl_dl_api()->multi_init)
#define curl_multi_add_handle (curl_dl_api()->multi_add_handle)
#define curl_multi_remove_handle (curl_dl_api()->multi_remove_handle)
#define curl_multi_perform (curl_dl_api()->multi_perform)
#define curl_multi_poll (curl_dl_api()->multi_poll)
#define curl_multi_info_read (curl_dl_api()->multi_info_read)
#define curl_multi_cleanup (curl_dl_api()->multi_cleanup)
#define curl_slist_append (curl_dl_api()->slist_append)
#define curl_slist_free_all (curl_dl_api()->slist_free_all)
#define curl_version_info (curl_dl_api()->version_info)

#endif
