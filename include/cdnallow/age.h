/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Human-readable ages ("496 days", "5 hours"): every message and table that
 * shows how old data is uses this one format, so none prints raw seconds.
 */
#ifndef CDNALLOW_AGE_H
#define CDNALLOW_AGE_H

#include <stddef.h>

/* Writes secs as "N days" (>= 1 day), "N hours", "N min" or "N s" into buf. */
void age_format(long long secs, char *buf, size_t size);

#endif
