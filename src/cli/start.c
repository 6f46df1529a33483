// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * How a command starts the engine: the parsed options, and hooks that carry
 * the engine's diagnostics to msg.c (the engine itself never prints).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "msg.h"

#define CAP_NET_ADMIN_BIT 12

/* CAP_NET_ADMIN in the effective set (/proc/self/status CapEff); true when unreadable. */
static bool has_net_admin(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	uint64_t caps = UINT64_MAX;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %" SCNx64, &caps) == 1)
			break;
	if (f)
		fclose(f);
	return caps & (UINT64_C(1) << CAP_NET_ADMIN_BIT);
}

int cli_need_net_admin(void)
{
	if (has_net_admin())
		return 0;
	/* said once, before any file of the state dir is touched and reported unreadable */
	msg(MSG_ERROR, "cdnallow needs root (CAP_NET_ADMIN)");
	return -EPERM;
}

/* Below this many changes an apply is quick enough to need no progress line. */
#define PROGRESS_MIN_CHANGES 10000

static void report(const struct diag *d, const char *what)
{
	msg_diag(d, what);
}

static void debug(const char *text)
{
	msg(MSG_DEBUG, "%s", text);
}

bool cli_progress_worth(size_t nchanges)
{
	return msg_is_tty() && nchanges > PROGRESS_MIN_CHANGES;
}

static void progress(size_t nchanges, const char *backend)
{
	if (!backend)
		msg_progress(NULL);
	else if (cli_progress_worth(nchanges))
		msg_progress("applying %zu changes to %s…", nchanges, backend);
}

/* What one step of a backend's long apply is, for the progress line. */
static const char *step_unit(const char *backend)
{
	static const char *const units[][2] = { { "ufw", "rules" }, { "firewalld", "entries" } };

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcmp(backend, units[i][0]))
			return units[i][1];
	return "changes";
}

/* ", about 2m10s to go" once the rate is known (two seconds in), else "" */
static void step_eta(char *buf, size_t len, double spent, size_t done, size_t left)
{
	unsigned long s;

	buf[0] = '\0';
	if (spent < 2 || !done)
		return;
	s = (unsigned long)(spent / (double)done * (double)left + 0.5);
	if (s < 60)
		snprintf(buf, len, ", about %lus to go", s);
	else
		snprintf(buf, len, ", about %lum%02lus to go", s / 60, s % 60);
}

/*
 * "ufw: 120/400 rules, 280 left, about 4m40s to go", on a terminal only: never
 * in logs or JSON. The clock restarts with each phase (done back at 1).
 */
static void step(const char *backend, size_t done, size_t total)
{
	static struct timespec t0;
	static size_t d0;
	struct timespec now;
	char eta[64];

	if (!msg_is_tty())
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (done <= 1 || done < d0) {
		t0 = now;
		d0 = done;
	}
	step_eta(eta, sizeof(eta),
		 (double)(now.tv_sec - t0.tv_sec) + (now.tv_nsec - t0.tv_nsec) / 1e9, done - d0,
		 total - done);
	msg_progress("%s: %zu/%zu %s, %zu left%s", backend, done, total, step_unit(backend),
		     total - done, eta);
}

const struct engine_hooks cli_hooks = {
	.report = report, .debug = debug, .progress = progress, .step = step
};

static int start(struct engine *e, struct cli_opts *o, int argc, char **argv, bool firewall)
{
	int ret = cli_parse(argc, argv, o);

	memset(e, 0, sizeof(*e));
	e->lock_fd = -1;
	if (ret != CLI_CONTINUE)
		return ret;
	if (firewall && cli_need_net_admin() < 0)
		return EXIT_ERROR;
	if (engine_init(e, &o->eng, &cli_hooks) < 0) {
		engine_release(e);
		return EXIT_ERROR;
	}
	return CLI_CONTINUE;
}

int cli_start(struct engine *e, struct cli_opts *o, int argc, char **argv)
{
	return start(e, o, argc, argv, false);
}

int cli_start_firewall(struct engine *e, struct cli_opts *o, int argc, char **argv)
{
	return start(e, o, argc, argv, true);
}
