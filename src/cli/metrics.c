// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * --metrics-file: the Prometheus node-exporter textfile of one sync run, in
 * the text exposition format (HELP/TYPE lines, escaped label values). It reads
 * the engine after the run and must never print, change the engine or write
 * anything but the given path, which it replaces atomically (mode 0644 so the
 * exporter's user can read it; the temp name does not end in .prom, so the
 * collector never picks it up).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "fileio.h"
#include "cli.h"
#include "history.h"
#include "metrics.h"
#include "output.h"
#include "prefix_set.h"
#include "source.h"

static void header_type(FILE *f, const char *name, const char *help, const char *type)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void header(FILE *f, const char *name, const char *help)
{
	header_type(f, name, help, "gauge");
}

/* Label values escape backslash, double quote and newline (exposition format). */
static void put_label(FILE *f, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\')
			fputs("\\\\", f);
		else if (*v == '"')
			fputs("\\\"", f);
		else if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
}

static bool is_refusal(enum source_status s)
{
	return s != SOURCE_FRESH && s != SOURCE_NOT_MODIFIED;
}

static void put_prefixes(FILE *f, const struct engine *e, int result)
{
	size_t n[2];

	/* a failed run kept the previous state: what the backend held before it */
	if (result == 0 && e->want) {
		n[0] = prefix_set_count(e->want, AF_INET);
		n[1] = prefix_set_count(e->want, AF_INET6);
	} else if (e->plan.add) {
		n[0] = e->plan.installed[PLAN_V4];
		n[1] = e->plan.installed[PLAN_V6];
	} else {
		return;
	}
	header(f, "cdnallow_prefixes", "Prefixes in the firewall allowlist after the run.");
	fprintf(f, "cdnallow_prefixes{family=\"ipv4\"} %zu\n", n[0]);
	fprintf(f, "cdnallow_prefixes{family=\"ipv6\"} %zu\n", n[1]);
}

/* Results exist only once the sources were resolved (e->want is made first). */
static void put_sources(FILE *f, const struct engine *e)
{
	size_t refusals = 0;

	if (!e->want || !e->results)
		return;
	header(f, "cdnallow_source_prefixes", "Prefixes each source contributed, by freshness.");
	for (size_t i = 0; i < e->nsrcs; i++) {
		const struct source_result *r = &e->results[i];

		fputs("cdnallow_source_prefixes{source=\"", f);
		put_label(f, e->srcs[i].name);
		fprintf(f, "\",status=\"%s\"} %zu\n", source_status_name(r->status),
			r->set ? r->set->n : 0);
		if (is_refusal(r->status))
			refusals++;
	}
	header(f, "cdnallow_source_age_seconds",
	       "Age of the data each source used: 0 fresh, else since the cached copy was fetched "
	       "or the snapshot published.");
	for (size_t i = 0; i < e->nsrcs; i++) {
		fputs("cdnallow_source_age_seconds{source=\"", f);
		put_label(f, e->srcs[i].name);
		fprintf(f, "\"} %ld\n", e->results[i].age_s);
	}
	header(f, "cdnallow_source_refusals",
	       "Sources whose fresh list was not used (cached, snapshot or refused).");
	fprintf(f, "cdnallow_source_refusals %zu\n", refusals);
}

static void put_changes(FILE *f, const struct engine *e, int result)
{
	bool applied = result == 0 && e->plan.add && e->plan.del;

	header(f, "cdnallow_changes_applied", "Prefixes added and removed by the run.");
	fprintf(f, "cdnallow_changes_applied{op=\"add\"} %zu\n", applied ? e->plan.add->n : 0);
	fprintf(f, "cdnallow_changes_applied{op=\"remove\"} %zu\n", applied ? e->plan.del->n : 0);
}

/* Packets counted by cdnallow's rules; a counter the firewall does not keep is left out. */
static void put_counters(FILE *f, const struct engine *e)
{
	static const char *const fam[2] = { "ipv4", "ipv6" };
	const struct backend_counters *c = &e->counters;

	if (!e->counters_read)
		return;
	if (c->accepted[0] >= 0 || c->accepted[1] >= 0)
		header_type(f, "cdnallow_accepted_packets_total",
			    "Packets from the CDN's ranges counted by cdnallow's accept (in "
			    "lockdown without one: pass) rules since they were installed.",
			    "counter");
	for (int i = 0; i < 2; i++)
		if (c->accepted[i] >= 0)
			fprintf(f, "cdnallow_accepted_packets_total{family=\"%s\"} %lld\n", fam[i],
				(long long)c->accepted[i]);
	if (c->dropped[0] >= 0 || c->dropped[1] >= 0)
		header_type(f, "cdnallow_lockdown_dropped_packets_total",
			    "Packets from outside the CDN's ranges dropped by lockdown on the "
			    "web ports.",
			    "counter");
	for (int i = 0; i < 2; i++)
		if (c->dropped[i] >= 0)
			fprintf(f, "cdnallow_lockdown_dropped_packets_total{family=\"%s\"} %lld\n",
				fam[i], (long long)c->dropped[i]);
}

