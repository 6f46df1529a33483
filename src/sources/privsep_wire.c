// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Encoder and decoder of the downloader's messages (format in
 * privsep_wire.h). The decoder runs as root on bytes from a process that
 * talked to the internet: it believes a length only after checking it
 * against what is left, accepts each field only inside its documented range
 * and every prefix only in canonical form, and refuses the whole message on
 * the first violation. It never prints.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "diag.h"
#include "fetch.h"
#include "prefix.h"
#include "prefix_set.h"
#include "privsep_wire.h"
#include "strbuf.h"

#define F_NOT_MODIFIED 1u
#define F_ETAG 2u
#define F_LM 4u
#define F_PARSED 8u
#define HEADER_MAX 8192 /* an ETag or Last-Modified value */
#define PREFIX_WIRE 18u

static void put_u32(struct strbuf *sb, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };

	strbuf_add(sb, b, sizeof(b));
}

static void put_str(struct strbuf *sb, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	put_u32(sb, (uint32_t)n);
	strbuf_add(sb, s ? s : "", n);
}

static void put_prefixes(struct strbuf *sb, const struct prefix_set *s)
{
	put_u32(sb, s ? (uint32_t)s->n : 0);
	for (size_t i = 0; s && i < s->n; i++) {
		uint8_t b[PREFIX_WIRE] = { s->v[i].family == AF_INET ? 4 : 6, s->v[i].len };

		prefix_first_bytes(&s->v[i], b + 2);
		strbuf_add(sb, b, sizeof(b));
	}
}

static void put_parse(struct strbuf *sb, const struct fetch_req *r)
{
	const struct diag *d = &r->parse_diag;
	size_t nw = d->nwarnings > PRIVSEP_MAX_WARNINGS ? PRIVSEP_MAX_WARNINGS : d->nwarnings;
	char more[64];

	put_u32(sb, (uint32_t)r->parse_err);
	put_str(sb, r->parse_err ? d->msg : "");
	put_u32(sb, (uint32_t)(nw + (nw < d->nwarnings)));
	for (size_t i = 0; i < nw; i++)
		put_str(sb, d->warnings[i]);
	if (nw < d->nwarnings) {
		snprintf(more, sizeof(more), "… and %zu more warnings", d->nwarnings - nw);
		put_str(sb, more);
	}
	put_prefixes(sb, r->parse_err ? NULL : r->prefixes);
}

/* Bytes of r's message at most, so it is written in one allocation. */
static size_t encoded_max(const struct fetch_req *r)
{
	const struct diag *d = &r->parse_diag;
	size_t n = 256 + strlen(r->errmsg) + (r->new_etag ? strlen(r->new_etag) : 0) +
		   (r->new_last_modified ? strlen(r->new_last_modified) : 0);

	if (!r->parsed)
		return n;
	n += strlen(d->msg) + (r->prefixes ? r->prefixes->n * PREFIX_WIRE : 0);
	for (size_t i = 0; i < d->nwarnings && i < PRIVSEP_MAX_WARNINGS; i++)
		n += 4 + strlen(d->warnings[i]);
	return n;
}

int privsep_encode(const struct fetch_req *r, struct strbuf *sb)
{
	uint8_t flags = (r->not_modified ? F_NOT_MODIFIED : 0) | (r->new_etag ? F_ETAG : 0) |
			(r->new_last_modified ? F_LM : 0) | (r->parsed ? F_PARSED : 0);
	uint8_t version = PRIVSEP_WIRE_VERSION;
	size_t start = sb->len, len;

	/* straight into sb after its length, sized once: at 1M prefixes a message built apart,
	 * doubled as it grew, and then copied was the downloader's peak */
	strbuf_reserve(sb, encoded_max(r));
	put_u32(sb, 0);
	strbuf_add(sb, &version, 1);
	put_u32(sb, (uint32_t)r->err);
	put_u32(sb, (uint32_t)r->http_status);
	put_u32(sb, r->attempts);
	strbuf_add(sb, &flags, 1);
	put_str(sb, r->errmsg);
	if (r->new_etag)
		put_str(sb, r->new_etag);
	if (r->new_last_modified)
		put_str(sb, r->new_last_modified);
	if (r->parsed)
		put_parse(sb, r);
	if (sb->err)
		return sb->err;
	len = sb->len - start - 4;
	if (len > UINT32_MAX)
		return -EFBIG;
	for (int i = 0; i < 4; i++)
		sb->buf[start + (size_t)i] = (char)(uint8_t)(len >> (8 * i));
	return 0;
}

