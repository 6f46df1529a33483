// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Commands from cdnallow.conf (include/cdnallow/command.h): the run through
 * spawn.c of what src/core/command_split.c made of the line. Never runs a shell of its own: a line
 * that needs one must name it (sh -c '…'), so what the admin wrote is what runs. Never prints;
 * failures go to the caller's struct diag.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "command.h"
#include "diag.h"
#include "spawn.h"
#include "strbuf.h"

static void fill_result(const struct spawn_result *sr, struct command_result *r)
{
	const char *text = sr->err && *sr->err ? sr->err : sr->out;
	size_t len = text ? strlen(text) : 0;

	r->status = sr->status;
	r->signal = sr->signal;
	r->timed_out = sr->timed_out;
	/* the tail is already bounded by the caps; keep its end when it still does not fit */
	strbuf_one_line(r->tail, sizeof(r->tail),
			len >= sizeof(r->tail) ? text + len - (sizeof(r->tail) - 1) : text,
			STRBUF_BLANK_CONTROLS);
}

static int report(const char *what, unsigned timeout_s, int ret, const struct command_result *r,
		  struct diag *d)
{
	const char *sep = r->tail[0] ? ": " : "";

	if (ret == -ETIMEDOUT || r->timed_out) {
		diag_clear_err(d);
		diag_err(d, "%s timed out after %u s%s%s", what, timeout_s, sep, r->tail);
		return -ETIMEDOUT;
	}
	if (ret)
		return ret;
	if (r->status > 0) {
		diag_err(d, "%s failed: exit status %d%s%s", what, r->status, sep, r->tail);
		return -EIO;
	}
	if (r->status < 0) {
		diag_err(d, "%s failed: killed by signal %d%s%s", what, r->signal, sep, r->tail);
		return -EIO;
	}
	return 0;
}

int command_run(const char *line, const struct command_opts *o, struct command_result *r,
		struct diag *d)
{
	struct command_result local;
	struct spawn_opts so = { 0 };
	struct spawn_result sr = { 0 };
	char **words = NULL;
	size_t n = 0;
	unsigned timeout_s = o && o->timeout_s ? o->timeout_s : COMMAND_DEFAULT_TIMEOUT_S;
	const char *what;
	int ret;

	if (timeout_s > COMMAND_MAX_TIMEOUT_S)
		timeout_s = COMMAND_MAX_TIMEOUT_S;
	if (!r)
		r = &local;
	memset(r, 0, sizeof(*r));
	r->status = -1;
	ret = command_split(line, &words, &n, d);
	if (ret)
		return ret;
	what = o && o->what ? o->what : words[0];
	so.argv = (const char *const *)words;
	so.in = o ? o->in : NULL;
	so.in_len = o ? o->in_len : 0;
	so.out_cap = so.err_cap = COMMAND_TAIL_MAX;
	so.keep_tail = true;
	so.timeout_ms = timeout_s * 1000u;
	so.term_grace_ms = COMMAND_TERM_GRACE_MS;
	so.own_group = true;
	so.what = what;
	ret = spawn_run(&so, &sr, d);
	if (ret == 0 || ret == -ETIMEDOUT)
		fill_result(&sr, r);
	ret = report(what, timeout_s, ret, r, d);
	spawn_result_release(&sr);
	command_words_free(words);
	return ret;
}
