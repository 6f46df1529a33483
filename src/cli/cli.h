/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the commands share: parsed global options, the command table entry
 * points and the engine that runs the pipeline of docs/architecture.md §1.
 */
#ifndef CDNALLOW_CLI_H
#define CDNALLOW_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "backend.h"
#include "config.h"
#include "plan.h"
#include "resolve.h"
#include "state.h"

/* Exit codes of docs/architecture.md §3. */
enum {
	EXIT_OK = 0,
	EXIT_ERROR = 1,
	EXIT_DRIFT = 2, /* plan: drift; doctor: problems found */
	EXIT_STALE = 3, /* status: stale, missing or differs from the last apply */
};

#define CLI_CONTINUE (-1)

#define CLI_MAX_SOURCES 32

struct cli_opts {
	const char *config_path;
	bool config_explicit;
	const char *providers;
	const char *sources[CLI_MAX_SOURCES];
	size_t nsources;
	const char *backend;
	const char *ports;
	const char *mode;
	const char *state_dir;
	const char *metrics_file;
	const char *domain;
	bool dry_run, offline, json, force;
	int verbosity;
};

/* Parses the global options of docs/architecture.md §3: CLI_CONTINUE, or the exit code to stop with (help,
 * version, usage error). */
int cli_parse(int argc, char **argv, struct cli_opts *o);
void cli_usage(FILE *f);

struct engine {
	struct cli_opts *opts;
	struct config cfg;
	struct source *srcs;
	size_t nsrcs;
	struct source_result *results;
	struct prefix_set *want;      /* union of usable sources, aggregated */
	const struct backend_ops *be; /* chosen backend */
	void *bh;
	struct backend_cfg bcfg;
	struct backend_state st;
	struct plan plan;
	struct state prev; /* state.json before this run */
	bool have_prev;
	int lock_fd;
	char tag[128];	 /* source names, for per-rule comments */
	char **warnings; /* collected for --json */
	size_t nwarnings;
};

/*
 * Parses the options and runs engine_init(): CLI_CONTINUE, or the exit code to
 * return (help, usage error, bad configuration). e is always safe to release.
 */
int engine_start(struct engine *e, struct cli_opts *o, int argc, char **argv);
/* Loads config, applies CLI overrides, builds the source list. */
int engine_init(struct engine *e, struct cli_opts *o);
void engine_release(struct engine *e);
/* Takes the state-dir lock (creating the dir). */
int engine_lock(struct engine *e);
/* Fetch + guard + fallback; fills e->results and e->want. Fails when a source has nothing usable.
 */
int engine_resolve(struct engine *e);
/*
 * Picks and opens the backend, reads what is installed. reuse_last: with
 * backend auto, go where the last run installed (status, flush).
 */
int engine_open_backend(struct engine *e, bool reuse_last);
/* Reports (as warnings) what defeats the allowlist in the chosen backend. */
void engine_audit(struct engine *e);
/* Builds e->plan from e->want and what the backend holds. */
int engine_plan(struct engine *e);
/* Opens nftables for the own lockdown table only; -ENOENT with *nft NULL when not built. */
int engine_open_lockdown(const struct engine *e, const struct backend_ops **nft, void **h,
			 struct diag *d);
/* Applies e->plan (and the lockdown table when another backend allows). */
int engine_apply(struct engine *e);
/*
 * lock → resolve → backend → plan, then (apply) engine_apply and the state.
 * *changed: the kernel changed (apply) or there is drift (!apply).
 */
int engine_sync(struct engine *e, bool apply, bool *changed);
/* Records the run in state.json (and applied.txt on success). */
int engine_save_state(struct engine *e, int result);
/* Reports d (warnings + error) and keeps the warnings for --json. */
void engine_report(struct engine *e, struct diag *d, const char *what);

/* Rendering on stdout. */
void render_plan_text(const struct engine *e, bool applied);
int render_plan_json(const struct engine *e, bool changed);
int render_ranges_json(const struct engine *e);
void render_ranges_text(const struct engine *e);

int cmd_sync(int argc, char **argv);
int cmd_plan(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_fetch(int argc, char **argv);
int cmd_flush(int argc, char **argv);
int cmd_doctor(int argc, char **argv);
int cmd_providers(int argc, char **argv);

#endif
