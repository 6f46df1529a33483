// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cdnallow doctor: runs every check of src/doctor/ against the ranges the CDN
 * uses (the last applied set, else the sources resolved offline) and prints
 * one finding per cause with its fix. Exit 0 healthy, 2 problems found (a
 * finding of severity error), 1 when a check could not run. Changes nothing
 * and never touches the network (except --domain: DNS and this host's 443).
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "diag.h"
#include "doctor.h"
#include "msg.h"
#include "prefix_set.h"

#define STALE_AFTER_S (24 * 3600)

static const char *const sev_name[] = { "error", "warning", "info" };

/* The backend's own audit (rules that defeat or shadow the allowlist) as warnings. */
static void audit_findings(struct engine *e, struct findings *f)
{
	struct diag d;

	/* the rule evaluators already named the drop more precisely: one finding per cause */
	for (size_t i = 0; i < f->n; i++) {
		if (!strcmp(f->v[i].check, "firewall"))
			return;
	}
	if (!e->be->audit)
		return;
	diag_init(&d);
	e->be->audit(e->bh, &d);
	for (size_t i = 0; i < d.nwarnings; i++)
		findings_add(f, "audit", SEV_WARNING, "see the message; cdnallow plan shows it too",
			     "%s", d.warnings[i]);
	diag_release(&d);
}

static void check_freshness(struct engine *e, struct findings *f)
{
	struct prefix_set *applied = prefix_set_new();
	time_t now = time(NULL);
	struct diag d;

	diag_init(&d);
	if (!applied)
		goto out;
	if (!e->have_prev || !e->prev.last_success) {
		findings_add(
			f, "freshness", SEV_WARNING,
			"run cdnallow sync and enable cdnallow.timer and cdnallow-boot.service",
			"cdnallow has no successful sync recorded in %s", e->cfg.state_dir);
		goto out;
	}
	if (now - e->prev.last_success > STALE_AFTER_S)
		findings_add(f, "freshness", SEV_WARNING,
			     "check the timer (systemctl status cdnallow.timer) and the journal",
			     "the last successful sync was %ld hours ago",
			     (long)(now - e->prev.last_success) / 3600);
	for (size_t i = 0; i < e->prev.nsources; i++) {
		const struct state_source *s = &e->prev.sources[i];

		/* the age policy (§5): such data keeps what is installed and adds nothing */
		if (e->prev.last_run - s->data_time > e->cfg.max_age_s)
			findings_add(
				f, "freshness", SEV_WARNING,
				"let cdnallow reach the provider (network, proxy, URL) and sync; "
				"until then new ranges of this provider are not admitted",
				"source '%s' used data %ld days old in the last sync, older than "
				"max_age (%ld days)",
				s->name, (long)(e->prev.last_run - s->data_time) / 86400,
				e->cfg.max_age_s / 86400);
		else if (!strcmp(s->status, "snapshot"))
			findings_add(
				f, "freshness", SEV_WARNING,
				"let cdnallow reach the provider (network, proxy, URL) and sync",
				"source '%s' runs on the built-in snapshot, data from %ld days ago",
				e->prev.sources[i].name,
				(long)(now - e->prev.sources[i].data_time) / 86400);
	}
	if (state_load_applied(e->cfg.state_dir, applied, &d) < 0 ||
	    engine_open_backend(e, true) < 0)
		goto out;
	audit_findings(e, f);
	if (!e->st.present || !e->st.complete || !prefix_set_equal(e->st.set, applied))
		findings_add(f, "freshness", SEV_ERROR,
			     "run cdnallow sync --offline now; enable cdnallow-boot.service so a "
			     "reboot or firewall reload restores it",
			     "the firewall (%s) no longer holds what the last sync applied (%zu "
			     "prefixes applied, %zu there now)",
			     e->be->name, applied->n, e->st.set ? e->st.set->n : 0);
out:
	prefix_set_free(applied);
	diag_release(&d);
}

/* The ranges that must get through: what was applied, else the sources offline. */
static int cdn_ranges(struct engine *e, struct prefix_set **out)
{
	struct diag d;

	diag_init(&d);
	*out = prefix_set_new();
	if (!*out)
		return -1;
	if (state_load_applied(e->cfg.state_dir, *out, &d) == 0 && (*out)->n) {
		diag_release(&d);
		return 0;
	}
	diag_release(&d);
	prefix_set_free(*out);
	*out = NULL;
	e->opts->offline = true;
	if (engine_resolve(e) < 0)
		return -1;
	*out = engine_take_want(e);
	return *out ? 0 : -1;
}

/* The first line states the verdict the exit code gives: healthy or unhealthy. */
static void print_text(const struct findings *f, bool incomplete)
{
	size_t errors = findings_count(f, SEV_ERROR), warnings = findings_count(f, SEV_WARNING);

	if (errors)
		msg_out("unhealthy: %zu error(s), %zu warning(s)\n", errors, warnings);
	else if (incomplete)
		msg_out("unknown: a check could not run (see above), %zu warning(s)\n", warnings);
	else if (warnings)
		msg_out("healthy: no error, %zu warning(s) worth a look\n", warnings);
	else
		msg_out("healthy: no problem found\n");
	for (size_t i = 0; i < f->n; i++)
		msg_out("%-7s [%s] %s\n        fix: %s\n", sev_name[f->v[i].severity],
			f->v[i].check, f->v[i].message, f->v[i].fix);
}

static void print_json(const struct findings *f)
{
	json_t *a = json_array(), *root;

	for (size_t i = 0; a && i < f->n; i++)
		json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:s}", "check", f->v[i].check,
						   "severity", sev_name[f->v[i].severity],
						   "message", f->v[i].message, "fix", f->v[i].fix));
	root = json_pack("{s:b, s:o}", "healthy", findings_count(f, SEV_ERROR) == 0, "findings", a);
	msg_out_json(root);
	json_decref(root);
}

