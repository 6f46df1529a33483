// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Generic sources (-s URL|PATH, [source:NAME]): a text list, cdnallow's own
 * "cdnallow-ranges/1" JSON (what `fetch --json` prints), or any JSON with a
 * json_path naming where the prefix strings are ("data.ranges[]",
 * "prefixes[].ip_prefix", "[]" for a top-level array). It never guesses
 * where prefixes hide in unknown JSON: without json_path that is an error.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "diag.h"
#include "json_util.h"
#include "source.h"

#define CDNALLOW_FORMAT "cdnallow-ranges/1"
#define JPATH_MAX_SEGS 16
#define JPATH_MAX_KEY 128
#define JPATH_MAX_EACH 4
#define SHOWN_PATH_MAX 512

struct jseg {
	char key[JPATH_MAX_KEY]; /* empty: no key, only [] on the current value */
	unsigned each;		 /* number of trailing [] */
};

struct jpath {
	struct jseg seg[JPATH_MAX_SEGS];
	size_t n;
};

struct walk {
	const char *who;
	const struct jpath *jp;
	struct prefix_set *out;
	struct diag *d;
	char shown[SHOWN_PATH_MAX]; /* where we are, for messages: "data.ranges[3]" */
};

static int compile_seg(const char *part, size_t n, struct jseg *seg)
{
	memset(seg, 0, sizeof(*seg));
	while (n >= 2 && part[n - 2] == '[' && part[n - 1] == ']') {
		if (++seg->each > JPATH_MAX_EACH)
			return -EINVAL;
		n -= 2;
	}
	if (n >= sizeof(seg->key) || memchr(part, '[', n) || memchr(part, ']', n))
		return -EINVAL;
	if (n == 0 && seg->each == 0)
		return -EINVAL;
	memcpy(seg->key, part, n);
	seg->key[n] = '\0';
	return 0;
}

static int jpath_compile(const char *who, const char *s, struct jpath *jp, struct diag *d)
{
	const char *p = s;

	jp->n = 0;
	for (;;) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);

		if (jp->n == JPATH_MAX_SEGS || compile_seg(p, n, &jp->seg[jp->n]) < 0) {
			diag_err(d,
				 "%s: json_path \"%s\": expected dot-separated keys, each "
				 "optionally followed by [] (e.g. data.ranges[])",
				 who, s);
			return -EINVAL;
		}
		jp->n++;
		if (!dot)
			return 0;
		p = dot + 1;
	}
}

static int walk_seg(struct walk *w, const json_t *v, size_t si, bool expanded);

static int walk_each(struct walk *w, const json_t *v, size_t si, unsigned level, bool expanded)
{
	size_t mark = strlen(w->shown), i;
	const json_t *e;
	int ret;

	if (level == w->jp->seg[si].each)
		return walk_seg(w, v, si + 1, expanded || level > 0);
	ret = json_util_check(w->who, w->shown[0] ? w->shown : "top level", v, JSON_ARRAY, w->d);
	if (ret < 0)
		return ret;
	json_array_foreach (v, i, e) {
		snprintf(w->shown + mark, sizeof(w->shown) - mark, "[%zu]", i);
		ret = walk_each(w, e, si, level + 1, expanded);
		if (ret < 0)
			return ret;
	}
	w->shown[mark] = '\0';
	return 0;
}

/* Applies segment si to v; expanded says a [] came before, where missing keys are skipped. */
static int walk_seg(struct walk *w, const json_t *v, size_t si, bool expanded)
{
	size_t mark = strlen(w->shown);
	const struct jseg *seg;
	const json_t *next;
	int ret;

	if (si == w->jp->n) {
		if (json_is_array(v))
			return json_util_add_array(w->who, w->shown, v, 0, w->out, w->d);
		if (!json_is_string(v)) {
			diag_err(w->d, "%s: %s: expected a string or an array of strings, got %s",
				 w->who, w->shown, json_util_type_name(v));
			return -EBADMSG;
		}
		return json_util_add_prefix(w->who, w->shown, v, 0, w->out, w->d);
	}
	seg = &w->jp->seg[si];
	if (!seg->key[0])
		return walk_each(w, v, si, 0, expanded);
	ret = json_util_check(w->who, w->shown[0] ? w->shown : "top level", v, JSON_OBJECT, w->d);
	if (ret < 0)
		return ret;
	next = json_object_get(v, seg->key);
	snprintf(w->shown + mark, sizeof(w->shown) - mark, "%s%s", mark ? "." : "", seg->key);
	if (!next) {
		if (expanded) {
			w->shown[mark] = '\0';
			return 0;
		}
		diag_err(w->d, "%s: missing key \"%s\"", w->who, w->shown);
		return -EBADMSG;
	}
	ret = walk_each(w, next, si, 0, expanded);
	w->shown[mark] = '\0';
	return ret;
}

