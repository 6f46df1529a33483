// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Change events after a successful sync (include/cdnallow/engine.h,
 * engine_changes): what each source added and removed since the last sync
 * (against sources.rec), the firewall's own difference (the plan) and the
 * outputs rewritten, as one document appended to history.jsonl and fed to
 * [hooks] on_change. The firewall is already applied when this runs, so
 * nothing here may fail the sync: every problem becomes a warning. A no-op
 * sync records nothing and runs nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "change.h"
#include "command.h"
#include "diag.h"
#include "engine.h"
#include "history.h"
#include "output.h"
#include "prefix_set.h"

struct events {
	struct engine *e;
	struct source_records *base; /* sources.rec before this run: e->base */
	bool have_base;
	struct source_records *now; /* what sources.rec becomes: e->records */
	struct change c;
	struct diag d;
};

void engine_load_base(struct engine *e)
{
	struct diag d;

	if (e->base || !e->results || !e->cfg.state_dir)
		return;
	e->base = calloc(1, sizeof(*e->base));
	if (!e->base)
		return;
	diag_init(&d);
	/* the installed set, when the backend read it from applied.rec: no second read */
	e->base_ret = history_load_sources_known(e->cfg.state_dir, &e->st.set, e->st.applied_sum,
						 e->base, &d);
	if (d.msg[0])
		e->base_err = strdup(d.msg);
	diag_release(&d);
}

static void load_base(struct events *ev)
{
	struct engine *e = ev->e;
	int ret;

	engine_load_base(e);
	ret = e->base ? e->base_ret : -ENOMEM;
	ev->base = e->base;
	ev->have_base = ret == 0;
	if (ret == 0 || ret == -ENOENT)
		return;
	/* like a first run: no per-source difference this time, the totals start again */
	diag_warn(&ev->d, "%s; per-source changes start again from this sync",
		  e->base_err ? e->base_err : strerror(-ret));
}

/*
 * One source's difference with its record. Without any record (first run,
 * or an upgrade) a source's whole list counts as added only when the
 * firewall changed too: an upgrade must not announce every prefix as new.
 */
static int diff_source(struct events *ev, const char *name, const struct prefix_set *cur,
		       unsigned long long *total)
{
	const struct source_record *prev = history_find_source(ev->base, name);
	struct change_delta *dl = NULL;
	size_t unchanged[2];
	int ret;

	*total = prev ? prev->changed_total : 0;
	if (!ev->have_base && !ev->c.fw_changed)
		return 0;
	ret = change_add_source(&ev->c, name, &dl);
	if (ret == 0 && prev)
		ret = prefix_set_diff(cur, prev->set, dl->add, dl->del, unchanged);
	else if (ret == 0)
		ret = prefix_set_copy(dl->add, cur);
	if (ret)
		return ret;
	*total += dl->add->n + dl->del->n;
	if (dl->add->n == 0 && dl->del->n == 0)
		change_drop_last_source(&ev->c);
	return 0;
}

/* A source that is no longer configured removed all it had. */
static int gone_sources(struct events *ev)
{
	const struct engine *e = ev->e;
	struct change_delta *dl;
	int ret = 0;

	for (size_t i = 0; i < ev->base->n && ret == 0; i++) {
		const struct source_record *prev = &ev->base->v[i];
		bool kept = false;

		for (size_t k = 0; k < e->nsrcs && !kept; k++)
			kept = !strcmp(e->srcs[k].name, prev->name);
		if (kept || prev->set->n == 0)
			continue;
		ret = change_add_source(&ev->c, prev->name, &dl);
		if (ret == 0)
			ret = prefix_set_copy(dl->del, prev->set);
	}
	return ret;
}

/* An output counts as changed when its new file stays in place (a failed test restored the old). */
static int changed_outputs(struct events *ev)
{
	const struct engine *e = ev->e;
	int ret = 0;

	for (size_t i = 0; e->outputs && i < e->cfg.noutputs && ret == 0; i++) {
		enum output_status s = e->outputs[i].status;

		if (s == OUTPUT_WRITTEN || s == OUTPUT_RELOAD_FAILED)
			ret = change_add_output(&ev->c, e->cfg.outputs[i].name);
	}
	return ret;
}

