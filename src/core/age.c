// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Formats ages for people: whole days once a day has passed (a snapshot is
 * months old, a cached list hours), smaller units only below that. Never
 * prints, never fails.
 */
#include <stdio.h>

#include "age.h"

void age_format(long long secs, char *buf, size_t size)
{
	static const struct {
		long long unit;
		const char *one, *many;
	} units[] = { { 86400, "day", "days" }, { 3600, "hour", "hours" }, { 60, "min", "min" } };

	if (secs < 0)
		secs = 0;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		long long n = secs / units[i].unit;

		if (n >= 1) {
			snprintf(buf, size, "%lld %s", n, n == 1 ? units[i].one : units[i].many);
			return;
		}
	}
	snprintf(buf, size, "%lld s", secs);
}
