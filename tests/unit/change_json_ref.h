/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The change document as change_render wrote it before it became a direct
 * formatter (src/core/change_render.c): a jansson tree dumped with
 * JSON_COMPACT | JSON_PRESERVE_ORDER. Test only: the bytes every existing
 * history.jsonl line and on_change hook has, that the formatter must keep.
 */
#ifndef CDNALLOW_CHANGE_JSON_REF_H
#define CDNALLOW_CHANGE_JSON_REF_H

#include <errno.h>
#include <stdbool.h>
#include <sys/socket.h>

#include <jansson.h>

#include "change.h"
#include "prefix_set.h"

static json_t *ref_prefix_array(const struct prefix_set *s, int af)
{
	json_t *a = json_array();
	char buf[PREFIX_STRLEN];

	for (size_t i = 0; a && s && i < s->n; i++) {
		if (s->v[i].family != af)
			continue;
		prefix_format(&s->v[i], buf, sizeof(buf));
		if (json_array_append_new(a, json_string(buf)) < 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static json_t *ref_delta_json(const struct change_delta *dl, bool named)
{
	static const char *const key[2] = { "ipv4", "ipv6" };
	static const int af[2] = { AF_INET, AF_INET6 };
	json_t *o = json_object();
	int bad = !o;

	if (named && !bad)
		bad |= json_object_set_new(o, "name", json_string(dl->name));
	for (int f = 0; f < 2 && !bad; f++)
		bad |= json_object_set_new(o, key[f],
					   json_pack("{s:o,s:o}", "added",
						     ref_prefix_array(dl->add, af[f]), "removed",
						     ref_prefix_array(dl->del, af[f])));
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static inline int ref_change_render(const struct change *c, char **out)
{
	json_t *root, *fw, *srcs = json_array(), *outs = json_array();
	char when[32];
	int bad = !srcs || !outs;

	*out = NULL;
	change_format_time(c->time, when, sizeof(when));
	fw = ref_delta_json(&c->fw, false);
	bad |= !fw || json_object_set_new(fw, "changed", json_boolean(c->fw_changed));
	for (size_t i = 0; !bad && i < c->nsrc; i++)
		bad |= json_array_append_new(srcs, ref_delta_json(&c->src[i], true));
	for (size_t i = 0; !bad && i < c->noutputs; i++)
		bad |= json_array_append_new(outs, json_string(c->outputs[i]));
	if (bad) {
		json_decref(fw);
		json_decref(srcs);
		json_decref(outs);
		return -ENOMEM;
	}
	root = json_pack("{s:s,s:i,s:s,s:s,s:s,s:o,s:o,s:o}", "format", CHANGE_FORMAT, "version",
			 CHANGE_VERSION, "time", when, "backend", c->backend, "mode", c->mode,
			 "firewall", fw, "outputs", outs, "sources", srcs);
	if (!root)
		return -ENOMEM;
	*out = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(root);
	return *out ? 0 : -ENOMEM;
}

#endif
