/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the commands share: parsed global options, the command table entry
 * points and how they start the engine (include/cdnallow/engine.h).
 */
#ifndef CDNALLOW_CLI_H
#define CDNALLOW_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "engine.h"

/* Exit codes of docs/architecture.md §3. */
enum {
	EXIT_OK = 0,
	EXIT_ERROR = 1,
	EXIT_DRIFT = 2, /* plan: drift; doctor: problems found */
	EXIT_STALE = 3, /* status: stale, missing or differs from the last apply */
};

#define CLI_CONTINUE (-1)

struct cli_opts {
	struct engine_opts eng; /* what the engine reads */
	const char *metrics_file;
	const char *domain;
	const char *format, *header; /* export */
	bool dry_run, json;
	bool list; /* status: print the applied set */
	int verbosity;
};

/* Parses the global options of docs/architecture.md §3: CLI_CONTINUE, or the exit code to stop with
 * (help, version, usage error). */
int cli_parse(int argc, char **argv, struct cli_opts *o);
void cli_usage(FILE *f);
/* True when arg is an option whose value is the next argument ("-c", "--config"). */
bool cli_takes_value(const char *arg);

struct cli_command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *help; /* the line of --help; NULL: an alias, not listed */
};

/* The command called name, or NULL. */
const struct cli_command *cli_command_find(const char *name);
/* The "Commands:" lines of --help. */
void cli_usage_commands(FILE *f);

/* Hooks that print the engine's words through msg.c. */
extern const struct engine_hooks cli_hooks;

/*
 * Parses the options and runs engine_init(): CLI_CONTINUE, or the exit code to
 * return (help, usage error, bad configuration). e is always safe to release.
 */
int cli_start(struct engine *e, struct cli_opts *o, int argc, char **argv);
/* cli_start for the commands that read the firewall: first, without CAP_NET_ADMIN, one clear error.
 */
int cli_start_firewall(struct engine *e, struct cli_opts *o, int argc, char **argv);
/* 0 with CAP_NET_ADMIN, else -EPERM after saying "cdnallow needs root (CAP_NET_ADMIN)". */
int cli_need_net_admin(void);
/* A step of that many changes is long enough for a progress line (on a terminal only). */
bool cli_progress_worth(size_t nchanges);

/* Rendering on stdout. */
/* all: list every prefix, not the first few. */
void render_plan_text(const struct engine *e, bool applied, bool all);
int render_plan_json(const struct engine *e, bool changed);
int render_ranges_json(const struct engine *e);
void render_ranges_text(const struct engine *e);

int cmd_sync(int argc, char **argv);
int cmd_plan(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_fetch(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_flush(int argc, char **argv);
int cmd_doctor(int argc, char **argv);
int cmd_providers(int argc, char **argv);
int cmd_history(int argc, char **argv);

#endif
