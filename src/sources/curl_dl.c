// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Loads libcurl with dlopen() when a process is about to download (fetch.c)
 * or probe TLS (the doctor), and resolves the functions cdnallow calls into
 * one table (curl_dl.h). The name loaded is the SONAME CMake read from the
 * library it built against: never a path, never a name from the environment
 * (this runs as root). It must never abort: a library that is missing, lacks
 * a function or is too old is an error in the caller's diag, and the
 * downloads then fail like any other, so the last good list is used.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "build_config.h"
#include "curl_dl.h"
#include "diag.h"

/* CURLOPT_PROTOCOLS_STR (https only): an older libcurl would ignore it and allow http. */
#define MIN_VERSION_NUM 0x075500
#define MIN_VERSION "7.85.0"

#define SYM(m)                                              \
	{                                                   \
		"curl_" #m, offsetof(struct curl_dl_api, m) \
	}

static const struct {
	const char *name;
	size_t off;
} syms[] = {
	SYM(global_init),   SYM(global_cleanup), SYM(easy_init),	SYM(easy_setopt),
	SYM(easy_getinfo),  SYM(easy_perform),	 SYM(easy_cleanup),	SYM(easy_strerror),
	SYM(easy_header),   SYM(multi_init),	 SYM(multi_add_handle), SYM(multi_remove_handle),
	SYM(multi_perform), SYM(multi_poll),	 SYM(multi_info_read),	SYM(multi_cleanup),
	SYM(slist_append),  SYM(slist_free_all), SYM(version_info),
};

/*
 * The one piece of file-scope state that is not a const table: it plays the
 * part of the dynamic linker's relocations for a library that is not linked,
 * written once, by the first successful load, and never changed after.
 */
static struct curl_dl_api api;
static bool loaded;

static int load_syms(void *h, const char *soname, struct curl_dl_api *t, struct diag *d)
{
	const curl_version_info_data *v;

	for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
		void *f = dlsym(h, syms[i].name);

		if (!f) {
			diag_err(
				d,
				"cannot load libcurl (%s): it has no %s (cdnallow needs libcurl %s "
				"or newer); %s",
				soname, syms[i].name, MIN_VERSION, CDNALLOW_CURL_HINT);
			return -ELIBACC;
		}
		/* POSIX guarantees a data pointer from dlsym converts to a function pointer */
		memcpy((char *)t + syms[i].off, &f, sizeof(f));
	}
	v = t->version_info(CURLVERSION_NOW);
	if (!v || v->version_num < MIN_VERSION_NUM) {
		diag_err(d, "cannot use libcurl %s (%s): cdnallow needs libcurl %s or newer; %s",
			 v && v->version ? v->version : "(unknown version)", soname, MIN_VERSION,
			 CDNALLOW_CURL_HINT);
		return -ELIBACC;
	}
	return 0;
}

int curl_dl_load_soname(const char *soname, struct diag *d)
{
	struct curl_dl_api t = { 0 };
	const char *why;
	void *h;
	int ret;

	if (loaded)
		return 0;
	/* RTLD_NOW: a libcurl whose own libraries lack a symbol fails here, not mid-transfer */
	h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		why = dlerror();
		diag_err(d, "cannot load libcurl (%s): %s; %s", soname, why ? why : "unknown error",
			 CDNALLOW_CURL_HINT);
		return -ELIBACC;
	}
	ret = load_syms(h, soname, &t, d);
	if (ret < 0) {
		dlclose(h);
		return ret;
	}
	api = t;
	loaded = true;
	return 0;
}

int curl_dl_load(struct diag *d)
{
	return curl_dl_load_soname(CDNALLOW_CURL_SONAME, d);
}

bool curl_dl_is_loaded(void)
{
	return loaded;
}

const struct curl_dl_api *curl_dl_api(void)
{
	return &api;
}
