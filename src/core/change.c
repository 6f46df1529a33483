// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The change document of include/cdnallow/change.h: built from the deltas the
 * engine computed and parsed back for `cdnallow history` (the rendering is in
 * change_render.c). A history line may be torn or edited, so the
 * parser checks every field it uses and says which one is wrong; it never
 * trusts a count it did not compute itself.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <jansson.h>

#include "change.h"
#include "diag.h"
#include "prefix_set.h"

static const char *const fam_key[2] = { "ipv4", "ipv6" };
static const int fam_af[2] = { AF_INET, AF_INET6 };

static int delta_init(struct change_delta *dl, const char *name)
{
	memset(dl, 0, sizeof(*dl));
	snprintf(dl->name, sizeof(dl->name), "%s", name);
	dl->add = prefix_set_new();
	dl->del = prefix_set_new();
	return dl->add && dl->del ? 0 : -ENOMEM;
}

static void delta_release(struct change_delta *dl)
{
	prefix_set_free(dl->add);
	prefix_set_free(dl->del);
	dl->add = dl->del = NULL;
}

int change_init(struct change *c)
{
	memset(c, 0, sizeof(*c));
	return delta_init(&c->fw, "");
}

void change_release(struct change *c)
{
	if (!c)
		return;
	delta_release(&c->fw);
	for (size_t i = 0; i < c->nsrc; i++)
		delta_release(&c->src[i]);
	free(c->src);
	free(c->outputs);
	memset(c, 0, sizeof(*c));
}

int change_add_source(struct change *c, const char *name, struct change_delta **out)
{
	struct change_delta *v = realloc(c->src, (c->nsrc + 1) * sizeof(*v));
	int ret;

	if (!v)
		return -ENOMEM;
	c->src = v;
	ret = delta_init(&v[c->nsrc], name);
	if (ret) {
		delta_release(&v[c->nsrc]);
		return ret;
	}
	*out = &v[c->nsrc++];
	return 0;
}

void change_drop_last_source(struct change *c)
{
	if (c->nsrc > 0)
		delta_release(&c->src[--c->nsrc]);
}

int change_add_output(struct change *c, const char *name)
{
	char(*v)[CHANGE_NAME_MAX] = realloc(c->outputs, (c->noutputs + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	c->outputs = v;
	snprintf(v[c->noutputs++], CHANGE_NAME_MAX, "%s", name);
	return 0;
}

bool change_is_empty(const struct change *c)
{
	return !c->fw_changed && c->nsrc == 0 && c->noutputs == 0;
}

size_t change_count(const struct prefix_set *s, int family)
{
	return s ? prefix_set_count(s, family) : 0;
}

void change_format_time(time_t t, char *buf, size_t size)
{
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, size, "1970-01-01T00:00:00Z");
}

/* A name, backend or mode: non-empty, printable, short enough. */
static int get_name(json_t *o, const char *key, char *buf, size_t size, struct diag *d)
{
	const char *s = json_string_value(json_object_get(o, key));
	size_t n = s ? strlen(s) : 0;

	if (!s || n == 0 || n >= size) {
		diag_err(d, "'%s' missing, not a string, or too long", key);
		return -EBADMSG;
	}
	for (size_t i = 0; i < n; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
			diag_err(d, "'%s' contains a control character", key);
			return -EBADMSG;
		}
	}
	memcpy(buf, s, n + 1);
	return 0;
}

static int parse_list(json_t *a, int af, struct prefix_set *into, const char *where, struct diag *d)
{
	size_t i;
	json_t *v;

	if (!json_is_array(a)) {
		diag_err(d, "%s is not an array", where);
		return -EBADMSG;
	}
	json_array_foreach (a, i, v) {
		const char *s = json_string_value(v);
		struct prefix p;

		if (!s || prefix_parse(s, strlen(s), &p, NULL) < 0 || p.family != af) {
			diag_err(d, "%s[%zu] is not an %s prefix", where, i,
				 af == AF_INET ? "IPv4" : "IPv6");
			return -EBADMSG;
		}
		if (prefix_set_add(into, &p) < 0)
			return -ENOMEM;
	}
	return 0;
}

