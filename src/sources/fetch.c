// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Gets source bodies: local paths with file_read_all (or only their size, for
 * a caller that reads them in chunks), URLs with libcurl, all
 * URLs of one run concurrently on one curl multi handle. Every download has
 * the same limits: https only (http only for insecure sources, redirects
 * included), TLS verification always on, connect/total timeouts and a
 * low-speed cutoff, a size cap that fails rather than truncates, retries with
 * backoff and jitter for transient failures only, and conditional GET. It
 * must never print, never turn a failure into an empty body, and never touch
 * the network when offline.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "curl_dl.h"
#include "fileio.h"
#include "fetch.h"
#include "prefix_set.h"
#include "strbuf.h"
#include "source.h"

#define MAX_REDIRS 3L
#define MAX_RETRIES 5u /* keeps the total backoff under ~30 s */
#define RETRY_BASE_MS 1000u
#define RETRY_BASE_FAST_MS 10u /* CDNALLOW_TEST_FAST_RETRY=1 */
#define RETRY_CAP_MS 8000u
/* A name that does not resolve rarely resolves a second later: one quick retry, not a backoff. */
#define DNS_RETRIES 1u
#define DNS_RETRY_MS 300u
#define LOW_SPEED_BYTES 1024L /* per second, over LOW_SPEED_TIME_S */
#define LOW_SPEED_TIME_S 10L

struct xfer {
	struct fetch_req *req;
	CURL *h;
	struct curl_slist *hdrs;
	struct strbuf body;
	size_t got; /* bytes of this attempt, into body or the request's sink */
	size_t max;
	bool too_big;
	bool waiting; /* scheduled for a retry at due_ms */
	uint64_t due_ms;
	char errbuf[CURL_ERROR_SIZE];
};

size_t fetch_max_size(const struct fetch_opts *o)
{
	return o->max_size ? o->max_size : FETCH_DEFAULT_MAX_SIZE;
}

void fetch_global_cleanup(void)
{
	if (curl_dl_is_loaded())
		curl_global_cleanup();
}

