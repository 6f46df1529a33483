// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cdnallow plan (alias diff): what sync would change, without changing it.
 * Exit 0 in sync, 2 drift (the firewall or an [output:NAME] file differs), 1
 * error — Puppet's `unless` and monitoring rely on it.
 */
#include "cli.h"

int cmd_plan(int argc, char **argv)
{
	struct cli_opts o;
	struct engine e;
	bool drift = false, outputs = false;
	int ret;

	ret = cli_start_firewall(&e, &o, argc, argv);
	if (ret != CLI_CONTINUE)
		return ret;
	ret = EXIT_ERROR;
	if (engine_sync(&e, false, &drift) < 0)
		goto out;
	if (engine_outputs(&e, false, &outputs) < 0)
		goto out;
	if (o.json)
		render_plan_json(&e, drift);
	else if (o.verbosity >= 0)
		render_plan_text(&e, false, o.verbosity > 0);
	/* an output to rewrite is drift too: Puppet's `unless => cdnallow -q plan` then syncs */
	ret = drift || outputs ? EXIT_DRIFT : EXIT_OK;
out:
	engine_release(&e);
	return ret;
}
