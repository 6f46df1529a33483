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

#include "diag.h"

struct prefix_set;
struct source;

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
	/* in, for fetch_many_unprivileged: parse the body as endpoint idx of src (NULL: don't) */
	const struct source *src;
	unsigned idx;
	/*
	 * in, optional: takes a download's body as it arrives instead of body
	 * (buf NULL, len 0: an attempt starts, forget what came before); < 0
	 * aborts the transfer as out of memory
	 */
	int (*sink)(void *ctx, const char *buf, size_t len);
	void *sink_ctx;
	/* out */
	int err;	   /* 0 or negative errno */
	char errmsg[256];  /* why, when err != 0: "HTTP 500", "timeout after 30 s", … */
	long http_status;  /* 0 for files */
	bool not_modified; /* 304: body empty, cached copy is current */
	char *body;	   /* owned, NUL-terminated; NULL on error/304 */
	size_t len;
	/* a regular file of a request without src: body NULL, len its size; the caller reads it in
	 * chunks (source_stream.h) */
	bool local;
	bool sunk;	/* the whole body of a download went to sink (len: its bytes), body NULL */
	char *new_etag; /* owned or NULL */
	char *new_last_modified; /* owned or NULL */
	unsigned attempts;
	/*
	 * out of fetch_many_unprivileged when src is set and a body came: what
	 * src's parser made of it (downloads: parsed by the unprivileged child,
	 * whose raw body never reaches this process; body is then NULL).
	 */
	bool parsed;
	int parse_err;		     /* 0 or negative errno */
	struct diag parse_diag;	     /* the parser's error and warnings */
	struct prefix_set *prefixes; /* owned; NULL unless parsed and parse_err == 0 */
};

/* fetch_many loads and initialises libcurl itself when it has a URL to fetch; this releases what
 * it (or another curl user) initialised, and does nothing when libcurl was never loaded. */
void fetch_global_cleanup(void);
/* o->max_size, or FETCH_DEFAULT_MAX_SIZE when the caller gave none. */
size_t fetch_max_size(const struct fetch_opts *o);
/* Runs every request (concurrently); per-request results in reqs[i].err. Returns 0 unless setup
 * failed. */
int fetch_many(struct fetch_req *reqs, size_t n, const struct fetch_opts *o);
/*
 * fetch_many, then every body of a request with src set is parsed. As root
 * the downloads and their parsing run in a child that dropped to an
 * unprivileged user (src/sources/privsep.c), which sends back only the parsed
 * prefixes and the validators; local files are read and parsed here. Falls
 * back to doing both here, with a warning in d, when root cannot be dropped.
 */
int fetch_many_unprivileged(struct fetch_req *reqs, size_t n, const struct fetch_opts *o,
			    struct diag *d);
/* Frees a request's outputs. */
void fetch_req_release(struct fetch_req *r);

#endif
