/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The pipeline of docs/architecture.md §1 shared by sync, plan, status, fetch,
 * flush and doctor: config + options → sources → guard → desired set → plan →
 * backend → state. Library code: it decides nothing about output or exit
 * codes and never prints; what it has to say goes through struct diag to the
 * caller's hooks. It never applies anything when a source has no usable list.
 */
#ifndef CDNALLOW_ENGINE_H
#define CDNALLOW_ENGINE_H

#include <stdbool.h>
#include <stddef.h>

#include "backend.h"
#include "config.h"
#include "output.h"
#include "plan.h"
#include "resolve.h"
#include "state.h"

#define ENGINE_MAX_SOURCES 32

struct source_records;

/* What the command line may override; NULL/false: the configuration decides. */
struct engine_opts {
	const char *config_path;
	bool config_explicit; /* a missing file is an error, not "use the defaults" */
	const char *providers;
	const char *sources[ENGINE_MAX_SOURCES];
	size_t nsources;
	const char *backend;
	const char *ports;
	const char *mode;
	const char *state_dir;
	bool offline, force;
};

/* How the engine's words reach the user; every hook may be NULL (silence). */
struct engine_hooks {
	/* Warnings and error of one step; what names the step or is NULL. */
	void (*report)(const struct diag *d, const char *what);
	/* Details only a verbose run shows. */
	void (*debug)(const char *text);
	/* nchanges about to be applied to backend; (0, NULL) when the apply is over. */
	void (*progress)(size_t nchanges, const char *backend);
	/* A long apply's progress, in firewall calls; passed to the backend (backend_cfg). */
	void (*step)(const char *backend, size_t done, size_t total);
};

struct engine {
	struct engine_opts *opts;
	const struct engine_hooks *hooks;
	struct config cfg;
	struct source *srcs;
	size_t nsrcs;
	struct source_result *results;
	struct prefix_set *want; /* union of usable sources, aggregated */
	bool want_shared; /* want is results[0].set (one source, no copy): never freed through want
			   */
	const struct backend_ops *be; /* chosen backend */
	void *bh;
	struct backend_cfg bcfg;
	struct backend_state st;
	struct plan plan;
	struct state prev; /* state.json before this run */
	bool have_prev;
	int lock_fd;
	bool removing; /* flush: the backend opens even when its configured target is gone */
	bool flushed;  /* flush removed everything on purpose: recorded in state.json */
	/* installed.c: mode/ports installed differ from configured, "mode: lockdown → allow" */
	char change[160];
	bool companion_stale;	/* allow mode, yet the lockdown table is there */
	bool companion_missing; /* lockdown mode, the lockdown table missing or incomplete */
	char tag[128];		/* source names, for per-rule comments */
	char **warnings;	/* collected for --json */
	size_t nwarnings;
	/* [output:*] after engine_outputs(), one per e->cfg.outputs; NULL before */
	struct output_result *outputs;
	/* sources.json after engine_changes(): per-source lists and change totals; NULL before */
	struct source_records *records;
	/*
	 * sources.rec as it was before this sync replaced applied.rec (its
	 * references name the old set), for engine_changes(); base_ret the
	 * load's result, base_err its message. NULL: not read.
	 */
	struct source_records *base;
	int base_ret;
	char *base_err;
	/* applied.rec's checksum (state_applied_sum) once engine_save_state wrote or kept it */
	uint64_t applied_sum;
	bool applied_known;
	/* applied.rec's image of want, packed once before the apply; released once written */
	struct state_applied_image want_img;
	/* The backend holding the lockdown table when another one allows; NULL:
	 * nftables from the registry. The unit tests put a fake here. */
	const struct backend_ops *lockdown_be;
	/* engine_counters(): packets counted by cdnallow's rules; -1 where unavailable */
	struct backend_counters counters;
	bool counters_read; /* engine_counters() ran: counters holds its result */
};

