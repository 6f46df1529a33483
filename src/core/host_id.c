// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The boot + network namespace fingerprint of the element caches
 * (include/cdnallow/host_id.h). An unreadable boot id or namespace leaves its
 * field empty or 0: the record then matches only a run that could not read it
 * either, which at worst costs a read back.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "host_id.h"

void host_fingerprint(char *buf, size_t size, uint64_t netns)
{
	char boot[64] = "";
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");
	struct stat st = { 0 };

	if (f) {
		if (!fgets(boot, sizeof(boot), f))
			boot[0] = '\0';
		fclose(f);
	}
	boot[strcspn(boot, "\n")] = '\0';
	if (!netns && stat("/proc/self/ns/net", &st) == 0)
		netns = (uint64_t)st.st_ino;
	snprintf(buf, size, "boot=%s netns=%" PRIu64, boot, netns);
}
