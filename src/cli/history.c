// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cdnallow history [--json] [-n N] [-v]: the change events of history.jsonl
 * (and its rotated predecessor), oldest first: per event and source the date,
 * the source and how many IPv4 and IPv6 prefixes it added and removed; -v
 * lists them. Reads the state dir only (root's, 0700): never the network or
 * the firewall, never takes the lock.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "change.h"
#include "cli.h"
#include "diag.h"
#include "history.h"
#include "msg.h"
#include "prefix_set.h"

/*
 * Takes "-n N", "-nN" or "--last N" out of argv: the global -n means
 * --dry-run, which history has no use for. 0 when absent, -1 on a bad N.
 */
static long take_count(int *argc, char **argv)
{
	long n = 0;

	for (int i = 1; i < *argc && strcmp(argv[i], "--"); i++) {
		const char *v = NULL;
		int used = 0;
		char *end;

		if (!strcmp(argv[i], "-n") || !strcmp(argv[i], "--last")) {
			v = i + 1 < *argc ? argv[i + 1] : "";
			used = 2;
		} else if (!strncmp(argv[i], "-n", 2) || !strncmp(argv[i], "--last=", 7)) {
			v = argv[i] + (argv[i][1] == 'n' ? 2 : 7);
			used = 1;
		}
		if (!v)
			continue;
		n = strtol(v, &end, 10);
		if (!*v || *end || n < 1) {
			msg(MSG_ERROR, "-n needs a number of events of at least 1, not '%s'", v);
			return -1;
		}
		memmove(&argv[i], &argv[i + used], (size_t)(*argc - i - used + 1) * sizeof(*argv));
		*argc -= used;
		i--;
	}
	return n;
}

static void print_list(const struct prefix_set *s, char sign)
{
	char buf[PREFIX_STRLEN];

	for (size_t i = 0; s && i < s->n; i++) {
		prefix_format(&s->v[i], buf, sizeof(buf));
		printf("    %c%s\n", sign, buf);
	}
}

static void print_delta(const char *when, const char *name, const struct change_delta *dl,
			bool verbose)
{
	printf("%s  %-16s +%zu/-%zu IPv4  +%zu/-%zu IPv6\n", when, name,
	       change_count(dl->add, AF_INET), change_count(dl->del, AF_INET),
	       change_count(dl->add, AF_INET6), change_count(dl->del, AF_INET6));
	if (verbose) {
		print_list(dl->add, '+');
		print_list(dl->del, '-');
	}
}

/* One line per source that changed; an event without one shows the firewall's own change. */
static void print_event(const struct change *c, bool verbose)
{
	char when[32];

	change_format_time(c->time, when, sizeof(when));
	for (size_t i = 0; i < c->nsrc; i++)
		print_delta(when, c->src[i].name, &c->src[i], verbose);
	if (c->nsrc == 0 && c->fw_changed)
		print_delta(when, "(firewall)", &c->fw, verbose);
	if (c->noutputs) {
		printf("%s  %-16s", when, "(outputs)");
		for (size_t i = 0; i < c->noutputs; i++)
			printf(" %s", c->outputs[i]);
		putchar('\n');
	}
}

static int print_json(const struct history *h, size_t from)
{
	char *doc = NULL;

	fputs("{\"events\":[", stdout);
	for (size_t i = from; i < h->n; i++) {
		if (change_render(&h->v[i], &doc) < 0)
			return -ENOMEM;
		printf("%s%s", i > from ? "," : "", doc);
		free(doc);
	}
	fputs("]}\n", stdout);
	return 0;
}

int cmd_history(int argc, char **argv)
{
	struct history h = { 0 };
	struct cli_opts o;
	struct engine e;
	struct diag d;
	long last = take_count(&argc, argv);
	size_t from = 0;
	int ret;

	if (last < 0)
		return EXIT_ERROR;
	ret = cli_start(&e, &o, argc, argv);
	if (ret != CLI_CONTINUE)
		return ret;
	ret = EXIT_ERROR;
	diag_init(&d);
	if (history_read(e.cfg.state_dir, &h, &d) < 0) {
		if (strstr(d.msg, strerror(EACCES)))
			diag_prefix(&d, "the state dir is root's (run as root): ");
		engine_report(&e, &d, NULL);
		goto out;
	}
	engine_report(&e, &d, NULL);
	if (last > 0 && (size_t)last < h.n)
		from = h.n - (size_t)last;
	if (o.json) {
		if (print_json(&h, from) < 0)
			goto out;
	} else {
		for (size_t i = from; i < h.n; i++)
			print_event(&h.v[i], o.verbosity > 0);
		if (h.n == 0)
			msg(MSG_INFO, "no change recorded in '%s' yet", e.cfg.state_dir);
	}
	ret = EXIT_OK;
out:
	history_release(&h);
	engine_release(&e);
	return ret;
}
