/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Where a firewall record of the state dir was true (src/core/host_id.c): the
 * boot and the network namespace. The element caches (nft_cache.c,
 * ipt_cache.c) trust a record only under the same fingerprint, since a reboot
 * or another namespace starts from other sets.
 */
#ifndef CDNALLOW_HOST_ID_H
#define CDNALLOW_HOST_ID_H

#include <stddef.h>
#include <stdint.h>

/*
 * Writes "boot=BOOT_ID netns=ID" into buf (size bytes, always terminated).
 * netns 0: the inode of /proc/self/ns/net stands for the namespace.
 */
void host_fingerprint(char *buf, size_t size, uint64_t netns);

#endif
