// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cdnallow flush: remove every object cdnallow installed (in the backend the
 * last sync used, and the lockdown table), nothing else.
 */
#include <stdio.h>

#include "cli.h"
#include "diag.h"
#include "msg.h"

int cmd_flush(int argc, char **argv)
{
	struct cli_opts o;
	struct engine e;
	struct diag d;
	int ret;

	ret = cli_start_firewall(&e, &o, argc, argv);
	if (ret != CLI_CONTINUE)
		return ret;
	diag_init(&d);
	ret = EXIT_ERROR;
	e.removing = true;
	if (engine_lock(&e) < 0 || engine_open_backend(&e, true) < 0)
		goto out;
	if (engine_flush(&e, &d) < 0)
		goto out;
	/* on purpose: status reports it as such, and `status || sync` does not undo it */
	e.flushed = true;
	if (engine_save_state(&e, 0) < 0)
		goto out;
	if (o.verbosity >= 0)
		msg_out("removed cdnallow's objects from %s\n", e.be->name);
	ret = EXIT_OK;
out:
	engine_report(&e, &d, NULL);
	diag_release(&d);
	engine_release(&e);
	return ret;
}
