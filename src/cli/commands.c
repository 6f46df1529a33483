// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The command table: each command's name, entry point and the line --help
 * shows for it. The only list of commands in the program; main() looks the
 * command word up here and cli_usage() prints it from here.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const struct cli_command commands[] = {
	{ "sync", cmd_sync, "fetch, check, and apply the difference (atomic)" },
	{ "plan", cmd_plan, "show what sync would change (alias: diff); exit 2 on drift" },
	{ "diff", cmd_plan, NULL },
	{ "status", cmd_status,
	  "what is installed now; exit 3 when stale or changed behind our back" },
	{ "fetch", cmd_fetch, "print the validated, aggregated ranges; no firewall access" },
	{ "export", cmd_export,
	  "the ranges as nginx/apache/haproxy/caddy/fail2ban/crowdsec config; no firewall" },
	{ "flush", cmd_flush, "remove every object cdnallow installed" },
	{ "doctor", cmd_doctor, "diagnose CDN-to-origin reachability (the causes of error 521)" },
	{ "providers", cmd_providers, "list built-in providers and their endpoints" },
	{ "history", cmd_history, "when which source added or removed what (-n N: the last N)" },
};

const struct cli_command *cli_command_find(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (!strcmp(name, commands[i].name))
			return &commands[i];
	}
	return NULL;
}

void cli_usage_commands(FILE *f)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (commands[i].help)
			fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].help);
	}
}