static int parse_delta(json_t *o, struct change_delta *dl, const char *what, struct diag *d)
{
	char where[CHANGE_NAME_MAX + 48];
	int ret = 0;

	if (!json_is_object(o)) {
		diag_err(d, "%s is not an object", what);
		return -EBADMSG;
	}
	for (int f = 0; f < 2 && ret == 0; f++) {
		json_t *fo = json_object_get(o, fam_key[f]);

		if (!json_is_object(fo)) {
			diag_err(d, "%s.%s is not an object", what, fam_key[f]);
			return -EBADMSG;
		}
		snprintf(where, sizeof(where), "%s.%s.added", what, fam_key[f]);
		ret = parse_list(json_object_get(fo, "added"), fam_af[f], dl->add, where, d);
		snprintf(where, sizeof(where), "%s.%s.removed", what, fam_key[f]);
		if (ret == 0)
			ret = parse_list(json_object_get(fo, "removed"), fam_af[f], dl->del, where,
					 d);
	}
	return ret;
}

static int parse_time(json_t *root, time_t *t, struct diag *d)
{
	const char *s = json_string_value(json_object_get(root, "time"));
	struct tm tm = { 0 };
	const char *end = s ? strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm) : NULL;

	if (!end || *end) {
		diag_err(d, "'time' is not an RFC 3339 UTC time (2026-12-03T22:40:00Z)");
		return -EBADMSG;
	}
	*t = timegm(&tm);
	return 0;
}

static int parse_sources(json_t *a, struct change *c, struct diag *d)
{
	struct change_delta *dl;
	char name[CHANGE_NAME_MAX], what[CHANGE_NAME_MAX + 16];
	size_t i;
	json_t *v;
	int ret;

	if (!json_is_array(a)) {
		diag_err(d, "'sources' is not an array");
		return -EBADMSG;
	}
	json_array_foreach (a, i, v) {
		ret = get_name(v, "name", name, sizeof(name), d);
		if (ret) {
			diag_prefix(d, "sources[%zu]: ", i);
			return ret;
		}
		ret = change_add_source(c, name, &dl);
		snprintf(what, sizeof(what), "source '%s'", name);
		if (ret == 0)
			ret = parse_delta(v, dl, what, d);
		if (ret)
			return ret;
	}
	return 0;
}

static int parse_outputs(json_t *a, struct change *c, struct diag *d)
{
	size_t i;
	json_t *v;

	/* absent in a document without outputs is fine: nothing changed there */
	if (!a)
		return 0;
	if (!json_is_array(a)) {
		diag_err(d, "'outputs' is not an array");
		return -EBADMSG;
	}
	json_array_foreach (a, i, v) {
		const char *s = json_string_value(v);

		if (!s || !*s || strlen(s) >= CHANGE_NAME_MAX) {
			diag_err(d, "outputs[%zu] is not a name", i);
			return -EBADMSG;
		}
		if (change_add_output(c, s) < 0)
			return -ENOMEM;
	}
	return 0;
}

static int parse_root(json_t *root, struct change *c, struct diag *d)
{
	const char *fmt = json_string_value(json_object_get(root, "format"));
	json_t *fw = json_object_get(root, "firewall");
	int ret;

	if (!fmt || strcmp(fmt, CHANGE_FORMAT) != 0) {
		diag_err(d, "not a %s document", CHANGE_FORMAT);
		return -EBADMSG;
	}
	if (json_integer_value(json_object_get(root, "version")) != CHANGE_VERSION) {
		diag_err(d, "unsupported version (this cdnallow reads version %d)", CHANGE_VERSION);
		return -EBADMSG;
	}
	ret = parse_time(root, &c->time, d);
	if (ret == 0)
		ret = get_name(root, "backend", c->backend, sizeof(c->backend), d);
	if (ret == 0)
		ret = get_name(root, "mode", c->mode, sizeof(c->mode), d);
	if (ret == 0)
		ret = parse_delta(fw, &c->fw, "firewall", d);
	if (ret == 0)
		c->fw_changed = json_is_true(json_object_get(fw, "changed"));
	if (ret == 0)
		ret = parse_outputs(json_object_get(root, "outputs"), c, d);
	if (ret == 0)
		ret = parse_sources(json_object_get(root, "sources"), c, d);
	return ret;
}

int change_parse(const char *buf, size_t len, struct change *c, struct diag *d)
{
	json_error_t err;
	json_t *root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &err);
	int ret;

	if (!json_is_object(root)) {
		diag_err(d, "not a JSON object%s%s", root ? "" : ": ", root ? "" : err.text);
		json_decref(root);
		return -EBADMSG;
	}
	ret = parse_root(root, c, d);
	json_decref(root);
	return ret;
}
