// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cdnallow fetch: the validated, aggregated ranges on stdout, as a text list
 * or as cdnallow-ranges/1 JSON (itself a source type, for fleets). Never
 * touches a firewall; works without root when the state dir is not writable.
 */
#include <errno.h>
#include <unistd.h>

#include "cli.h"
#include "msg.h"

int cmd_fetch(int argc, char **argv)
{
	struct cli_opts o;
	struct engine e;
	int ret;

	ret = cli_start(&e, &o, argc, argv);
	if (ret != CLI_CONTINUE)
		return ret;
	ret = EXIT_ERROR;
	/* the cache is an optimisation here: an unwritable state dir only costs it */
	if (access(e.cfg.state_dir, W_OK) == 0 || (errno == ENOENT && geteuid() == 0)) {
		if (engine_lock(&e) < 0)
			goto out;
	} else {
		msg(MSG_DEBUG, "state dir '%s' not writable: no cache", e.cfg.state_dir);
	}
	if (engine_resolve(&e) < 0)
		goto out;
	if (o.json)
		render_ranges_json(&e);
	else
		render_ranges_text(&e);
	ret = EXIT_OK;
out:
	engine_release(&e);
	return ret;
}