struct rd {
	const uint8_t *p;
	size_t left;
	char *why;
	size_t whylen;
};

static int bad(struct rd *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int bad(struct rd *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->why, r->whylen, fmt, ap);
	va_end(ap);
	return -EBADMSG;
}

static int get_u32(struct rd *r, uint32_t *v, const char *what)
{
	*v = 0; /* gcc -O3 cannot see that bad() returns an error */
	if (r->left < 4)
		return bad(r, "cut short in %s", what);
	*v = (uint32_t)r->p[0] | (uint32_t)r->p[1] << 8 | (uint32_t)r->p[2] << 16 |
	     (uint32_t)r->p[3] << 24;
	r->p += 4;
	r->left -= 4;
	return 0;
}

/* A negative errno or 0. */
static int get_err(struct rd *r, int *v, const char *what)
{
	uint32_t u;
	int ret = get_u32(r, &u, what);

	if (ret < 0)
		return ret;
	if (u != 0 && u < (uint32_t)-4095)
		return bad(r, "%s %d is not an error number", what, (int32_t)u);
	*v = (int32_t)u;
	return 0;
}

static int get_str(struct rd *r, size_t max, char **out, const char *what)
{
	uint32_t n;
	int ret = get_u32(r, &n, what);

	*out = NULL;
	if (ret < 0)
		return ret;
	if (n > max || n > r->left)
		return bad(r, "%s of %u bytes (at most %zu, %zu left)", what, n, max, r->left);
	if (memchr(r->p, '\0', n))
		return bad(r, "%s holds a NUL byte", what);
	*out = malloc((size_t)n + 1);
	if (!*out)
		return -ENOMEM;
	memcpy(*out, r->p, n);
	(*out)[n] = '\0';
	r->p += n;
	r->left -= n;
	return 0;
}

static int get_head(struct rd *r, struct fetch_req *q, uint8_t *flags)
{
	uint32_t status = 0, attempts = 0;
	char *msg = NULL;
	int ret;

	if (r->left < 1 || r->p[0] != PRIVSEP_WIRE_VERSION)
		return bad(r, "not a version %d message", PRIVSEP_WIRE_VERSION);
	r->p++;
	r->left--;
	ret = get_err(r, &q->err, "the error");
	if (ret == 0)
		ret = get_u32(r, &status, "the HTTP status");
	if (ret == 0)
		ret = get_u32(r, &attempts, "the attempts");
	if (ret < 0)
		return ret;
	if (status > 999 || attempts > 1000)
		return bad(r, "HTTP status %u or %u attempts out of range", status, attempts);
	if (r->left < 1)
		return bad(r, "cut short in the flags");
	*flags = *r->p++;
	r->left--;
	if (*flags & ~(F_NOT_MODIFIED | F_ETAG | F_LM | F_PARSED))
		return bad(r, "unknown flags 0x%02x", *flags);
	if ((*flags & F_PARSED) && (q->err || (*flags & F_NOT_MODIFIED)))
		return bad(r, "a parsed list with an error or a 304");
	/* the raw body never crosses: a download that worked comes parsed */
	if (!(*flags & F_PARSED) && !q->err && !(*flags & F_NOT_MODIFIED))
		return bad(r, "a download without its parsed list");
	ret = get_str(r, sizeof(q->errmsg) - 1, &msg, "the error message");
	if (ret < 0)
		return ret;
	snprintf(q->errmsg, sizeof(q->errmsg), "%s", msg);
	free(msg);
	q->http_status = (long)status;
	q->attempts = attempts;
	q->not_modified = *flags & F_NOT_MODIFIED;
	return 0;
}