void fetch_req_release(struct fetch_req *r)
{
	if (!r)
		return;
	free(r->body);
	free(r->new_etag);
	free(r->new_last_modified);
	prefix_set_free(r->prefixes);
	diag_release(&r->parse_diag);
	r->prefixes = NULL;
	r->parsed = false;
	r->parse_err = 0;
	r->body = NULL;
	r->local = false;
	r->sunk = false;
	r->new_etag = NULL;
	r->new_last_modified = NULL;
	r->len = 0;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void set_err(struct fetch_req *r, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_err(struct fetch_req *r, int err, const char *fmt, ...)
{
	va_list ap;

	r->err = err;
	va_start(ap, fmt);
	vsnprintf(r->errmsg, sizeof(r->errmsg), fmt, ap);
	va_end(ap);
}

static void format_size(size_t n, char *buf, size_t size)
{
	if (n >= (1u << 20) && n % (1u << 20) == 0)
		snprintf(buf, size, "%zu MiB", n >> 20);
	else if (n >= 1024 && n % 1024 == 0)
		snprintf(buf, size, "%zu KiB", n >> 10);
	else
		snprintf(buf, size, "%zu bytes", n);
}

static void set_too_big(struct fetch_req *r, size_t max)
{
	char sz[32];

	format_size(max, sz, sizeof(sz));
	set_err(r, -EFBIG, "body larger than the %s cap (max_size)", sz);
}

static bool has_scheme(const char *url, const char *scheme)
{
	size_t n = strlen(scheme);

	return strncasecmp(url, scheme, n) == 0 && strncmp(url + n, "://", 3) == 0;
}

static void read_local(struct fetch_req *r, size_t max)
{
	struct stat st;
	int ret;

	r->attempts = 1;
	/* a regular file the caller parses (no src) is read by it, in chunks: only its size here */
	if (!r->src && stat(r->url, &st) == 0 && S_ISREG(st.st_mode)) {
		r->local = true;
		r->len = (size_t)st.st_size;
		ret = (unsigned long long)st.st_size > max ? -EFBIG : 0;
	} else {
		ret = file_read_all(r->url, max, &r->body, &r->len);
	}
	if (ret == -EFBIG)
		set_too_big(r, max);
	else if (ret < 0)
		set_err(r, ret, "cannot read '%s': %s", r->url, strerror(-ret));
}

static size_t write_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct xfer *x = userdata;
	size_t n = size * nmemb;

	if (n > x->max - x->got) {
		x->too_big = true;
		return 0; /* aborts the transfer: a capped body must not pass as complete */
	}
	x->got += n;
	if (x->req->sink)
		return x->req->sink(x->req->sink_ctx, ptr, n) < 0 ? 0 : n;
	if (strbuf_add(&x->body, ptr, n) < 0)
		return 0;
	return n;
}

static int add_header(struct curl_slist **l, const char *name, const char *value)
{
	struct curl_slist *t;
	char line[1024];

	/* a validator is only an optimisation; one that could split the header is dropped */
	if (!value || !*value || strpbrk(value, "\r\n") || strlen(value) > 900)
		return 0;
	snprintf(line, sizeof(line), "%s: %s", name, value);
	t = curl_slist_append(*l, line);
	if (!t)
		return -ENOMEM;
	*l = t;
	return 0;
}

static long connect_timeout(const struct fetch_opts *o, long total)
{
	long c = o->connect_timeout_s;

	if (c <= 0 || c > total)
		c = total < 10 ? total : 10;
	return c;
}

static long total_timeout(const struct fetch_opts *o)
{
	return o->timeout_s > 0 ? o->timeout_s : 30;
}

/* A drip below the low-speed limit fails well before the total timeout. */
static long low_speed_time(const struct fetch_opts *o)
{
	long total = total_timeout(o);
	long slow = total / 2 < LOW_SPEED_TIME_S ? total / 2 : LOW_SPEED_TIME_S;

	return slow > 0 ? slow : 1;
}

/*
 * The CA directory to verify with when no ca_file is configured, or NULL for
 * libcurl's defaults. OpenSSL 3.0 spends ~240 M instructions (~70 ms) parsing
 * Debian's 144-certificate bundle, again for every handle, since curl's CA
 * cache is off while a CA path is set; the hashed directory holding the same
 * certificates is read lazily, one file per issuer looked up. Only a bundle
 * that lives in that directory (update-ca-certificates' layout) is known to
 * hold the same certificates, so anything else keeps the defaults.
 */
static const char *system_ca_dir(void)
{
	const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
	size_t n;
	struct stat st;

	if (v->age < CURLVERSION_NINTH || !v->capath || !v->cainfo)
		return NULL;
	n = strlen(v->capath);
	while (n > 1 && v->capath[n - 1] == '/')
		n--;
	if (strncmp(v->cainfo, v->capath, n) || v->cainfo[n] != '/' ||
	    strchr(v->cainfo + n + 1, '/'))
		return NULL;
	if (stat(v->capath, &st) < 0 || !S_ISDIR(st.st_mode))
		return NULL;
	return v->capath;
}

static void set_ca(CURL *h, const struct fetch_opts *o, const char *ca_dir)
{
	if (o->ca_blob) {
		/* read by the parent of an unprivileged downloader, from a root-only place */
		struct curl_blob b = { .data = (void *)o->ca_blob,
				       .len = o->ca_blob_len,
				       .flags = CURL_BLOB_COPY };

		curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &b);
		curl_easy_setopt(h, CURLOPT_CAINFO, NULL);
		curl_easy_setopt(h, CURLOPT_CAPATH, NULL);
	} else if (o->ca_file) {
		/* the file replaces the system store (cdnallow.conf(5)); without a CA path
		 * curl parses it once per run, not once per handle */
		curl_easy_setopt(h, CURLOPT_CAINFO, o->ca_file);
		curl_easy_setopt(h, CURLOPT_CAPATH, NULL);
	} else if (ca_dir) {
		curl_easy_setopt(h, CURLOPT_CAINFO, NULL);
		curl_easy_setopt(h, CURLOPT_CAPATH, ca_dir);
	}
}

static int xfer_setup(struct xfer *x, const struct fetch_opts *o, const char *ca_dir)
{
	const char *protos = x->req->insecure ? "http,https" : "https";
	long total = total_timeout(o);
	CURL *h;

	h = curl_easy_init();
	if (!h)
		return -ENOMEM;
	x->h = h;
	if (add_header(&x->hdrs, "If-None-Match", x->req->etag) < 0 ||
	    add_header(&x->hdrs, "If-Modified-Since", x->req->last_modified) < 0)
		return -ENOMEM;
	curl_easy_setopt(h, CURLOPT_URL, x->req->url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, protos);
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, protos);
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(h, CURLOPT_MAXREDIRS, MAX_REDIRS);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	set_ca(h, o, ca_dir);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, connect_timeout(o, total));
	curl_easy_setopt(h, CURLOPT_TIMEOUT, total);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, LOW_SPEED_BYTES);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, low_speed_time(o));
	curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)x->max);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "cdnallow/" CDNALLOW_VERSION);
	curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, x->hdrs);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_PRIVATE, (char *)x);
	return 0;
}

