// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cdnallow status: what the firewall holds now, compared with what the last
 * sync applied, and how fresh the data is. Exit 3 when stale, missing or
 * changed behind our back (a reboot or a firewall reload wiped the sets), so
 * monitoring notices. --list prints the set the last sync applied (the state
 * dir keeps it packed), one prefix a line. Read-only: takes no lock, writes
 * nothing.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "age.h"
#include "cli.h"
#include "diag.h"
#include "msg.h"
#include "prefix_set.h"

#define STALE_AFTER_S (24 * 3600)

struct verdict {
	bool have_applied, matches, stale;
	const char *why;
	char old_why[256];
};

static void fmt_time(time_t t, char *buf, size_t size)
{
	struct tm tm;

	if (!t) {
		snprintf(buf, size, "never");
		return;
	}
	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The first source whose data in the last sync was older than max_age (§5), or NULL. */
static const struct state_source *too_old(const struct engine *e)
{
	for (size_t i = 0; e->have_prev && i < e->prev.nsources; i++) {
		const struct state_source *s = &e->prev.sources[i];

		if (e->prev.last_run - s->data_time > e->cfg.max_age_s)
			return s;
	}
	return NULL;
}

static void judge(const struct engine *e, const struct prefix_set *applied, struct verdict *v)
{
	const struct state_source *old = too_old(e);
	time_t now = time(NULL);

	v->matches = v->have_applied && e->st.present && e->st.complete &&
		     prefix_set_equal(e->st.set, applied);
	v->stale = !e->have_prev || !e->prev.last_success ||
		   now - e->prev.last_success > STALE_AFTER_S;
	if (e->have_prev && e->prev.flushed && !e->st.present) {
		v->matches = true;
		v->stale = false;
		v->why = NULL;
	} else if (!e->have_prev || !v->have_applied)
		v->why = "no successful sync recorded";
	else if (!e->st.present)
		v->why = "cdnallow's firewall objects are missing (reboot or firewall reload?)";
	else if (!e->st.complete)
		v->why = "cdnallow's firewall objects are incomplete (a rule was removed?)";
	else if (!v->matches)
		v->why = "the firewall differs from what the last sync applied";
	else if (v->stale)
		v->why = "the last successful sync is older than 24 h";
	else if (old) {
		char age[32], max[32];

		age_format((long long)(e->prev.last_run - old->data_time), age, sizeof(age));
		age_format(e->cfg.max_age_s, max, sizeof(max));
		snprintf(v->old_why, sizeof(v->old_why),
			 "source %s used data %s old in the last sync (max_age is %s): its "
			 "list cannot be fetched; old data only keeps what is installed",
			 old->name, age, max);
		v->why = v->old_why;
	} else
		v->why = NULL;
}

static void fmt_count(int64_t n, char *buf, size_t size)
{
	if (n < 0)
		snprintf(buf, size, "unavailable");
	else
		snprintf(buf, size, "%lld", (long long)n);
}

static void print_counters(const struct engine *e)
{
	const struct backend_counters *c = &e->counters;
	char a4[24], a6[24], d4[24], d6[24];

	fmt_count(c->accepted[0], a4, sizeof(a4));
	fmt_count(c->accepted[1], a6, sizeof(a6));
	fmt_count(c->dropped[0], d4, sizeof(d4));
	fmt_count(c->dropped[1], d6, sizeof(d6));
	msg_out("packets accepted from the CDN: %s IPv4, %s IPv6\n", a4, a6);
	if (e->cfg.mode == MODE_LOCKDOWN)
		msg_out("packets dropped by lockdown: %s IPv4, %s IPv6\n", d4, d6);
}

/* A counter or JSON null: unavailable is never reported as 0. */
static json_t *count_json(int64_t n)
{
	return n < 0 ? json_null() : json_integer((json_int_t)n);
}

static json_t *counters_json(const struct engine *e)
{
	const struct backend_counters *c = &e->counters;

	return json_pack("{s:{s:o, s:o}, s:{s:o, s:o}}", "accepted", "ipv4",
			 count_json(c->accepted[0]), "ipv6", count_json(c->accepted[1]),
			 "lockdown_dropped", "ipv4", count_json(c->dropped[0]), "ipv6",
			 count_json(c->dropped[1]));
}

static void print_text(const struct engine *e, const struct verdict *v)
{
	char last[32], ok[32];

	fmt_time(e->have_prev ? e->prev.last_run : 0, last, sizeof(last));
	fmt_time(e->have_prev ? e->prev.last_success : 0, ok, sizeof(ok));
	msg_out("backend %s (%s), mode %s\n", e->be->name, e->st.where,
		backend_mode_name(e->cfg.mode));
	msg_out("installed: %zu IPv4, %zu IPv6 prefixes\n", prefix_set_count(e->st.set, AF_INET),
		prefix_set_count(e->st.set, AF_INET6));
	msg_out("last run: %s (%s), last success: %s\n", last,
		e->have_prev && e->prev.result == 0 ? "ok" : "failed", ok);
	for (size_t i = 0; e->have_prev && i < e->prev.nsources; i++) {
		const struct state_source *s = &e->prev.sources[i];

		char age[32];

		age_format((long long)(e->prev.last_run - s->data_time), age, sizeof(age));
		msg_out("source %s: %s, %zu prefixes, data from %s before the last run\n", s->name,
			s->status, s->count, age);
	}
	print_counters(e);
	fmt_time(e->have_prev ? e->prev.flushed : 0, last, sizeof(last));
	if (!v->why && e->have_prev && e->prev.flushed)
		msg_out("flushed on %s: cdnallow's objects were removed on purpose\n", last);
	else
		msg_out("%s\n",
			v->why ? v->why : "ok: the firewall holds what the last sync applied");
}

static void print_json(const struct engine *e, const struct verdict *v)
{
	char last[32], ok[32];
	json_t *srcs = json_array();
	json_t *root;

	fmt_time(e->have_prev ? e->prev.last_run : 0, last, sizeof(last));
	fmt_time(e->have_prev ? e->prev.last_success : 0, ok, sizeof(ok));
	for (size_t i = 0; srcs && e->have_prev && i < e->prev.nsources; i++) {
		const struct state_source *s = &e->prev.sources[i];

		json_array_append_new(
			srcs, json_pack("{s:s, s:s, s:I, s:I, s:I, s:b}", "name", s->name, "status",
					s->status, "count", (json_int_t)s->count, "data_time",
					(json_int_t)s->data_time, "age_s",
					(json_int_t)(e->prev.last_run - s->data_time), "too_old",
					e->prev.last_run - s->data_time > e->cfg.max_age_s));
	}
	root = json_pack("{s:s, s:s, s:s, s:b, s:b, s:{s:I}, s:{s:I}, s:s, s:s, s:b, s:b, s:s?, "
			 "s:o}",
			 "backend", e->be->name, "mode", backend_mode_name(e->cfg.mode), "where",
			 e->st.where, "present", e->st.present, "complete", e->st.complete, "ipv4",
			 "installed", (json_int_t)prefix_set_count(e->st.set, AF_INET), "ipv6",
			 "installed", (json_int_t)prefix_set_count(e->st.set, AF_INET6), "last_run",
			 last, "last_success", ok, "matches_last_apply", v->matches, "stale",
			 v->stale, "problem", v->why, "sources", srcs);
	if (root)
		json_object_set_new(root, "counters", counters_json(e));
	msg_out_json(root);
	json_decref(root);
}

/* --list: exit 3 when there is no applied set (never synced, or its record is unusable). */
static int list_applied(struct engine *e)
{
	struct prefix_set *applied = prefix_set_new();
	char buf[PREFIX_STRLEN + 1];
	struct diag d;
	int ret;

	if (!applied)
		return EXIT_ERROR;
	diag_init(&d);
	ret = state_load_applied(e->cfg.state_dir, applied, &d);
	if (ret == -ENOENT)
		diag_err(&d, "no applied set in '%s': no sync has succeeded yet", e->cfg.state_dir);
	engine_report(e, &d, NULL);
	for (size_t i = 0; ret == 0 && i < applied->n; i++) {
		prefix_format(&applied->v[i], buf, sizeof(buf));
		msg_out("%s\n", buf);
	}
	prefix_set_free(applied);
	diag_release(&d);
	if (ret == -ENOMEM)
		return EXIT_ERROR;
	return ret < 0 ? EXIT_STALE : EXIT_OK;
}

static bool wants_list(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "--list"))
			return true;
		if (cli_takes_value(argv[i]))
			i++;
	}
	return false;
}