/* Loads config, applies the overrides in o, builds the source list. e is always safe to release. */
int engine_init(struct engine *e, struct engine_opts *o, const struct engine_hooks *hooks);
void engine_release(struct engine *e);
/* Takes the state-dir lock (creating the dir). */
int engine_lock(struct engine *e);
/* e->want for the caller to keep and free (a copy when it is a source's list); NULL on -ENOMEM. */
struct prefix_set *engine_take_want(struct engine *e);
/* Fetch + guard + fallback; fills e->results and e->want. Fails when a source has nothing usable.
 */
int engine_resolve(struct engine *e);
/*
 * Picks and opens the backend, reads what is installed. reuse_last: with
 * backend auto, go where the last run installed (status, flush).
 */
int engine_open_backend(struct engine *e, bool reuse_last);
/*
 * The age policy (docs/architecture.md §5): a cached copy or snapshot older
 * than [guard] max_age keeps only what the backend holds; nothing of it
 * installed → -EPERM unless --force. Rebuilds e->want. src/engine/age.c.
 */
int engine_age_policy(struct engine *e);
/* Reports (as warnings) what defeats the allowlist in the chosen backend. */
void engine_audit(struct engine *e);
/* Builds e->plan from e->want and what the backend holds. */
int engine_plan(struct engine *e);
/* Applies e->plan (and the lockdown table when another backend allows). */
int engine_apply(struct engine *e);
/*
 * lock → resolve → backend → plan, then (apply) engine_apply and the state.
 * *changed: the kernel changed (apply) or there is drift (!apply).
 */
int engine_sync(struct engine *e, bool apply, bool *changed);
/* Removes cdnallow's objects from the open backend and the lockdown table; error in d. */
int engine_flush(struct engine *e, struct diag *d);
/* Records the run in state.json (and applied.rec on success). */
int engine_save_state(struct engine *e, int result);
/*
 * Compares the installed mode and ports (the lockdown table next to another
 * backend, state.json) with the configuration: fills e->change and the
 * companion flags; a port change makes the plan a repair. nft: the lockdown
 * table's backend, NULL when not built.
 */
int engine_check_installed(struct engine *e, const struct backend_ops *nft);
/*
 * After a successful engine_sync(): brings every [output:NAME] file to e->want
 * (apply) or only compares (plan), filling e->outputs. *changed: an output was
 * written (apply) or would change (plan). -EIO when an output failed; each
 * failure went to the report hook naming its output. src/engine/outputs.c.
 */
int engine_outputs(struct engine *e, bool apply, bool *changed);
/*
 * After a successful sync (and engine_outputs()): compares each source's list
 * with sources.json and, when the firewall (fw_changed), an output (written,
 * per e->outputs) or a source's list changed, appends the change document to
 * history.jsonl and runs [hooks] on_change with it on stdin. Fills
 * e->records. Never fails the sync: every problem is a warning.
 * src/engine/events.c.
 */
void engine_changes(struct engine *e, bool fw_changed);
/*
 * Reads sources.rec into e->base (once; engine_save_state calls it before it
 * replaces applied.rec, else engine_changes); may take e->st.set over (NULL
 * after), which must no longer be needed.
 */
void engine_load_base(struct engine *e);
/* A failed sync: e->records from sources.json as it is, so the counters stay in the metrics. */
void engine_load_changes(struct engine *e);
/* No prefix, object, mode or port to change. */
bool engine_in_sync(const struct engine *e);
/*
 * Fills e->counters from the open backend's rules and, next to another backend in
 * lockdown, the lockdown table's (drops summed; its CDN count when the backend has none).
 * Read-only; a counter that cannot be read stays -1 with a warning through the report hook.
 */
void engine_counters(struct engine *e);
/* status, doctor, flush: the installed mode and ports unless the options say otherwise. */
int engine_use_installed(struct engine *e, struct diag *d);
/* "80,443,8443": ports sorted, for state.json and the plan. */
void engine_format_ports(const uint16_t *ports, size_t n, char *buf, size_t size);
/* Hands d (warnings + error) to the report hook, keeps the warnings for --json, empties d. */
void engine_report(struct engine *e, struct diag *d, const char *what);

#endif
