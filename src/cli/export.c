// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cdnallow export --format FORMAT [--header H]: the validated, aggregated
 * ranges as a web server's real-IP configuration or a ban tool's allowlist,
 * on stdout. The same guard and fallbacks as sync, so a refused list never
 * reaches a server's config; never touches a firewall.
 */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "cli.h"
#include "diag.h"
#include "export.h"
#include "msg.h"

int cmd_export(int argc, char **argv)
{
	struct cli_opts o;
	struct engine e;
	enum export_format f;
	struct diag d;
	int ret;

	ret = cli_start(&e, &o, argc, argv);
	if (ret != CLI_CONTINUE)
		return ret;
	ret = EXIT_ERROR;
	diag_init(&d);
	if (!o.format) {
		msg(MSG_ERROR, "export needs --format (nginx, apache, haproxy, caddy, fail2ban, "
			       "crowdsec, text, json)");
		goto out;
	}
	if (export_format_parse(o.format, &f, &d) < 0)
		goto report;
	if (o.header && !export_header_valid(o.header)) {
		msg(MSG_ERROR, "--header '%s' is not an HTTP header name (letters, digits and '-')",
		    o.header);
		goto out;
	}
	/* the cache is an optimisation here, as for fetch */
	if (access(e.cfg.state_dir, W_OK) == 0 || (errno == ENOENT && geteuid() == 0)) {
		if (engine_lock(&e) < 0)
			goto out;
	}
	if (engine_resolve(&e) < 0)
		goto out;
	if (export_write(stdout, f, e.want,
			 o.header ? o.header : export_default_header(e.srcs, e.nsrcs), e.tag,
			 &d) < 0)
		goto report;
	ret = EXIT_OK;
	goto out;
report:
	engine_report(&e, &d, NULL);
out:
	engine_release(&e);
	return ret;
}
