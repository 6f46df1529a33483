// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cdnallow sync: fetch, check and apply the difference in one transaction.
 * Then the [output:NAME] files. Exit 0 whether or not something changed, 1 on
 * any error (a firewall error keeps its previous state; an output error keeps
 * the firewall as applied and that output's previous file). -n makes it a plan.
 */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "cli.h"
#include "metrics.h"
#include "msg.h"
#include "output.h"
#include "prefix_set.h"

/* A metrics file that cannot be written is reported but does not fail the sync. */
static void write_metrics(const struct engine *e, const char *path, int res,
			  const struct timespec *t0, const struct timespec *t1)
{
	double s = (double)(t1->tv_sec - t0->tv_sec) + (double)(t1->tv_nsec - t0->tv_nsec) / 1e9;
	int ret = metrics_write(path, e, res, s);

	if (ret < 0)
		msg(MSG_WARN, "cannot write metrics file '%s': %s", path, strerror(-ret));
}

/* "; outputs: 1 written, 1 unchanged, 0 failed" for the journal line; "" without outputs. */
static void outputs_summary(const struct engine *e, char *buf, size_t size)
{
	size_t n[3] = { 0, 0, 0 }; /* written, unchanged, failed */

	buf[0] = '\0';
	if (!e->outputs)
		return;
	for (size_t i = 0; i < e->cfg.noutputs; i++) {
		enum output_status st = e->outputs[i].status;

		n[st == OUTPUT_WRITTEN ? 0 : st == OUTPUT_UNCHANGED ? 1 : 2]++;
	}
	snprintf(buf, size, "; outputs: %zu written, %zu unchanged, %zu failed", n[0], n[1], n[2]);
}

/* A 1M-prefix change takes seconds to record: a terminal is told, then the line goes. */
static void record_changes(struct engine *e, bool changed)
{
	size_t n = e->plan.add ? e->plan.add->n + e->plan.del->n : 0;

	if (changed && cli_progress_worth(n))
		msg_progress("recording %zu changes in the history…", n);
	engine_changes(e, changed);
	msg_progress(NULL);
}

int cmd_sync(int argc, char **argv)
{
	struct cli_opts o;
	struct engine e;
	struct timespec t0, t1;
	bool changed = false, wrote = false;
	int ret = EXIT_ERROR;
	int res, outputs = 0;
	char summary[96];

	ret = cli_parse(argc, argv, &o);
	if (ret != CLI_CONTINUE)
		return ret;
	if (o.dry_run)
		return cmd_plan(argc, argv);
	ret = EXIT_ERROR;
	if (cli_need_net_admin() < 0)
		return ret;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	res = engine_init(&e, &o.eng, &cli_hooks);
	if (res == 0)
		res = engine_sync(&e, true, &changed);
	/* only after a sync that succeeded: an output never gets a list the firewall refused */
	if (res == 0)
		outputs = engine_outputs(&e, true, &wrote);
	/* history and on_change: only for a sync that applied (a failed one changed nothing) */
	if (res == 0)
		record_changes(&e, changed);
	else
		engine_load_changes(&e);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (o.metrics_file && res == 0)
		engine_counters(&e);
	if (o.metrics_file)
		write_metrics(&e, o.metrics_file, res, &t0, &t1);
	if (res < 0) {
		if (o.json && e.be && e.plan.add)
			render_plan_json(&e, false);
		goto out;
	}
	if (o.json)
		render_plan_json(&e, changed);
	else if (o.verbosity >= 0)
		render_plan_text(&e, true, o.verbosity > 0);
	/* one line per run for the journal (docs/architecture.md §4a: monitoring reads it) */
	outputs_summary(&e, summary, sizeof(summary));
	msg(MSG_INFO, "sync %s: %s holds %zu IPv4 + %zu IPv6 prefixes (+%zu -%zu)%s",
	    changed ? "applied" : "unchanged", e.be->name, prefix_set_count(e.want, AF_INET),
	    prefix_set_count(e.want, AF_INET6), e.plan.add->n, e.plan.del->n, summary);
	/* a failed output leaves the firewall as applied, but the run must say it failed */
	ret = outputs < 0 ? EXIT_ERROR : EXIT_OK;
out:
	engine_release(&e);
	return ret;
}