int cmd_doctor(int argc, char **argv)
{
	struct findings f = { 0 };
	struct prefix_set *cdn = NULL;
	struct doctor_ctx c = { .proc = "/proc" };
	struct cli_opts o;
	struct engine e;
	struct diag d;
	bool incomplete = false;
	int ret;

	ret = cli_start_firewall(&e, &o, argc, argv);
	if (ret != CLI_CONTINUE)
		return ret;
	diag_init(&d);
	ret = EXIT_ERROR;
	if (o.domain && !doctor_domain_valid(o.domain)) {
		diag_err(&d, "--domain '%s': not a host name (letters, digits, '-' and '.' only)",
			 o.domain);
		engine_report(&e, &d, "doctor");
		goto out;
	}
	/* judge what is installed: its mode and ports, unless the options name others */
	if (engine_use_installed(&e, &d) < 0) {
		engine_report(&e, &d, NULL);
		goto out;
	}
	if (cdn_ranges(&e, &cdn) < 0)
		goto out;
	c.ports = e.cfg.ports;
	c.nports = e.cfg.nports;
	c.cdn = cdn;
	c.lockdown = e.cfg.mode == MODE_LOCKDOWN;
	c.sets = e.cfg.mode == MODE_SETS;
	if (doctor_check_listen(&c, &f, &d) < 0) {
		engine_report(&e, &d, "doctor: listen");
		incomplete = true;
	}
	if (doctor_check_firewall(&c, &f, &d) < 0) {
		engine_report(&e, &d, "doctor: firewall");
		incomplete = true;
	}
	doctor_check_sets(&c, &f, &d);
	doctor_check_docker(&c, &f, &d);
	check_freshness(&e, &f);
	if (o.domain && doctor_check_domain(&c, o.domain, &f, &d) < 0) {
		engine_report(&e, &d, "doctor: domain");
		incomplete = true;
	}
	engine_report(&e, &d, NULL);
	if (o.json)
		print_json(&f);
	else
		print_text(&f, incomplete);
	ret = findings_count(&f, SEV_ERROR) ? EXIT_DRIFT : incomplete ? EXIT_ERROR : EXIT_OK;
out:
	findings_release(&f);
	prefix_set_free(cdn);
	diag_release(&d);
	engine_release(&e);
	return ret;
}
