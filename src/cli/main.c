// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Entry point: finds the command word among the options (they may come before
 * or after it), hands the rest to that command, returns its exit code. The
 * only place that returns an exit code to the system.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fetch.h"
#include "msg.h"

static int find_command(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			return i + 1 < argc ? i + 1 : -1;
		if (argv[i][0] != '-')
			return i;
		if (cli_takes_value(argv[i]))
			i++;
	}
	return -1;
}

int main(int argc, char **argv)
{
	const struct cli_command *cmd;
	struct cli_opts o;
	int ret = EXIT_ERROR;
	int at;

	msg_init(0);
	at = find_command(argc, argv);
	if (at < 0) {
		ret = cli_parse(argc, argv, &o);
		if (ret == CLI_CONTINUE) {
			cli_usage(stderr);
			ret = EXIT_ERROR;
		}
		goto out;
	}
	cmd = cli_command_find(argv[at]);
	if (!cmd) {
		msg(MSG_ERROR, "unknown command '%s' (see cdnallow --help)", argv[at]);
		goto out;
	}
	/* the command sees argv without its own name */
	memmove(&argv[at], &argv[at + 1], (size_t)(argc - at) * sizeof(*argv));
	/* libcurl is initialised by its first user (fetch_many, curl_easy_init):
	 * OpenSSL's set-up costs ~4 M instructions a run without any URL */
	ret = cmd->run(argc - 1, argv);
	fetch_global_cleanup();
out:
	msg_close();
	return ret;
}
