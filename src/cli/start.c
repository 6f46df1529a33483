// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * How a command starts the engine: the parsed options, and hooks that carry
 * the engine's diagnostics to msg.c (the engine itself never prints).
 */
#include <string.h>

#include "cli.h"
#include "msg.h"

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

static void progress(size_t nchanges, const char *backend)
{
	if (!backend)
		msg_progress(NULL);
	else if (msg_is_tty() && nchanges > PROGRESS_MIN_CHANGES)
		msg_progress("applying %zu changes to %s…", nchanges, backend);
}

const struct engine_hooks cli_hooks = { .report = report, .debug = debug, .progress = progress };

int cli_start(struct engine *e, struct cli_opts *o, int argc, char **argv)
{
	int ret = cli_parse(argc, argv, o);

	memset(e, 0, sizeof(*e));
	e->lock_fd = -1;
	if (ret != CLI_CONTINUE)
		return ret;
	if (engine_init(e, &o->eng, &cli_hooks) < 0) {
		engine_release(e);
		return EXIT_ERROR;
	}
	return CLI_CONTINUE;
}
