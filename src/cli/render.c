// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Results on stdout: the plan as text for people and as the JSON document of
 * docs/architecture.md §3 for machines, and the aggregated ranges (text or the
 * cdnallow-ranges/1 format). Never writes to stderr.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "age.h"
#include "export.h"
#include "output.h"
#include "cli.h"
#include "msg.h"
#include "prefix_set.h"
#include "source.h"

#define TEXT_LIST_MAX 40

static json_t *cidr_array(const struct prefix_set *s, int family)
{
	json_t *a = json_array();
	char buf[PREFIX_STRLEN];

	for (size_t i = 0; a && s && i < s->n; i++) {
		if (s->v[i].family != family)
			continue;
		prefix_format(&s->v[i], buf, sizeof(buf));
		json_array_append_new(a, json_string(buf));
	}
	return a;
}

static json_t *family_json(const struct engine *e, int family, int idx, bool changed)
{
	const struct plan *p = &e->plan;
	size_t installed = p->installed[idx];

	/* after a sync that changed the kernel, the firewall holds the wanted set */
	if (changed)
		installed = prefix_set_count(p->want, family);
	return json_pack("{s:o, s:o, s:I, s:I}", "add", cidr_array(p->add, family), "remove",
			 cidr_array(p->del, family), "unchanged", (json_int_t)p->unchanged[idx],
			 "installed", (json_int_t)installed);
}

static json_t *sources_json(const struct engine *e)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < e->nsrcs; i++) {
		const struct source_result *r = &e->results[i];

		json_array_append_new(
			a, json_pack("{s:s, s:s, s:I, s:I, s:s?}", "name", e->srcs[i].name,
				     "status", source_status_name(r->status), "count",
				     (json_int_t)(r->set ? r->set->n : 0), "age_s",
				     (json_int_t)r->age_s, "error", r->error[0] ? r->error : NULL));
	}
	return a;
}

static json_t *warnings_json(const struct engine *e)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < e->nwarnings; i++)
		json_array_append_new(a, json_string(e->warnings[i]));
	return a;
}

/* [output:*] with what this run did to each; empty when no output was looked at. */
static json_t *outputs_json(const struct engine *e)
{
	json_t *a = json_array();

	for (size_t i = 0; a && e->outputs && i < e->cfg.noutputs; i++) {
		const struct output_def *o = &e->cfg.outputs[i];

		json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:s}", "name", o->name,
						   "format", export_format_name(o->format), "path",
						   o->path, "status",
						   output_status_name(e->outputs[i].status)));
	}
	return a;
}

static int dump(json_t *root)
{
	int ret;

	ret = msg_out_json(root);
	json_decref(root);
	return ret;
}

int render_plan_json(const struct engine *e, bool changed)
{
	return dump(json_pack(
		"{s:b, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:b, s:b, s:o}", "changed", changed,
		"backend", e->be ? e->be->name : "none", "mode", backend_mode_name(e->cfg.mode),
		"where", e->st.where, "ipv4", family_json(e, AF_INET, PLAN_V4, changed), "ipv6",
		family_json(e, AF_INET6, PLAN_V6, changed), "sources", sources_json(e), "warnings",
		warnings_json(e), "create", e->plan.create, "repair", e->plan.repair, "outputs",
		outputs_json(e)));
}

static void list_family(const struct prefix_set *s, int family, char sign, bool all)
{
	char buf[PREFIX_STRLEN];
	size_t shown = 0, total = prefix_set_count(s, family);

	for (size_t i = 0; i < s->n; i++) {
		if (s->v[i].family != family)
			continue;
		if (!all && shown == TEXT_LIST_MAX) {
			msg_out("    … and %zu more (-v lists all)\n", total - shown);
			return;
		}
		prefix_format(&s->v[i], buf, sizeof(buf));
		msg_out("    %c %s\n", sign, buf);
		shown++;
	}
}

/* One line per output that changed or failed; returns how many. */
static size_t render_outputs_text(const struct engine *e)
{
	size_t n = 0;

	for (size_t i = 0; e->outputs && i < e->cfg.noutputs; i++) {
		const struct output_def *o = &e->cfg.outputs[i];
		const struct output_result *r = &e->outputs[i];

		if (r->status == OUTPUT_UNCHANGED)
			continue;
		n++;
		if (r->status == OUTPUT_WOULD_CHANGE)
			msg_out("output %s: will %s %s\n", o->name,
				r->created ? "create" : "rewrite", o->path);
		else if (r->status == OUTPUT_WRITTEN)
			msg_out("output %s: %s %s%s\n", o->name, r->created ? "created" : "rewrote",
				o->path, o->reload ? " and reloaded" : "");
		else
			msg_out("output %s: %s (%s)\n", o->name, output_status_name(r->status),
				o->path);
	}
	return n;
}

void render_plan_text(const struct engine *e, bool applied, bool all)
{
	const struct plan *p = &e->plan;
	static const int fams[2] = { AF_INET, AF_INET6 };

	msg_out("backend %s (%s), mode %s\n", e->be->name, e->st.where,
		backend_mode_name(e->cfg.mode));
	for (size_t i = 0; i < e->nsrcs; i++) {
		const struct source_result *r = &e->results[i];

		msg_out("source %s: %s, %zu prefixes", e->srcs[i].name,
			source_status_name(r->status), r->set ? r->set->n : 0);
		if (r->age_s > 0) {
			char age[32];

			age_format(r->age_s, age, sizeof(age));
			msg_out(", %s old", age);
		}
		msg_out("\n");
	}
	if (e->change[0])
		msg_out("%s %s\n", applied ? "switched" : "will switch", e->change);
	if (p->create)
		msg_out("%s the firewall objects\n", applied ? "created" : "will create");
	else if (p->repair)
		msg_out("%s the firewall objects\n", applied ? "repaired" : "will repair");
	for (int f = 0; f < 2; f++) {
		size_t nadd = prefix_set_count(p->add, fams[f]);
		size_t ndel = prefix_set_count(p->del, fams[f]);

		msg_out("%s: %s %zu, %s %zu, unchanged %zu\n", f ? "ipv6" : "ipv4",
			applied ? "added" : "add", nadd, applied ? "removed" : "remove", ndel,
			p->unchanged[f]);
		list_family(p->add, fams[f], '+', all);
		list_family(p->del, fams[f], '-', all);
	}
	if (e->companion_stale)
		msg_out("%s the lockdown table\n", applied ? "removed" : "will remove");
	else if (e->companion_missing)
		msg_out("%s the lockdown table\n", applied ? "installed" : "will install");
	if (render_outputs_text(e) == 0 && engine_in_sync(e))
		msg_out("in sync: nothing to change\n");
}

void render_ranges_text(const struct engine *e)
{
	char buf[PREFIX_STRLEN];

	for (size_t i = 0; i < e->want->n; i++) {
		prefix_format(&e->want->v[i], buf, sizeof(buf));
		msg_out("%s\n", buf);
	}
}

int render_ranges_json(const struct engine *e)
{
	char when[32];
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return dump(json_pack("{s:s, s:s, s:o, s:o, s:o, s:o}", "format", "cdnallow-ranges/1",
			      "generated", when, "ipv4", cidr_array(e->want, AF_INET), "ipv6",
			      cidr_array(e->want, AF_INET6), "sources", sources_json(e), "warnings",
			      warnings_json(e)));
}
