// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The global options and the command table of the CLI (src/cli/options.c and
 * commands.c, compiled in here because the CLI is not part of cdnallow_core;
 * the commands themselves are stubs): which options take their value from the
 * next argument (main() skips it looking for the command word), command
 * lookup, --help generated from the command table and the backend registry,
 * and what cli_parse() stores or refuses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../../src/cli/commands.c"
#include "../../src/cli/msg.c"
#include "../../src/cli/options.c"

#define STUB(name, rc)                  \
	int name(int argc, char **argv) \
	{                               \
		(void)argc;             \
		(void)argv;             \
		return rc;              \
	}
STUB(cmd_sync, 10)
STUB(cmd_plan, 11)
STUB(cmd_status, 12)
STUB(cmd_fetch, 13)
STUB(cmd_flush, 14)
STUB(cmd_doctor, 15)
STUB(cmd_providers, 16)
STUB(cmd_export, 17)
STUB(cmd_history, 18)

static void test_takes_value(void **state)
{
	static const char *const with[] = { "-c",	"--config", "-p",	   "--provider",
					    "-s",	"--source", "-b",	   "--backend",
					    "--ports",	"--mode",   "--state-dir", "--metrics-file",
					    "--format", "--header", "--domain" };
	static const char *const without[] = { "-n",	    "--dry-run",  "--json",    "--force",
					       "--offline", "-v",	  "-q",	       "-h",
					       "--version", "--config=x", "-cFILE",    "-",
					       "--",	    "sync",	  "--no-such", "-x" };

	(void)state;
	for (size_t i = 0; i < sizeof(with) / sizeof(with[0]); i++)
		assert_true(cli_takes_value(with[i]));
	for (size_t i = 0; i < sizeof(without) / sizeof(without[0]); i++)
		assert_false(cli_takes_value(without[i]));
	/* every long option getopt reads a value for is known to take one */
	for (size_t i = 0; long_opts[i].name; i++) {
		char arg[64];

		snprintf(arg, sizeof(arg), "--%s", long_opts[i].name);
		assert_int_equal(cli_takes_value(arg), long_opts[i].has_arg == required_argument);
	}
}

static void test_command_find(void **state)
{
	(void)state;
	assert_int_equal(cli_command_find("sync")->run(0, NULL), 10);
	assert_int_equal(cli_command_find("plan")->run(0, NULL), 11);
	assert_int_equal(cli_command_find("diff")->run(0, NULL), 11); /* alias */
	assert_int_equal(cli_command_find("providers")->run(0, NULL), 16);
	assert_null(cli_command_find("Sync"));
	assert_null(cli_command_find("syn"));
	assert_null(cli_command_find(""));
}

static char *usage_text(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	cli_usage(f);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void test_usage_from_tables(void **state)
{
	char *text = usage_text(), line[128];

	(void)state;
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		snprintf(line, sizeof(line), "\n  %-10s %s\n", commands[i].name,
			 commands[i].help ? commands[i].help : "");
		/* listed with its line, aliases not listed on their own */
		assert_true((strstr(text, line) != NULL) == (commands[i].help != NULL));
	}
	assert_non_null(strstr(text, "(alias: diff)"));
	for (size_t i = 0; backend_registry[i]; i++) {
		snprintf(line, sizeof(line), "%s | ", backend_registry[i]->name);
		assert_non_null(strstr(text, line));
	}
	assert_non_null(strstr(text, " | auto\n"));
	/* every long option is in the help */
	for (size_t i = 0; long_opts[i].name; i++) {
		snprintf(line, sizeof(line), "--%s", long_opts[i].name);
		assert_non_null(strstr(text, line));
	}
	free(text);
}

static void test_parse_stores(void **state)
{
	char *argv[] = { "cdnallow", "-c",     "/x.conf",     "-s",	 "a.txt",  "--source",
			 "b.txt",    "--mode", "lockdown",    "--force", "--json", "-q",
			 "--ports",  "8443",   "--state-dir", "/st",	 NULL };
	struct cli_opts o;

	(void)state;
	assert_int_equal(cli_parse(16, argv, &o), CLI_CONTINUE);
	assert_string_equal(o.eng.config_path, "/x.conf");
	assert_true(o.eng.config_explicit);
	assert_int_equal(o.eng.nsources, 2);
	assert_string_equal(o.eng.sources[1], "b.txt");
	assert_string_equal(o.eng.mode, "lockdown");
	assert_string_equal(o.eng.ports, "8443");
	assert_string_equal(o.eng.state_dir, "/st");
	assert_true(o.eng.force);
	assert_true(o.json);
	assert_int_equal(o.verbosity, -1);
	assert_null(o.eng.backend);
}

static void test_parse_refuses(void **state)
{
	char *missing[] = { "cdnallow", "--config", NULL };
	char *unknown[] = { "cdnallow", "--nope", NULL };
	char *extra[] = { "cdnallow", "stray", NULL };
	char *many[2 + 2 * (ENGINE_MAX_SOURCES + 1)];
	struct cli_opts o;
	int n = 0;

	(void)state;
	assert_int_equal(cli_parse(2, missing, &o), EXIT_ERROR);
	assert_int_equal(cli_parse(2, unknown, &o), EXIT_ERROR);
	assert_int_equal(cli_parse(2, extra, &o), EXIT_ERROR);
	many[n++] = "cdnallow";
	for (int i = 0; i <= ENGINE_MAX_SOURCES; i++) {
		many[n++] = "-s";
		many[n++] = "x";
	}
	many[n] = NULL;
	assert_int_equal(cli_parse(n, many, &o), EXIT_ERROR);
	assert_int_equal(cli_parse(n - 2, many, &o), CLI_CONTINUE);
	assert_int_equal(o.eng.nsources, ENGINE_MAX_SOURCES);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_takes_value),	  cmocka_unit_test(test_command_find),
		cmocka_unit_test(test_usage_from_tables), cmocka_unit_test(test_parse_stores),
		cmocka_unit_test(test_parse_refuses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