static char *header_dup(CURL *h, const char *name)
{
	struct curl_header *hh = NULL;

	if (curl_easy_header(h, name, 0, CURLH_HEADER, -1, &hh) != CURLHE_OK || !hh->value)
		return NULL;
	return strdup(hh->value);
}

static const char *curl_why(const struct xfer *x, CURLcode c)
{
	return x->errbuf[0] ? x->errbuf : curl_easy_strerror(c);
}

/* The plain http URL a redirect pointed to, or NULL. */
static const char *http_redirect_target(const struct xfer *x)
{
	char *u = NULL;

	if (curl_easy_getinfo(x->h, CURLINFO_REDIRECT_URL, &u) == CURLE_OK && u &&
	    has_scheme(u, "http"))
		return u;
	u = NULL;
	if (curl_easy_getinfo(x->h, CURLINFO_EFFECTIVE_URL, &u) == CURLE_OK && u &&
	    has_scheme(u, "http") && !has_scheme(x->req->url, "http"))
		return u;
	return NULL;
}

/* Which of curl's timeouts struck: no answer, a stalled body, the connect, or the total. */
static void set_timeout_err(const struct xfer *x, const struct fetch_opts *o)
{
	struct fetch_req *r = x->req;
	long total = total_timeout(o);

	if (!strncmp(x->errbuf, "Operation too slow", 18) && !r->http_status)
		set_err(r, -ETIMEDOUT, "timeout: no response after %ld s", low_speed_time(o));
	else if (!strncmp(x->errbuf, "Operation too slow", 18))
		set_err(r, -ETIMEDOUT,
			"transfer too slow: under %ld bytes/s for %ld s (%zu bytes received)",
			LOW_SPEED_BYTES, low_speed_time(o), x->got);
	else if (!strncmp(x->errbuf, "Connection timed out", 20) ||
		 !strncmp(x->errbuf, "Connection timeout", 18))
		set_err(r, -ETIMEDOUT, "connect timeout after %ld s", connect_timeout(o, total));
	else
		set_err(r, -ETIMEDOUT, "timeout after %ld s", total);
}

/* A transfer curl completed: 200 or 304 is success; true when the status is worth a retry. */
static bool http_result(struct fetch_req *r)
{
	if (r->http_status == 304) {
		r->not_modified = true;
	} else if (r->http_status != 200) {
		set_err(r, -EPROTO, "HTTP %ld", r->http_status);
		return r->http_status >= 500 || r->http_status == 429 || r->http_status == 408;
	}
	return false;
}

/* Maps a curl result; returns true when the failure is transient (worth a retry). */
static bool xfer_result(struct xfer *x, CURLcode c, const struct fetch_opts *o)
{
	struct fetch_req *r = x->req;

	curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &r->http_status);
	switch (c) {
	case CURLE_OK:
		break;
	case CURLE_OPERATION_TIMEDOUT:
		set_timeout_err(x, o);
		return true;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		set_err(r, -EHOSTUNREACH, "cannot resolve host: %s", curl_why(x, c));
		return true;
	case CURLE_COULDNT_CONNECT:
		set_err(r, -ECONNREFUSED, "cannot connect: %s", curl_why(x, c));
		return true;
	case CURLE_PARTIAL_FILE:
		set_err(r, -ECONNRESET, "truncated body: %s", curl_why(x, c));
		return true;
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		set_err(r, -ECONNRESET, "connection broken: %s", curl_why(x, c));
		return true;
	case CURLE_FILESIZE_EXCEEDED:
		set_too_big(r, x->max);
		return false;
	case CURLE_WRITE_ERROR:
		if (x->too_big)
			set_too_big(r, x->max);
		else
			set_err(r, -ENOMEM, "out of memory storing the body");
		return false;
	case CURLE_PEER_FAILED_VERIFICATION:
		set_err(r, -EACCES, "TLS certificate verify failed: %s", curl_why(x, c));
		return false;
	case CURLE_SSL_CACERT_BADFILE:
		set_err(r, -ENOENT, "cannot load CA file '%s': %s", o->ca_file ? o->ca_file : "",
			curl_why(x, c));
		return false;
	case CURLE_SSL_CONNECT_ERROR:
		set_err(r, -ECONNABORTED, "TLS handshake failed: %s", curl_why(x, c));
		return false;
	case CURLE_UNSUPPORTED_PROTOCOL:
		if (http_redirect_target(x))
			set_err(r, -EPERM, "redirect to plain http refused (Location: %s)",
				http_redirect_target(x));
		else
			set_err(r, -EPROTONOSUPPORT, "unsupported URL scheme: %s", curl_why(x, c));
		return false;
	case CURLE_TOO_MANY_REDIRECTS:
		set_err(r, -ELOOP, "more than %ld redirects", MAX_REDIRS);
		return false;
	case CURLE_URL_MALFORMAT:
		set_err(r, -EINVAL, "malformed URL: %s", curl_why(x, c));
		return false;
	default:
		set_err(r, -EIO, "download failed: %s", curl_why(x, c));
		return false;
	}
	return http_result(r);
}

