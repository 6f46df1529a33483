// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * How a command starts the engine: the parsed options, and hooks that carry
 * the engine's diagnostics to msg.c (the engine itself never prints).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "msg.h"

#define CAP_NET_ADMIN_BIT 12

/* CAP_NET_ADMIN in the effective set (/proc/self/status CapEff); true when unreadable. */
static bool has_net_admin(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	uint64_t caps = UINT64_MAX;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %" SCNx64, &caps) == 1)
			break;
	if (f)
		fclose(f);
	return caps & (UINT64_C(1) << CAP_NET_ADMIN_BIT);
}

int cli_need_net_admin(void)
{
	if (has_net_admin())
		return 0;
	/* said once, before any file of the state dir is touched and reported unreadable */
	msg(MSG_ERROR, "cdnallow needs root (CAP_NET_ADMIN)");
	return -EPERM;
}

/* Below this many changes an apply is quick enough to need no progress line. */
#define PROGRESS_MIN_CHANGES 10000

static void report(const struct diag *d, const char *what)
{
	msg_diag(d, what);
}

static void debug(const char *text)
{
	msg(MSG_DEBUG, "%s", text);
}

bool cli_progress_worth(size_t nchanges)
{
	return msg_is_tty() && nchanges > PROGRESS_MIN_CHANGES;
}

/* What one step of a backend's long apply is, for the progress line. */
static const char *step_unit(const char *backend)
{
	static const char *const units[][2] = { { "ufw", "rules" }, { "firewalld", "entries" } };

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcmp(backend, units[i][0]))
			return units[i][1];
	return "changes";
}

/*
 * The engine starts an apply's progress line ("applying 20000 changes to
 * nftables…" when that many make it worth one) and ends it (backend NULL); a
 * backend that calls its firewall once a change counts its calls in between.
 * Terminal only: msg.c writes nothing of it into logs or JSON.
 */
static void progress(size_t nchanges, const char *backend)
{
	if (!backend)
		msg_progress(NULL);
	else if (cli_progress_worth(nchanges))
		msg_progress("applying %zu changes to %s…", nchanges, backend);
}

static void step(const char *backend, size_t done, size_t total)
{
	msg_progress_count(backend, step_unit(backend), done, total);
}

const struct engine_hooks cli_hooks = {
	.report = report, .debug = debug, .progress = progress, .step = step
};

static int start(struct engine *e, struct cli_opts *o, int argc, char **argv, bool firewall)
{
	int ret = cli_parse(argc, argv, o);

	memset(e, 0, sizeof(*e));
	e->lock_fd = -1;
	if (ret != CLI_CONTINUE)
		return ret;
	if (firewall && cli_need_net_admin() < 0)
		return EXIT_ERROR;
	if (engine_init(e, &o->eng, &cli_hooks) < 0) {
		engine_release(e);
		return EXIT_ERROR;
	}
	return CLI_CONTINUE;
}

int cli_start(struct engine *e, struct cli_opts *o, int argc, char **argv)
{
	return start(e, o, argc, argv, false);
}

int cli_start_firewall(struct engine *e, struct cli_opts *o, int argc, char **argv)
{
	return start(e, o, argc, argv, true);
}