int cmd_status(int argc, char **argv)
{
	struct prefix_set *applied = NULL;
	struct verdict v = { 0 };
	struct cli_opts o;
	struct engine e;
	struct diag d;
	int ret;

	/* --list reads only the state dir; the report needs the firewall, and says so first */
	ret = wants_list(argc, argv) ? cli_start(&e, &o, argc, argv)
				     : cli_start_firewall(&e, &o, argc, argv);
	if (ret != CLI_CONTINUE)
		return ret;
	diag_init(&d);
	if (o.list) {
		ret = list_applied(&e);
		goto out;
	}
	ret = EXIT_ERROR;
	if (engine_open_backend(&e, true) < 0)
		goto out;
	applied = prefix_set_new();
	if (!applied)
		goto out;
	v.have_applied = state_load_applied(e.cfg.state_dir, applied, &d) == 0;
	if (!v.have_applied && d.msg[0])
		diag_warn(&d, "%s", d.msg);
	diag_clear_err(&d);
	engine_report(&e, &d, NULL);
	engine_counters(&e);
	judge(&e, applied, &v);
	if (o.json)
		print_json(&e, &v);
	else if (o.verbosity >= 0)
		print_text(&e, &v);
	ret = v.why ? EXIT_STALE : EXIT_OK;
out:
	prefix_set_free(applied);
	diag_release(&d);
	engine_release(&e);
	return ret;
}