/* Collects the outcome of a finished attempt; returns true when it is to be retried. */
static bool xfer_done(struct xfer *x, CURLcode c, const struct fetch_opts *o)
{
	struct fetch_req *r = x->req;
	unsigned retries = o->retries < MAX_RETRIES ? o->retries : MAX_RETRIES;
	bool transient;

	r->err = 0;
	r->errmsg[0] = '\0';
	r->not_modified = false;
	transient = xfer_result(x, c, o);
	if (r->err < 0) {
		if (r->err == -EHOSTUNREACH && retries > DNS_RETRIES)
			retries = DNS_RETRIES;
		if (transient && r->attempts <= retries)
			return true;
		if (r->attempts > 1) {
			size_t n = strlen(r->errmsg);

			snprintf(r->errmsg + n, sizeof(r->errmsg) - n, " (after %u attempts)",
				 r->attempts);
		}
		return false;
	}
	r->new_etag = header_dup(x->h, "ETag");
	r->new_last_modified = header_dup(x->h, "Last-Modified");
	if (r->not_modified)
		return false;
	if (r->sink) {
		r->sunk = true;
		r->len = x->got;
		return false;
	}
	r->body = strbuf_detach(&x->body, &r->len);
	if (!r->body)
		set_err(r, -ENOMEM, "out of memory storing the body");
	return false;
}

static unsigned backoff_ms(unsigned attempt, unsigned *seed)
{
	const char *fast = getenv("CDNALLOW_TEST_FAST_RETRY");
	unsigned base = fast && !strcmp(fast, "1") ? RETRY_BASE_FAST_MS : RETRY_BASE_MS;
	unsigned d = base << (attempt > 4 ? 3 : attempt - 1);

	if (d > RETRY_CAP_MS)
		d = RETRY_CAP_MS;
	/* jitter keeps a fleet that failed together from retrying together */
	return d + (unsigned)rand_r(seed) % (d / 2 + 1);
}

static int xfer_start(CURLM *m, struct xfer *x)
{
	strbuf_reset(&x->body);
	x->got = 0;
	if (x->req->sink) /* a retry starts the body again */
		x->req->sink(x->req->sink_ctx, NULL, 0);
	x->too_big = false;
	x->waiting = false;
	x->errbuf[0] = '\0';
	x->req->attempts++;
	return curl_multi_add_handle(m, x->h) == CURLM_OK ? 0 : -ENOMEM;
}

static void xfer_free(CURLM *m, struct xfer *x)
{
	if (x->h) {
		if (m)
			curl_multi_remove_handle(m, x->h);
		curl_easy_cleanup(x->h);
	}
	curl_slist_free_all(x->hdrs);
	strbuf_release(&x->body);
}

static void fail_unfinished(struct xfer *xs, size_t nx, int err, const char *why)
{
	for (size_t i = 0; i < nx; i++) {
		if (!xs[i].req->err && !xs[i].req->body && !xs[i].req->sunk &&
		    !xs[i].req->not_modified)
			set_err(xs[i].req, err, "%s", why);
	}
}

