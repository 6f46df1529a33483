/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * --metrics-file: one sync run as a Prometheus node-exporter textfile
 * (last run and success, prefixes per family and source, changes, refusals,
 * duration). Rendering is pure; writing is atomic, so the exporter never
 * scrapes half a file. Never prints and never touches the firewall.
 */
#ifndef CDNALLOW_CLI_METRICS_H
#define CDNALLOW_CLI_METRICS_H

#include <stddef.h>
#include <time.h>

struct engine;

/*
 * Renders the textfile of a run that ended with result (0 or -errno) at now
 * into *buf (malloc'd, NUL-terminated, caller frees) of *len bytes.
 */
int metrics_render(const struct engine *e, int result, double duration_s, time_t now, char **buf,
		   size_t *len);
/* Renders with now = time(NULL) and writes path atomically, mode 0644. */
int metrics_write(const char *path, const struct engine *e, int result, double duration_s);

#endif