/* Per [output:NAME]: whether it is in place, and when its file last changed. */
static void put_outputs(FILE *f, const struct engine *e)
{
	if (!e->outputs)
		return;
	header(f, "cdnallow_output_write_ok",
	       "1 when the output file holds the synced list (written or unchanged), else 0.");
	for (size_t i = 0; i < e->cfg.noutputs; i++) {
		fputs("cdnallow_output_write_ok{output=\"", f);
		put_label(f, e->cfg.outputs[i].name);
		fprintf(f, "\"} %d\n", !output_status_failed(e->outputs[i].status));
	}
	header(f, "cdnallow_output_last_write_timestamp_seconds",
	       "Modification time of the output file (0: no file).");
	for (size_t i = 0; i < e->cfg.noutputs; i++) {
		fputs("cdnallow_output_last_write_timestamp_seconds{output=\"", f);
		put_label(f, e->cfg.outputs[i].name);
		fprintf(f, "\"} %lld\n", (long long)e->outputs[i].mtime);
	}
}

/* The running totals of sources.rec (engine_changes): a counter across runs, not this run's. */
static void put_ranges_changed(FILE *f, const struct engine *e)
{
	if (!e->records || e->records->n == 0)
		return;
	header_type(f, "cdnallow_ranges_changed_total",
		    "Prefixes added to or removed from each source's list, over all syncs.",
		    "counter");
	for (size_t i = 0; i < e->records->n; i++) {
		fputs("cdnallow_ranges_changed_total{source=\"", f);
		put_label(f, e->records->v[i].name);
		fprintf(f, "\"} %llu\n", e->records->v[i].changed_total);
	}
}

int metrics_render(const struct engine *e, int result, double duration_s, time_t now, char **buf,
		   size_t *len)
{
	time_t success = result == 0 ? now : (e->have_prev ? e->prev.last_success : 0);
	char *out = NULL;
	size_t n = 0;
	FILE *f;

	*buf = NULL;
	*len = 0;
	f = open_memstream(&out, &n);
	if (!f)
		return -errno;
	header(f, "cdnallow_last_run_timestamp_seconds", "Unix time the last sync ended.");
	fprintf(f, "cdnallow_last_run_timestamp_seconds %lld\n", (long long)now);
	header(f, "cdnallow_last_success_timestamp_seconds",
	       "Unix time of the last successful sync (0: never).");
	fprintf(f, "cdnallow_last_success_timestamp_seconds %lld\n", (long long)success);
	header(f, "cdnallow_sync_success", "1 when the last sync succeeded, else 0.");
	fprintf(f, "cdnallow_sync_success %d\n", result == 0);
	header(f, "cdnallow_sync_duration_seconds", "Wall time of the last sync.");
	fprintf(f, "cdnallow_sync_duration_seconds %.3f\n", duration_s);
	if (e->be) {
		header(f, "cdnallow_backend_info", "Backend and mode of the last sync.");
		fprintf(f, "cdnallow_backend_info{backend=\"%s\",mode=\"%s\"} 1\n", e->be->name,
			backend_mode_name(e->cfg.mode));
	}
	put_prefixes(f, e, result);
	put_sources(f, e);
	put_changes(f, e, result);
	put_outputs(f, e);
	put_ranges_changed(f, e);
	put_counters(f, e);
	if (ferror(f)) {
		fclose(f);
		free(out);
		return -ENOMEM;
	}
	if (fclose(f) != 0) {
		free(out);
		return -ENOMEM;
	}
	*buf = out;
	*len = n;
	return 0;
}

int metrics_write(const char *path, const struct engine *e, int result, double duration_s)
{
	char *buf = NULL;
	size_t len = 0;
	int ret;

	ret = metrics_render(e, result, duration_s, time(NULL), &buf, &len);
	if (ret == 0)
		ret = file_write_atomic(path, buf, len, 0644);
	free(buf);
	return ret;
}