/* Runs the multi loop until every transfer is finished; returns 0 or -errno. */
static int run_multi(CURLM *m, struct xfer *xs, size_t nx, const struct fetch_opts *o)
{
	struct timespec ts;
	size_t pending = nx;
	unsigned seed;

	clock_gettime(CLOCK_REALTIME, &ts);
	seed = (unsigned)ts.tv_nsec ^ (unsigned)getpid();
	for (size_t i = 0; i < nx; i++) {
		if (xfer_start(m, &xs[i]) < 0)
			return -ENOMEM;
	}
	while (pending > 0) {
		int running = 0, left = 0, timeout = 1000;
		bool restarted = false;
		uint64_t now;
		CURLMsg *msg;

		if (curl_multi_perform(m, &running) != CURLM_OK)
			return -EIO;
		for (;;) {
			struct xfer *x = NULL;
			char *p = NULL;

			msg = curl_multi_info_read(m, &left);
			if (!msg)
				break;
			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &p);
			x = (struct xfer *)p;
			curl_multi_remove_handle(m, x->h);
			if (xfer_done(x, msg->data.result, o)) {
				x->waiting = true;
				x->due_ms =
					now_ms() + (x->req->err == -EHOSTUNREACH
							    ? DNS_RETRY_MS
							    : backoff_ms(x->req->attempts, &seed));
			} else {
				pending--;
			}
		}
		if (!pending)
			break;
		now = now_ms();
		for (size_t i = 0; i < nx; i++) {
			if (!xs[i].waiting)
				continue;
			if (xs[i].due_ms <= now) {
				if (xfer_start(m, &xs[i]) < 0)
					return -ENOMEM;
				restarted = true;
			} else if (xs[i].due_ms - now < (uint64_t)timeout) {
				timeout = (int)(xs[i].due_ms - now);
			}
		}
		if (!restarted && curl_multi_poll(m, NULL, 0, timeout, NULL) != CURLM_OK)
			return -EIO;
	}
	return 0;
}

static void fail_downloads(struct fetch_req *reqs, size_t n, int err, const char *why)
{
	for (size_t i = 0; i < n; i++) {
		if (!reqs[i].err && !reqs[i].body && source_is_url(reqs[i].url))
			set_err(&reqs[i], err, "%s", why);
	}
}

static int load_curl(struct fetch_req *reqs, size_t n)
{
	struct diag d;
	int ret;

	diag_init(&d);
	ret = curl_dl_load(&d);
	if (ret < 0)
		fail_downloads(reqs, n, ret, d.msg);
	else if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		ret = -EIO;
	if (ret == -EIO)
		fail_downloads(reqs, n, ret, "cannot initialise libcurl");
	diag_release(&d);
	return ret;
}

int fetch_many(struct fetch_req *reqs, size_t n, const struct fetch_opts *o)
{
	size_t max = fetch_max_size(o);
	const char *ca_dir = NULL;
	struct xfer *xs = NULL;
	bool global = false;
	CURLM *m = NULL;
	size_t nx = 0;
	int ret = 0;

	for (size_t i = 0; i < n; i++) {
		struct fetch_req *r = &reqs[i];

		r->err = 0;
		r->errmsg[0] = '\0';
		r->http_status = 0;
		r->not_modified = false;
		r->attempts = 0;
		fetch_req_release(r);
		if (!source_is_url(r->url))
			read_local(r, max);
		else if (!has_scheme(r->url, "https") &&
			 !(r->insecure && has_scheme(r->url, "http")))
			set_err(r, -EPERM, "URL '%s' refused: https only%s", r->url,
				has_scheme(r->url, "http") ? " (set insecure = true to allow http)"
							   : "");
		else if (o->offline)
			set_err(r, -ENETUNREACH, "offline: not downloading");
		else
			nx++;
	}
	if (!nx)
		return 0;
	/* here, not in main: a run without a URL never loads libcurl (curl_dl.h) nor pays for
	 * OpenSSL's initialisation; one that cannot load it fails its downloads, not the run */
	ret = load_curl(reqs, n);
	if (ret < 0)
		return ret == -ELIBACC ? 0 : ret;
	global = true;
	ca_dir = o->ca_file ? NULL : system_ca_dir();
	xs = calloc(nx, sizeof(*xs));
	m = curl_multi_init();
	if (!xs || !m) {
		ret = -ENOMEM;
		goto out;
	}
	nx = 0;
	for (size_t i = 0; i < n; i++) {
		if (reqs[i].err || reqs[i].body || !source_is_url(reqs[i].url))
			continue;
		xs[nx].req = &reqs[i];
		xs[nx].max = max;
		ret = xfer_setup(&xs[nx++], o, ca_dir);
		if (ret < 0)
			goto out;
	}
	ret = run_multi(m, xs, nx, o);
out:
	if (ret < 0 && xs)
		fail_unfinished(xs, nx, ret, "download setup failed");
	for (size_t i = 0; xs && i < nx; i++)
		xfer_free(m, &xs[i]);
	free(xs);
	curl_multi_cleanup(m);
	if (global)
		curl_global_cleanup();
	return ret;
}
