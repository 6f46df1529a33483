// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cdnallow sync: fetch, check and apply the difference in one transaction.
 * Exit 0 whether or not something changed, 1 on any error (the firewall then
 * keeps its previous state). -n makes it a plan.
 */
#include <stdio.h>
#include <sys/socket.h>

#include "cli.h"
#include "msg.h"
#include "prefix_set.h"

int cmd_sync(int argc, char **argv)
{
	struct cli_opts o;
	struct engine e;
	bool changed = false;
	int ret = EXIT_ERROR;

	ret = cli_parse(argc, argv, &o);
	if (ret != CLI_CONTINUE)
		return ret;
	if (o.dry_run)
		return cmd_plan(argc, argv);
	ret = EXIT_ERROR;
	if (engine_init(&e, &o) < 0)
		goto out;
	if (engine_sync(&e, true, &changed) < 0) {
		if (o.json && e.be && e.plan.add)
			render_plan_json(&e, false);
		goto out;
	}
	if (o.json)
		render_plan_json(&e, changed);
	else if (o.verbosity >= 0)
		render_plan_text(&e, true);
	/* one line per run for the journal (DESIGN.md §4a: monitoring reads it) */
	msg(MSG_INFO, "sync %s: %s holds %zu IPv4 + %zu IPv6 prefixes (+%zu -%zu)",
	    changed ? "applied" : "unchanged", e.be->name, prefix_set_count(e.want, AF_INET),
	    prefix_set_count(e.want, AF_INET6), e.plan.add->n, e.plan.del->n);
	ret = EXIT_OK;
out:
	engine_release(&e);
	return ret;
}
