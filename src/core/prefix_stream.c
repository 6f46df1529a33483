// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The chunked form of prefix_text.c: complete lines of a chunk are parsed
 * where they lie, only a line cut by a chunk boundary is carried (copied) to
 * the next chunk, and the start of the body is held back until its first
 * non-blank byte decides the byte order mark and the HTML check. It must
 * give exactly what prefix_set_parse_text gives for the concatenated chunks:
 * both run prefix_text_lines with the body's line numbers and byte offsets.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "prefix_set.h"
#include "prefix_stream.h"
#include "prefix_text_int.h"
#include "strbuf.h"

/* Slack on the estimated number of lines: a list's lines differ little in length. */
#define EXPECT_SLACK_DIV 64

struct text_stream {
	struct prefix_set *s;
	struct diag *d;
	struct text_pos at;
	size_t start_n;	     /* s->n before the body, restored on failure */
	struct strbuf carry; /* the start of the body, then a line cut by a chunk's end */
	size_t carry_off;    /* offset of carry in the body */
	size_t fed;	     /* bytes fed so far */
	size_t total;	     /* expected length, 0: unknown */
	bool started;	     /* byte order mark and HTML check done */
	int err;
};

struct text_stream *text_stream_new(struct prefix_set *s, const char *origin, struct diag *d)
{
	struct text_stream *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->s = s;
	t->d = d;
	t->at.origin = origin ? origin : "<input>";
	t->start_n = s->n;
	return t;
}

void text_stream_free(struct text_stream *t)
{
	if (!t)
		return;
	strbuf_release(&t->carry);
	free(t);
}

void text_stream_expect(struct text_stream *t, size_t total)
{
	t->total = total;
}

/*
 * Room for the lines still to come, estimated from the bytes a line took so
 * far: one realloc for a list of like lines instead of a doubling array's
 * copies and up to 2x slack at the peak.
 */
static int reserve(struct text_stream *t, size_t len)
{
	size_t n = t->s->n - t->start_n, want;

	if (!t->total || !n || t->fed >= t->total)
		return 0;
	want = (size_t)((double)n * ((double)t->total / (double)t->fed));
	if (t->start_n + want <= t->s->cap && t->fed + len < t->total)
		return 0;
	return prefix_set_reserve(t->s, t->start_n + want + want / EXPECT_SLACK_DIV + 16);
}

static int lines(struct text_stream *t, const char *buf, const char *p, const char *end,
		 size_t base)
{
	t->at.base = base;
	return prefix_text_lines(t->s, buf, p, end, &t->at, t->d);
}

/* The complete lines of buf[skip, len) (buf at offset t->fed), the cut last one into carry. */
static int chunk(struct text_stream *t, const char *buf, size_t skip, size_t len)
{
	const char *p = buf + skip, *end = buf + len, *nl;
	int r = 0;

	if (t->carry.len) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (strbuf_add(&t->carry, p, nl ? (size_t)(nl + 1 - p) : (size_t)(end - p)) < 0)
			return -ENOMEM;
		if (!nl)
			return 0;
		r = lines(t, t->carry.buf, t->carry.buf, t->carry.buf + t->carry.len, t->carry_off);
		strbuf_reset(&t->carry);
		p = nl + 1;
	}
	nl = r == 0 && p < end ? memrchr(p, '\n', (size_t)(end - p)) : NULL;
	if (nl) {
		r = lines(t, buf, p, nl + 1, t->fed);
		p = nl + 1;
	}
	if (r == 0 && p < end) {
		t->carry_off = t->fed + (size_t)(p - buf);
		r = strbuf_add(&t->carry, p, (size_t)(end - p)) < 0 ? -ENOMEM : 0;
	}
	return r;
}

/* Whether the body's start in carry decides the byte order mark and the HTML check. */
static bool start_known(const struct strbuf *c)
{
	if (c->len < 3 && memcmp(c->buf, "\xef\xbb\xbf", c->len) == 0)
		return false;
	for (size_t i = prefix_text_bom(c->buf, c->len); i < c->len; i++) {
		if (c->buf[i] != ' ' && c->buf[i] != '\t' && c->buf[i] != '\r' && c->buf[i] != '\n')
			return true;
	}
	return false;
}

/* The held-back start of the body, as prefix_set_parse_text begins. */
static int start(struct text_stream *t)
{
	struct strbuf head = t->carry;
	size_t bom;
	int r = 0;

	t->started = true;
	if (!head.len)
		return 0;
	bom = prefix_text_bom(head.buf, head.len);
	t->at.lineno = prefix_text_html_line(head.buf + bom, head.len - bom);
	if (t->at.lineno)
		r = prefix_text_html_err(&t->at, t->d);
	t->carry = (struct strbuf){ 0 };
	t->fed = 0;
	if (r == 0)
		r = chunk(t, head.buf, bom, head.len);
	t->fed = head.len;
	strbuf_release(&head);
	return r;
}

static int fail(struct text_stream *t, int r)
{
	if (r < 0) {
		t->err = r;
		t->s->n = t->start_n;
	}
	return r;
}

int text_stream_feed(struct text_stream *t, const char *buf, size_t len)
{
	int r = 0;

	if (t->err || !len)
		return t->err;
	if (!t->started) {
		r = strbuf_add(&t->carry, buf, len) < 0 ? -ENOMEM : 0;
		t->fed += len;
		if (r == 0 && start_known(&t->carry))
			r = start(t);
		return fail(t, r);
	}
	r = reserve(t, len);
	if (r == 0)
		r = chunk(t, buf, 0, len);
	t->fed += len;
	return fail(t, r);
}

int text_stream_finish(struct text_stream *t)
{
	int r = 0;

	if (t->err)
		return t->err;
	if (!t->started)
		r = start(t);
	if (r == 0 && t->carry.len)
		r = lines(t, t->carry.buf, t->carry.buf, t->carry.buf + t->carry.len, t->carry_off);
	strbuf_reset(&t->carry);
	if (r == 0)
		prefix_text_summary(&t->at, t->d);
	return fail(t, r);
}
