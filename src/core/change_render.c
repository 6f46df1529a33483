// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * change_render (include/cdnallow/change.h): the change document as one line
 * of compact JSON, written straight into one buffer. A first sync of 100k
 * prefixes used to build a jansson tree of 100k strings, dump and free it:
 * three quarters of the sync's own CPU. The bytes are the ones that tree gave
 * (JSON_COMPACT | JSON_PRESERVE_ORDER), which history.jsonl readers and the
 * on_change hooks already see; tests/unit/test_change_render.c holds the two
 * side by side. A prefix is ASCII that needs no escape; the few other strings
 * (names, backend, mode, time) still go through jansson, so their escapes and
 * their refusal of invalid UTF-8 stay exactly as they were.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <jansson.h>

#include "change.h"
#include "prefix_set.h"
#include "strbuf.h"

static const char *const fam_key[2] = { "ipv4", "ipv6" };
static const int fam_af[2] = { AF_INET, AF_INET6 };

static void put(struct strbuf *sb, const char *s)
{
	strbuf_add(sb, s, strlen(s));
}

/* A JSON string as jansson writes it; invalid UTF-8 fails the document, as it did. */
static void put_string(struct strbuf *sb, const char *s)
{
	json_t *j = json_string(s);
	char *t = j ? json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;

	if (t)
		put(sb, t);
	else if (sb->err == 0)
		sb->err = -ENOMEM;
	free(t);
	json_decref(j);
}

/* One family of a set as a JSON array of CIDR strings. */
static void put_prefixes(struct strbuf *sb, const struct prefix_set *s, int af)
{
	char t[PREFIX_STRLEN + 3];
	bool first = true;

	strbuf_add(sb, "[", 1);
	for (size_t i = 0; s && i < s->n && sb->err == 0; i++) {
		size_t n = 0;

		if (s->v[i].family != af)
			continue;
		if (!first)
			t[n++] = ',';
		t[n++] = '"';
		n += (size_t)prefix_format(&s->v[i], t + n, sizeof(t) - n - 1);
		t[n++] = '"';
		strbuf_add(sb, t, n);
		first = false;
	}
	strbuf_add(sb, "]", 1);
}

/* "ipv4":{…},"ipv6":{…} of a delta, after its name if it has one. */
static void put_families(struct strbuf *sb, const struct change_delta *dl)
{
	for (int f = 0; f < 2; f++) {
		strbuf_addf(sb, "%s\"%s\":{\"added\":", f ? "," : "", fam_key[f]);
		put_prefixes(sb, dl->add, fam_af[f]);
		put(sb, ",\"removed\":");
		put_prefixes(sb, dl->del, fam_af[f]);
		strbuf_add(sb, "}", 1);
	}
}

static void put_header(struct strbuf *sb, const struct change *c)
{
	char when[32];

	change_format_time(c->time, when, sizeof(when));
	strbuf_addf(sb, "{\"format\":\"%s\",\"version\":%d,\"time\":", CHANGE_FORMAT,
		    CHANGE_VERSION);
	put_string(sb, when);
	put(sb, ",\"backend\":");
	put_string(sb, c->backend);
	put(sb, ",\"mode\":");
	put_string(sb, c->mode);
}

int change_render(const struct change *c, char **out)
{
	struct strbuf sb = { 0 };

	*out = NULL;
	put_header(&sb, c);
	put(&sb, ",\"firewall\":{");
	put_families(&sb, &c->fw);
	put(&sb, c->fw_changed ? ",\"changed\":true}" : ",\"changed\":false}");
	put(&sb, ",\"outputs\":[");
	for (size_t i = 0; i < c->noutputs; i++) {
		put(&sb, i ? "," : "");
		put_string(&sb, c->outputs[i]);
	}
	put(&sb, "],\"sources\":[");
	for (size_t i = 0; i < c->nsrc; i++) {
		put(&sb, i ? ",{\"name\":" : "{\"name\":");
		put_string(&sb, c->src[i].name);
		strbuf_add(&sb, ",", 1);
		put_families(&sb, &c->src[i]);
		strbuf_add(&sb, "}", 1);
	}
	put(&sb, "]}");
	if (sb.err) {
		int ret = sb.err;

		strbuf_release(&sb);
		return ret;
	}
	*out = strbuf_detach(&sb, NULL);
	return *out ? 0 : -ENOMEM;
}