static int build(struct events *ev, bool fw_changed)
{
	struct engine *e = ev->e;
	int ret = change_init(&ev->c);

	ev->c.time = time(NULL);
	snprintf(ev->c.backend, sizeof(ev->c.backend), "%s", e->be ? e->be->name : "none");
	snprintf(ev->c.mode, sizeof(ev->c.mode), "%s",
		 e->cfg.mode == MODE_LOCKDOWN ? "lockdown" : "allow");
	ev->c.fw_changed = fw_changed;
	if (ret == 0 && fw_changed && e->plan.add)
		ret = prefix_set_copy(ev->c.fw.add, e->plan.add);
	if (ret == 0 && fw_changed && e->plan.del)
		ret = prefix_set_copy(ev->c.fw.del, e->plan.del);
	if (ret == 0)
		ret = changed_outputs(ev);
	for (size_t i = 0; ret == 0 && i < e->nsrcs; i++) {
		const struct prefix_set *cur = e->results[i].set;
		unsigned long long total = 0;

		ret = diff_source(ev, e->srcs[i].name, cur, &total);
		/* the engine keeps its results until after the records: no copy of the lists */
		if (ret == 0 && cur)
			ret = history_borrow_source(ev->now, e->srcs[i].name, cur, total);
		else if (ret == 0)
			ret = history_add_source(ev->now, e->srcs[i].name, NULL, total);
	}
	if (ret == 0 && ev->have_base)
		ret = gone_sources(ev);
	return ret;
}

/* sources.rec changes only with the lists (or its first write): a no-op sync writes nothing. */
static bool records_changed(const struct events *ev)
{
	if (!ev->have_base || ev->base->legacy || ev->base->n != ev->now->n)
		return true;
	for (size_t i = 0; i < ev->now->n; i++) {
		const struct source_record *a = &ev->now->v[i], *b = &ev->base->v[i];

		if (strcmp(a->name, b->name) || a->changed_total != b->changed_total ||
		    !prefix_set_equal(a->set, b->set))
			return true;
	}
	return false;
}

static void run_hook(struct events *ev, const char *doc)
{
	const struct config *cfg = &ev->e->cfg;
	struct command_opts o = { .what = "on_change hook", .timeout_s = cfg->hook_timeout_s };
	char *in = NULL;
	struct diag d;

	diag_init(&d);
	if (asprintf(&in, "%s\n", doc) < 0) {
		diag_warn(&ev->d, "on_change hook not run: out of memory");
		return;
	}
	o.in = in;
	o.in_len = strlen(in);
	/* its outcome is reported, never acted on: the firewall is already applied */
	if (command_run(cfg->hook_on_change, &o, NULL, &d) < 0)
		diag_warn(&ev->d, "%s", d.msg);
	free(in);
	diag_release(&d);
}

static void record(struct events *ev)
{
	const struct config *cfg = &ev->e->cfg;
	char *doc = NULL;
	int ret;

	if (!change_is_empty(&ev->c)) {
		ret = change_render(&ev->c, &doc);
		if (ret == 0 &&
		    history_append(cfg->state_dir, doc, HISTORY_ROTATE_SIZE, &ev->d) < 0)
			diag_warn(&ev->d, "change history: %s", ev->d.msg);
		else if (ret)
			diag_warn(&ev->d, "change event: %s", strerror(-ret));
		diag_clear_err(&ev->d);
	}
	if (records_changed(ev) &&
	    history_save_sources(cfg->state_dir, ev->now, ev->e->applied_known ? ev->e->want : NULL,
				 ev->e->applied_sum, &ev->d) < 0) {
		diag_warn(&ev->d, "%s", ev->d.msg);
		diag_clear_err(&ev->d);
	}
	if (doc && cfg->hook_on_change)
		run_hook(ev, doc);
	free(doc);
}

void engine_load_changes(struct engine *e)
{
	struct diag d;

	if (e->records || !e->cfg.state_dir)
		return;
	e->records = calloc(1, sizeof(*e->records));
	if (!e->records)
		return;
	/* missing or unreadable: no counter this time, the next successful sync says why */
	diag_init(&d);
	history_load_sources(e->cfg.state_dir, e->records, &d);
	diag_release(&d);
}

void engine_changes(struct engine *e, bool fw_changed)
{
	struct events ev = { .e = e };
	int ret;

	diag_init(&ev.d);
	if (!e->results || e->records)
		return;
	e->records = calloc(1, sizeof(*e->records));
	ev.now = e->records;
	ret = ev.now ? 0 : -ENOMEM;
	if (ret == 0) {
		load_base(&ev);
		ret = build(&ev, fw_changed);
	}
	if (ret == 0)
		record(&ev);
	else
		diag_warn(&ev.d, "change event not recorded: %s", strerror(-ret));
	change_release(&ev.c);
	/* the base is only this sync's: its lists need not outlive the events */
	history_sources_release(e->base);
	engine_report(e, &ev.d, NULL);
}
