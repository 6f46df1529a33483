// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The global options of docs/architecture.md §3, shared by every command. Parsing only:
 * values are checked where they are used (config overrides), so a bad value
 * reads the same whether it came from the file or the command line.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "cli.h"
#include "msg.h"

enum {
	OPT_PORTS = 256,
	OPT_MODE,
	OPT_OFFLINE,
	OPT_STATE_DIR,
	OPT_JSON,
	OPT_FORCE,
	OPT_METRICS,
	OPT_DOMAIN,
	OPT_VERSION,
	OPT_FORMAT,
	OPT_HEADER,
	OPT_LIST,
};

static const struct option long_opts[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "provider", required_argument, NULL, 'p' },
	{ "source", required_argument, NULL, 's' },
	{ "backend", required_argument, NULL, 'b' },
	{ "ports", required_argument, NULL, OPT_PORTS },
	{ "mode", required_argument, NULL, OPT_MODE },
	{ "dry-run", no_argument, NULL, 'n' },
	{ "offline", no_argument, NULL, OPT_OFFLINE },
	{ "state-dir", required_argument, NULL, OPT_STATE_DIR },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "metrics-file", required_argument, NULL, OPT_METRICS },
	{ "domain", required_argument, NULL, OPT_DOMAIN },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "header", required_argument, NULL, OPT_HEADER },
	{ "list", no_argument, NULL, OPT_LIST },
	{ "verbose", no_argument, NULL, 'v' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

/* Options that take a value carry ':' after their letter; the leading ':' makes
 * getopt report a missing value as ':' rather than '?'. */
static const char short_opts[] = ":c:p:s:b:nvqh";

bool cli_takes_value(const char *arg)
{
	if (arg[0] == '-' && arg[1] && arg[1] != '-' && !arg[2]) {
		const char *at = strchr(short_opts + 1, arg[1]);

		return at && at[1] == ':';
	}
	if (strncmp(arg, "--", 2))
		return false;
	for (size_t i = 0; long_opts[i].name; i++) {
		if (!strcmp(arg + 2, long_opts[i].name))
			return long_opts[i].has_arg == required_argument;
	}
	return false;
}

void cli_usage(FILE *f)
{
	fputs("usage: cdnallow [OPTIONS] COMMAND\n"
	      "\n"
	      "Keep the firewall open on the web ports to every node of a CDN.\n"
	      "\n"
	      "Commands:\n",
	      f);
	cli_usage_commands(f);
	fputs("\n"
	      "Options:\n"
	      "  -c, --config FILE        default " CONFIG_DEFAULT_PATH "\n"
	      "  -p, --provider LIST      comma list of built-in providers (default cloudflare)\n"
	      "  -s, --source URL|PATH    extra source (repeatable): https URL or file, "
	      "text or JSON\n"
	      "  -b, --backend NAME       ",
	      f);
	for (size_t i = 0; backend_registry[i]; i++)
		fprintf(f, "%s | ", backend_registry[i]->name);
	fputs("auto\n"
	      "      --ports LIST         default 80,443\n"
	      "      --mode allow|lockdown|sets  lockdown also drops non-CDN sources on those "
	      "ports;\n"
	      "                           sets keeps only the sets, for your own rules\n"
	      "  -n, --dry-run            sync without changing anything (same as plan)\n"
	      "      --offline            no network: cache, then built-in snapshot\n"
	      "      --state-dir DIR      default " CONFIG_DEFAULT_STATE_DIR "\n"
	      "      --json               one JSON document on stdout\n"
	      "      --force              apply despite a guard's refusal (floor, shrink)\n"
	      "      --metrics-file PATH  write Prometheus textfile metrics (sync)\n"
	      "      --domain NAME        doctor: also check DNS and TLS of NAME\n"
	      "      --format FORMAT      export: nginx, apache, haproxy, caddy, fail2ban, "
	      "crowdsec, text, json\n"
	      "      --header NAME        export: the client-IP header (default: the CDN's own)\n"
	      "      --list               status: print the set the last sync applied\n"
	      "  -v, --verbose / -q, --quiet\n"
	      "  -h, --help / --version\n",
	      f);
}

/* One parsed option into o: CLI_CONTINUE, or the exit code to stop with. */
static int set_option(int c, struct cli_opts *o, char **argv)
{
	switch (c) {
	case 'c':
		o->eng.config_path = optarg;
		o->eng.config_explicit = true;
		break;
	case 'p':
		o->eng.providers = optarg;
		break;
	case 's':
		if (o->eng.nsources == ENGINE_MAX_SOURCES) {
			msg(MSG_ERROR, "too many --source options (at most %d)",
			    ENGINE_MAX_SOURCES);
			return EXIT_ERROR;
		}
		o->eng.sources[o->eng.nsources++] = optarg;
		break;
	case 'b':
		o->eng.backend = optarg;
		break;
	case OPT_PORTS:
		o->eng.ports = optarg;
		break;
	case OPT_MODE:
		o->eng.mode = optarg;
		break;
	case 'n':
		o->dry_run = true;
		break;
	case OPT_OFFLINE:
		o->eng.offline = true;
		break;
	case OPT_STATE_DIR:
		o->eng.state_dir = optarg;
		break;
	case OPT_JSON:
		o->json = true;
		break;
	case OPT_FORCE:
		o->eng.force = true;
		break;
	case OPT_METRICS:
		o->metrics_file = optarg;
		break;
	case OPT_DOMAIN:
		o->domain = optarg;
		break;
	case OPT_FORMAT:
		o->format = optarg;
		break;
	case OPT_HEADER:
		o->header = optarg;
		break;
	case OPT_LIST:
		o->list = true;
		break;
	case 'v':
		o->verbosity = 1;
		break;
	case 'q':
		o->verbosity = -1;
		break;
	case 'h':
		cli_usage(stdout);
		return EXIT_OK;
	case OPT_VERSION:
		printf("cdnallow %s\n", CDNALLOW_VERSION);
		return EXIT_OK;
	case ':':
		msg(MSG_ERROR, "option '%s' needs a value", argv[optind - 1]);
		return EXIT_ERROR;
	default:
		msg(MSG_ERROR, "unknown option '%s' (see cdnallow --help)", argv[optind - 1]);
		return EXIT_ERROR;
	}
	return CLI_CONTINUE;
}

int cli_parse(int argc, char **argv, struct cli_opts *o)
{
	int c, ret;

	memset(o, 0, sizeof(*o));
	o->eng.config_path = CONFIG_DEFAULT_PATH;
	optind = 1;
	opterr = 0;
	for (;;) {
		c = getopt_long(argc, argv, short_opts, long_opts, NULL);
		if (c == -1)
			break;
		ret = set_option(c, o, argv);
		if (ret != CLI_CONTINUE)
			return ret;
	}
	if (optind < argc) {
		msg(MSG_ERROR, "unexpected argument '%s' (see cdnallow --help)", argv[optind]);
		return EXIT_ERROR;
	}
	msg_init(o->verbosity);
	return CLI_CONTINUE;
}
