// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cdnallow doctor: diagnose CDN-to-origin reachability (the causes of error
 * 521). The checks arrive with issue 8; until then the command says so and
 * fails rather than pretending the origin is healthy.
 */
#include "cli.h"
#include "msg.h"

int cmd_doctor(int argc, char **argv)
{
	struct cli_opts o;
	int ret = cli_parse(argc, argv, &o);

	if (ret != CLI_CONTINUE)
		return ret;
	msg(MSG_ERROR, "doctor: not implemented yet");
	return EXIT_ERROR;
}
