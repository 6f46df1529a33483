/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The seccomp filter of the unprivileged download child (privsep.c). For
 * privsep.c and its tests only.
 */
#ifndef CDNALLOW_PRIVSEP_FILTER_H
#define CDNALLOW_PRIVSEP_FILTER_H

/*
 * Installs a deny-list filter on the calling thread (and what it forks or
 * spawns later): the system calls a downloader never needs and an attacker
 * would (ptrace, mount, module and kexec loading, bpf, namespaces, keyrings,
 * …) fail with EPERM, as does any system call of another ABI (x32, i386 on
 * x86_64). Needs no_new_privs (or CAP_SYS_ADMIN). 0 or -errno.
 */
int privsep_filter_install(void);

#endif
