// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The [output:NAME] files after a sync (engine.h engine_outputs): each one is
 * rendered from e->want, the list the firewall just received, so an output
 * never sees a list the guard refused. One output's failure is reported and
 * counted but does not stop the others, and never undoes the firewall sync.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "command.h"
#include "diag.h"
#include "engine.h"
#include "export.h"
#include "output.h"

static int render(const struct engine *e, const struct output_def *o, char **buf, size_t *len,
		  struct diag *d)
{
	const char *header = o->header ? o->header : export_default_header(e->srcs, e->nsrcs);
	FILE *f;
	int ret;

	*buf = NULL;
	*len = 0;
	f = open_memstream(buf, len);
	if (!f)
		return -ENOMEM;
	ret = export_write(f, o->format, e->want, header, e->tag, d);
	if (fclose(f) != 0 && ret == 0)
		ret = -ENOMEM;
	if (ret < 0)
		diag_prefix(d, "output '%s': ", o->name);
	return ret;
}

/* A command that does not split is refused before the file is touched. */
static int check_commands(const struct output_def *o, struct diag *d)
{
	int ret = o->test ? command_check(o->test, d) : 0;

	if (ret < 0) {
		diag_prefix(d, "output '%s': test command: ", o->name);
		return ret;
	}
	ret = o->reload ? command_check(o->reload, d) : 0;
	if (ret < 0)
		diag_prefix(d, "output '%s': reload command: ", o->name);
	return ret;
}

int engine_outputs(struct engine *e, bool apply, bool *changed)
{
	const struct config *c = &e->cfg;
	struct diag d;
	char *buf = NULL;
	size_t len = 0;
	int ret = 0;

	*changed = false;
	if (!c->noutputs || !e->want)
		return 0;
	free(e->outputs);
	e->outputs = calloc(c->noutputs, sizeof(*e->outputs));
	if (!e->outputs)
		return -ENOMEM;
	diag_init(&d);
	for (size_t i = 0; i < c->noutputs; i++) {
		const struct output_def *o = &c->outputs[i];
		struct output_result *r = &e->outputs[i];
		int one = check_commands(o, &d);

		if (one == 0)
			one = render(e, o, &buf, &len, &d);

		if (one == 0)
			one = output_sync(o, buf, len, apply, r, &d);
		else
			r->status = OUTPUT_FAILED;
		free(buf);
		buf = NULL;
		/* a failed test put the previous file back: nothing changed */
		if (r->status == OUTPUT_WOULD_CHANGE || r->status == OUTPUT_WRITTEN ||
		    r->status == OUTPUT_RELOAD_FAILED)
			*changed = true;
		if (one < 0 || d.nwarnings)
			engine_report(e, &d, NULL);
		if (one < 0)
			ret = -EIO;
	}
	diag_release(&d);
	return ret;
}
