/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Downloading source bodies with libcurl (several at once with curl multi)
 * or reading local files, with the same limits: HTTPS only unless insecure,
 * TLS verification always on, timeouts, bounded retries with backoff and
 * jitter, a size cap that fails rather than truncates, conditional GET.
 */
#ifndef CDNALLOW_FETCH_H
#define CDNALLOW_FETCH_H

#include <stdbool.h>
#include <stddef.h>

struct diag;

#define FETCH_DEFAULT_MAX_SIZE ((size_t)16 << 20) /* when the caller gives no cap */

struct fetch_opts {
	long timeout_s; /* whole transfer */
	long connect_timeout_s;
	unsigned retries;    /* extra attempts after the first, for transient failures */
	size_t max_size;     /* body cap in bytes */
	const char *ca_file; /* NULL: system default */
	const void
		*ca_blob; /* the CA file's bytes, read before dropping root (wins over ca_file) */
	size_t ca_blob_len;
	bool offline; /* no network: every URL fails with -ENETUNREACH */
};

struct fetch_req {
	/* in */
	const char *url;  /* https://…, http://… (only with insecure), or a local path */
	bool insecure;	  /* allow plain http */
	const char *etag; /* from the cache, or NULL */
	const char *last_modified; /* from the cache, or NULL */
	/* out */
	int err;	   /* 0 or negative errno */
	char errmsg[256];  /* why, when err != 0: "HTTP 500", "timeout after 30 s", … */
	long http_status;  /* 0 for files */
	bool not_modified; /* 304: body empty, cached copy is current */
	char *body;	   /* owned, NUL-terminated; NULL on error/304 */
	size_t len;
	char *new_etag;		 /* owned or NULL */
	char *new_last_modified; /* owned or NULL */
	unsigned attempts;
};

/* Global libcurl init/cleanup. Optional: fetch_many initialises libcurl itself when it has a URL
 * to fetch; fetch_global_cleanup releases what another curl user initialised implicitly. */
int fetch_global_init(void);
void fetch_global_cleanup(void);
/* Runs every request (concurrently); per-request results in reqs[i].err. Returns 0 unless setup
 * failed. */
int fetch_many(struct fetch_req *reqs, size_t n, const struct fetch_opts *o);
/*
 * fetch_many, but as root the downloads run in a child that dropped to an
 * unprivileged user (src/sources/privsep.c); local files are read here. Falls
 * back to fetch_many with a warning in d when root cannot be dropped.
 */
int fetch_many_unprivileged(struct fetch_req *reqs, size_t n, const struct fetch_opts *o,
			    struct diag *d);
/* Frees a request's outputs. */
void fetch_req_release(struct fetch_req *r);

#endif
