// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The keys of an [output:NAME] section (docs/cdnallow.conf.5): a file that a
 * web server or ban tool reads, rendered from the synced list. Each setter
 * checks its value completely before it changes the config; the section check
 * refuses what would write a file nobody can use or let two outputs overwrite
 * each other. Nothing here reads or writes files.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "command.h"
#include "config.h"
#include "config_int.h"
#include "diag.h"
#include "export.h"

static int k_format(struct config *c, size_t at, const char *v, struct diag *d)
{
	return export_format_parse(v, &c->outputs[at].format, d);
}

static int k_path(struct config *c, size_t at, const char *v, struct diag *d)
{
	size_t n = strlen(v);
	int ret = config_check_path(v, "path", d);

	if (ret < 0)
		return ret;
	if (v[n - 1] == '/') {
		diag_err(d, "path '%s' names a directory; give the file to write", v);
		return -EINVAL;
	}
	return config_set_string(&c->outputs[at].path, v);
}

static int k_header(struct config *c, size_t at, const char *v, struct diag *d)
{
	if (!export_header_valid(v)) {
		diag_err(d, "'%.64s' is not an HTTP header name (letters, digits and '-')", v);
		return -EINVAL;
	}
	return config_set_string(&c->outputs[at].header, v);
}

/* Octal like chmod; a file others may write would let any user rewrite the server's config. */
static int k_mode(struct config *c, size_t at, const char *v, struct diag *d)
{
	unsigned m = 0;
	size_t n = strlen(v);

	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '7' || n > 4) {
			diag_err(d, "'%s' is not an octal file mode (e.g. 0644)", v);
			return -EINVAL;
		}
		m = m * 8 + (unsigned)(v[i] - '0');
	}
	if (n == 0 || m > 0777) {
		diag_err(d, "'%s' is not an octal file mode (e.g. 0644)", v);
		return -EINVAL;
	}
	if (m & 0002) {
		diag_err(d, "mode %04o lets every user rewrite the file (e.g. 0644)", m);
		return -EINVAL;
	}
	if (!(m & 0400)) {
		diag_err(d, "mode %04o does not let the owner read the file (e.g. 0644)", m);
		return -EINVAL;
	}
	c->outputs[at].mode = m;
	return 0;
}

/* Split now, so a command that cannot run is a config error, not a failed sync. */
static int set_command(char **dst, const char *v, struct diag *d)
{
	int ret;

	if (!*v || strlen(v) > COMMAND_MAX_LEN) {
		diag_err(d, "a command of 1 to %d characters is needed (e.g. nginx -t)",
			 COMMAND_MAX_LEN);
		return -EINVAL;
	}
	ret = command_check(v, d);
	return ret < 0 ? ret : config_set_string(dst, v);
}

static int k_test(struct config *c, size_t at, const char *v, struct diag *d)
{
	return set_command(&c->outputs[at].test, v, d);
}

static int k_reload(struct config *c, size_t at, const char *v, struct diag *d)
{
	return set_command(&c->outputs[at].reload, v, d);
}

const struct config_key config_output_keys[] = {
	{ "format", O_FORMAT, k_format },
	{ "path", O_PATH, k_path },
	{ "header", O_HEADER, k_header },
	{ "mode", O_MODE, k_mode },
	{ "test", O_TEST, k_test },
	{ "reload", O_RELOAD, k_reload },
	{ NULL, 0, NULL },
};

static bool uses_header(enum export_format f)
{
	return f == EXPORT_NGINX || f == EXPORT_APACHE || f == EXPORT_CADDY;
}

int config_output_check(const struct config *c, size_t at, const unsigned *key_line, unsigned *line,
			struct diag *d)
{
	const struct output_def *o = &c->outputs[at];

	*line = 0;
	if (!key_line[O_FORMAT]) {
		diag_err(d, "needs format (nginx, apache, haproxy, caddy, fail2ban, crowdsec, "
			    "text, json)");
		return -EINVAL;
	}
	if (!key_line[O_PATH]) {
		diag_err(d, "needs path (the absolute file name to write)");
		return -EINVAL;
	}
	if (key_line[O_HEADER] && !uses_header(o->format)) {
		*line = key_line[O_HEADER];
		diag_err(d, "header applies only to format nginx, apache or caddy, not %s",
			 export_format_name(o->format));
		return -EINVAL;
	}
	for (size_t i = 0; i < c->noutputs; i++) {
		if (i != at && c->outputs[i].path && !strcmp(c->outputs[i].path, o->path)) {
			*line = key_line[O_PATH];
			diag_err(d, "path '%s' is also [output:%s]'s", o->path, c->outputs[i].name);
			return -EINVAL;
		}
	}
	return 0;
}

void config_output_release(struct output_def *o)
{
	free(o->name);
	free(o->path);
	free(o->header);
	free(o->test);
	free(o->reload);
	memset(o, 0, sizeof(*o));
}
