// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Parses a source endpoint's body chunk by chunk. The first bytes decide, as
 * json_util_sniff does for the whole body, whether it is a text list the
 * provider reads with json_util_parse_text (then the chunked text parser
 * takes every byte and none is kept) or anything else (then the body is
 * collected and the provider's own parser runs on it at the end, so JSON,
 * HTML and blank bodies get exactly the messages they always got). It must
 * never give an outcome source_parse_endpoint would not give.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "json_util.h"
#include "prefix_stream.h"
#include "source.h"
#include "source_stream.h"
#include "strbuf.h"

enum stream_mode { MODE_HEAD, MODE_TEXT, MODE_WHOLE };

struct source_stream {
	const struct source *src;
	size_t idx;
	struct prefix_set *out, *exclude;
	struct diag *d;
	enum stream_mode mode;
	struct strbuf body; /* the start until the mode is known; all of it in MODE_WHOLE */
	struct text_stream *text;
	size_t total;
	int err;
	char who[160];
};

struct source_stream *source_stream_new(const struct source *src, size_t idx,
					struct prefix_set *out, struct prefix_set *exclude,
					struct diag *d)
{
	struct source_stream *ss = calloc(1, sizeof(*ss));

	if (!ss)
		return NULL;
	ss->src = src;
	ss->idx = idx;
	ss->out = out;
	ss->exclude = exclude;
	ss->d = d;
	return ss;
}

void source_stream_free(struct source_stream *ss)
{
	if (!ss)
		return;
	strbuf_release(&ss->body);
	text_stream_free(ss->text);
	free(ss);
}

void source_stream_expect(struct source_stream *ss, size_t total)
{
	ss->total = total;
}

/* The set endpoint idx fills, when source_parse_endpoint would hand the body to text_who's
 * parser; else NULL. */
static struct prefix_set *text_target(struct source_stream *ss)
{
	const struct source *src = ss->src;

	if (!src || !src->prov || !src->prov->parse || !src->prov->text_who || !ss->out)
		return NULL;
	if (!src->prov->text_who(src, ss->who, sizeof(ss->who)))
		return NULL;
	if (source_endpoint_excludes(src, ss->idx))
		return ss->exclude;
	return ss->out;
}

/* MODE_HEAD: whether the start of the body tells the kind, and then which mode follows. */
static int decide(struct source_stream *ss)
{
	struct strbuf *b = &ss->body;
	struct prefix_set *into;
	int r;

	/* a cut byte order mark would sniff as text */
	if (b->len < 3 && memcmp(b->buf, "\xef\xbb\xbf", b->len) == 0)
		return 0;
	switch (json_util_sniff(b->buf, b->len)) {
	case BODY_BLANK:
		return 0;
	case BODY_OTHER:
		into = text_target(ss);
		if (into)
			break;
		/* fall through */
	default:
		ss->mode = MODE_WHOLE;
		/* a file's body in one allocation, as file_read_all sized it, not doubled */
		if (ss->total > b->len)
			return strbuf_reserve(b, ss->total - b->len);
		return 0;
	}
	ss->text = text_stream_new(into, ss->who, ss->d);
	if (!ss->text)
		return -ENOMEM;
	if (ss->total)
		text_stream_expect(ss->text, ss->total);
	ss->mode = MODE_TEXT;
	r = text_stream_feed(ss->text, b->buf, b->len);
	strbuf_release(&ss->body);
	return r;
}

int source_stream_feed(struct source_stream *ss, const char *buf, size_t len)
{
	int r;

	if (ss->err || !len)
		return ss->err;
	if (ss->mode == MODE_TEXT) {
		r = text_stream_feed(ss->text, buf, len);
	} else {
		r = strbuf_add(&ss->body, buf, len) < 0 ? -ENOMEM : 0;
		if (r == 0 && ss->mode == MODE_HEAD)
			r = decide(ss);
	}
	if (r < 0)
		ss->err = r;
	return r;
}

int source_stream_finish(struct source_stream *ss)
{
	int r;

	if (ss->err)
		return ss->err;
	if (ss->mode == MODE_TEXT)
		r = text_stream_finish(ss->text);
	else
		r = source_parse_endpoint(ss->src, ss->idx, ss->body.buf, ss->body.len, ss->out,
					  ss->exclude, ss->d);
	if (r < 0)
		ss->err = r;
	return r;
}
