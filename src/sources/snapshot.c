// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Looks up the built-in snapshot: the real provider lists, parsed at build
 * time by gen_snapshot with the same parsers the binary uses. It is the last
 * resort when neither a fresh download nor a cached copy is usable.
 */
#include <string.h>

#include "source.h"

extern const struct snapshot snapshot_table[];

const struct snapshot *snapshot_find(const char *provider)
{
	for (const struct snapshot *s = snapshot_table; s->provider; s++) {
		if (!strcmp(s->provider, provider))
			return s;
	}
	return NULL;
}