/* A prefix in canonical form only: family 4 or 6, a length it allows, no host bits. */
static int get_prefix(struct rd *r, struct prefix *p, size_t i)
{
	const uint8_t *b = r->p;
	uint8_t back[16];
	size_t alen;

	if (r->left < PREFIX_WIRE)
		return bad(r, "cut short in prefix %zu", i);
	if ((b[0] != 4 && b[0] != 6) || b[1] > (b[0] == 4 ? 32 : 128))
		return bad(r, "prefix %zu has family %u, length %u", i, b[0], b[1]);
	alen = b[0] == 4 ? 4 : 16;
	for (size_t k = alen; k < 16; k++)
		if (b[2 + k])
			return bad(r, "prefix %zu has bytes after its IPv4 address", i);
	if (prefix_from_bytes(b[0] == 4 ? AF_INET : AF_INET6, b + 2, b[1], p) < 0)
		return bad(r, "prefix %zu cannot be built", i);
	prefix_first_bytes(p, back);
	if (memcmp(back, b + 2, alen))
		return bad(r, "prefix %zu has host bits set", i);
	r->p += PREFIX_WIRE;
	r->left -= PREFIX_WIRE;
	return 0;
}

static int get_prefixes(struct rd *r, struct fetch_req *q)
{
	uint32_t n;
	int ret = get_u32(r, &n, "the prefix count");

	if (ret < 0)
		return ret;
	if ((uint64_t)n * PREFIX_WIRE != r->left)
		return bad(r, "%u prefixes but %zu bytes left", n, r->left);
	if (q->parse_err && n)
		return bad(r, "prefixes after a parse error");
	if (q->parse_err)
		return 0;
	q->prefixes = prefix_set_new();
	if (!q->prefixes || prefix_set_reserve(q->prefixes, n) < 0)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		struct prefix p;

		ret = get_prefix(r, &p, i);
		if (ret == 0)
			ret = prefix_set_add(q->prefixes, &p);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static int get_parse(struct rd *r, struct fetch_req *q)
{
	char *s = NULL;
	uint32_t nw;
	int ret = get_err(r, &q->parse_err, "the parse error");

	if (ret == 0)
		ret = get_str(r, DIAG_MSG_MAX - 1, &s, "the parse message");
	if (ret == 0 && !q->parse_err && *s)
		ret = bad(r, "a parse message without a parse error");
	if (ret == 0)
		snprintf(q->parse_diag.msg, sizeof(q->parse_diag.msg), "%s", s);
	free(s);
	if (ret == 0)
		ret = get_u32(r, &nw, "the warning count");
	if (ret == 0 && nw > PRIVSEP_MAX_WARNINGS + 1)
		ret = bad(r, "%u warnings (at most %d)", nw, PRIVSEP_MAX_WARNINGS + 1);
	for (uint32_t i = 0; ret == 0 && i < nw; i++) {
		ret = get_str(r, DIAG_MSG_MAX - 1, &s, "a warning");
		if (ret == 0)
			diag_warn(&q->parse_diag, "%s", s);
		free(s);
	}
	if (ret == 0)
		ret = get_prefixes(r, q);
	q->parsed = true;
	return ret;
}

int privsep_decode(const uint8_t *buf, size_t len, struct fetch_req *q, char *why, size_t whylen)
{
	struct rd r = { .p = buf, .left = len, .why = why, .whylen = whylen };
	uint8_t flags = 0;
	int ret;

	fetch_req_release(q);
	diag_init(&q->parse_diag);
	q->not_modified = false;
	ret = get_head(&r, q, &flags);
	if (ret == 0 && (flags & F_ETAG))
		ret = get_str(&r, HEADER_MAX, &q->new_etag, "the ETag");
	if (ret == 0 && (flags & F_LM))
		ret = get_str(&r, HEADER_MAX, &q->new_last_modified, "the Last-Modified value");
	if (ret == 0 && (flags & F_PARSED))
		ret = get_parse(&r, q);
	if (ret == 0 && r.left)
		ret = bad(&r, "%zu bytes after the end", r.left);
	if (ret == -ENOMEM)
		snprintf(why, whylen, "out of memory");
	if (ret < 0) {
		fetch_req_release(q);
		q->not_modified = false;
	}
	return ret;
}