static int parse_cdnallow(const char *who, const json_t *root, struct prefix_set *out,
			  struct diag *d)
{
	const json_t *fmt;
	char shown[80];
	int ret;

	ret = json_util_get(who, "format", root, "format", JSON_STRING, &fmt, d);
	if (ret < 0)
		return ret;
	if (strcmp(json_string_value(fmt), CDNALLOW_FORMAT)) {
		json_util_quote(shown, sizeof(shown), json_string_value(fmt),
				json_string_length(fmt));
		diag_err(d, "%s: format: \"%s\" is not supported, expected \"" CDNALLOW_FORMAT "\"",
			 who, shown);
		return -EBADMSG;
	}
	return json_util_add_pair(who, NULL, root, "ipv4", "ipv6", out, d);
}

static bool is_cdnallow_doc(const json_t *root)
{
	const json_t *fmt = json_object_get(root, "format");

	return json_is_string(fmt) && !strncmp(json_string_value(fmt), "cdnallow-ranges/", 16);
}

static int parse_json(const struct source *src, const char *who, const char *body, size_t len,
		      struct prefix_set *out, struct diag *d)
{
	json_t *root = NULL;
	struct jpath jp;
	struct walk w;
	int ret;

	ret = json_util_load(who, body, len, &root, d);
	if (ret < 0 || !root)
		goto out;
	if (src->format == FORMAT_CDNALLOW || (!src->json_path && is_cdnallow_doc(root))) {
		ret = json_util_check(who, NULL, root, JSON_OBJECT, d);
		if (ret == 0)
			ret = parse_cdnallow(who, root, out, d);
		goto out;
	}
	if (!src->json_path || !src->json_path[0]) {
		diag_err(d,
			 "%s: JSON body needs json_path = KEY.PATH (e.g. prefixes[].ip_prefix), "
			 "or format = cdnallow; both are keys of a [source:NAME] section of the "
			 "config file (with url or path), not options of -s",
			 who);
		ret = -EINVAL;
		goto out;
	}
	ret = jpath_compile(who, src->json_path, &jp, d);
	if (ret < 0)
		goto out;
	w = (struct walk){ .who = who, .jp = &jp, .out = out, .d = d };
	ret = walk_seg(&w, root, 0, false);
out:
	json_decref(root);
	return ret;
}

/* A -s source is named by its file or URL, so errors read "PATH:LINE: …". */
static void name_who(const struct source *src, char *who, size_t size)
{
	if (src && src->nurls == 1 && src->name && !strcmp(src->name, src->urls[0]))
		snprintf(who, size, "%s", src->urls[0]);
	else
		snprintf(who, size, "source '%s'", src && src->name ? src->name : "?");
}

static bool generic_text_who(const struct source *src, char *who, size_t size)
{
	name_who(src, who, size);
	return src && (src->format == FORMAT_TEXT || src->format == FORMAT_AUTO);
}

static int generic_parse(const struct source *src, const char *body, size_t len,
			 struct prefix_set *out, struct diag *d)
{
	enum body_kind kind = json_util_sniff(body, len);
	char who[160];

	name_who(src, who, sizeof(who));
	if (!src) {
		diag_err(d, "%s: no source", who);
		return -EINVAL;
	}
	switch (src->format) {
	case FORMAT_TEXT:
		return json_util_parse_text(who, body, len, out, d);
	case FORMAT_JSON:
	case FORMAT_CDNALLOW:
		return parse_json(src, who, body, len, out, d);
	case FORMAT_AUTO:
		break;
	}
	if (kind == BODY_JSON)
		return parse_json(src, who, body, len, out, d);
	return json_util_parse_text(who, body, len, out, d);
}

const struct provider provider_generic = {
	.name = "generic",
	.summary = "any URL or file: text list, JSON with json_path, or cdnallow-ranges/1",
	.urls = { NULL },
	.floor = 1,
	.parse = generic_parse,
	.text_who = generic_text_who,
};
