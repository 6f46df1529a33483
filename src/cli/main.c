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

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
};

static const struct command commands[] = {
	{ "sync", cmd_sync },	  { "plan", cmd_plan },		  { "diff", cmd_plan },
	{ "status", cmd_status }, { "fetch", cmd_fetch },	  { "flush", cmd_flush },
	{ "doctor", cmd_doctor }, { "providers", cmd_providers },
};

/* Options that take a separate value, so the value is not mistaken for the command. */
static bool takes_value(const char *arg)
{
	static const char *const with_value[] = { "-c",		"--config",    "-p",
						  "--provider", "-s",	       "--source",
						  "-b",		"--backend",   "--ports",
						  "--mode",	"--state-dir", "--metrics-file",
						  "--domain" };

	for (size_t i = 0; i < sizeof(with_value) / sizeof(with_value[0]); i++) {
		if (!strcmp(arg, with_value[i]))
			return true;
	}
	return false;
}

static int find_command(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			return i + 1 < argc ? i + 1 : -1;
		if (argv[i][0] != '-')
			return i;
		if (takes_value(argv[i]))
			i++;
	}
	return -1;
}

int main(int argc, char **argv)
{
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
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[at], commands[i].name))
			continue;
		/* the command sees argv without its own name */
		memmove(&argv[at], &argv[at + 1], (size_t)(argc - at) * sizeof(*argv));
		/* libcurl is initialised by its first user (fetch_many, curl_easy_init):
		 * OpenSSL's set-up costs ~4 M instructions a run without any URL */
		ret = commands[i].run(argc - 1, argv);
		fetch_global_cleanup();
		goto out;
	}
	msg(MSG_ERROR, "unknown command '%s' (see cdnallow --help)", argv[at]);
out:
	msg_close();
	return ret;
}
