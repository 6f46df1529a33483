// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cdnallow flush: remove every object cdnallow installed (in the backend the
 * last sync used, and the lockdown table), nothing else.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "diag.h"
#include "msg.h"

static int flush_lockdown_table(struct engine *e, struct diag *d)
{
	const struct backend_ops *nft = NULL;
	void *h = NULL;
	int ret;

	if (!strcmp(e->be->name, "nftables"))
		return 0; /* its own flush removed the lockdown table too */
	ret = engine_open_lockdown(e, &nft, &h, d);
	if (ret == -ENOENT && !nft)
		return 0;
	if (ret < 0)
		return ret;
	ret = nft->flush(h, d);
	nft->close(h);
	return ret;
}

int cmd_flush(int argc, char **argv)
{
	struct cli_opts o;
	struct engine e;
	struct diag d;
	int ret;

	ret = engine_start(&e, &o, argc, argv);
	if (ret != CLI_CONTINUE)
		return ret;
	diag_init(&d);
	ret = EXIT_ERROR;
	if (engine_lock(&e) < 0 || engine_open_backend(&e, true) < 0)
		goto out;
	if (e.be->flush(e.bh, &d) < 0) {
		diag_prefix(&d, "%s: flush: ", e.be->name);
		goto out;
	}
	if (flush_lockdown_table(&e, &d) < 0) {
		diag_prefix(&d, "nftables lockdown table: flush: ");
		goto out;
	}
	if (o.verbosity >= 0)
		printf("removed cdnallow's objects from %s\n", e.be->name);
	ret = EXIT_OK;
out:
	engine_report(&e, &d, NULL);
	diag_release(&d);
	engine_release(&e);
	return ret;
}
