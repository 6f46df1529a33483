// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A seccomp filter for the download child, in raw classic BPF (no libseccomp
 * dependency for one short list). It is a deny-list, not an allow-list: libcurl,
 * OpenSSL, the resolver (NSS modules, the threaded resolver) and jansson use a
 * wide and version-dependent set of system calls, and a missing entry in an
 * allow-list would break downloads on some distribution; the calls denied here
 * are ones no downloader makes and every escape needs. Denied calls return
 * EPERM rather than kill, so a library that probes one (userfaultfd, keyctl)
 * takes its fallback.
 */
#include <errno.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include "privsep_filter.h"

#if defined(__x86_64__)
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#elif defined(__i386__)
#define NATIVE_ARCH AUDIT_ARCH_I386
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define NATIVE_ARCH AUDIT_ARCH_PPC64LE
#elif defined(__s390x__)
#define NATIVE_ARCH AUDIT_ARCH_S390X
#elif defined(__riscv) && __riscv_xlen == 64
#define NATIVE_ARCH AUDIT_ARCH_RISCV64
#endif

#define DENY_LIST_MAX 64

/* -1 ends the list; entries the architecture lacks are left out by the #ifdefs */
static const long denied[] = {
	SYS_ptrace,
	SYS_process_vm_readv,
	SYS_process_vm_writev,
#ifdef SYS_mount
	SYS_mount,
#endif
	SYS_umount2,
	SYS_pivot_root,
	SYS_chroot,
	SYS_setns,
	SYS_unshare,
	SYS_init_module,
	SYS_finit_module,
	SYS_delete_module,
	SYS_kexec_load,
#ifdef SYS_kexec_file_load
	SYS_kexec_file_load,
#endif
	SYS_bpf,
	SYS_perf_event_open,
	SYS_reboot,
	SYS_swapon,
	SYS_swapoff,
	SYS_acct,
	SYS_keyctl,
	SYS_add_key,
	SYS_request_key,
	SYS_userfaultfd,
	SYS_open_by_handle_at,
	SYS_name_to_handle_at,
	SYS_settimeofday,
	SYS_clock_settime,
	SYS_adjtimex,
	SYS_clock_adjtime,
	SYS_sethostname,
	SYS_setdomainname,
#ifdef SYS_iopl
	SYS_iopl,
#endif
#ifdef SYS_ioperm
	SYS_ioperm,
#endif
#ifdef SYS_fsopen
	SYS_fsopen,
	SYS_fsconfig,
	SYS_fsmount,
	SYS_fspick,
	SYS_move_mount,
	SYS_open_tree,
#endif
#ifdef SYS_mount_setattr
	SYS_mount_setattr,
#endif
	-1,
};

#define DENY BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA))

int privsep_filter_install(void)
{
#ifndef NATIVE_ARCH
	return -ENOSYS; /* an architecture without a known audit value: no filter */
#else
	struct sock_filter prog[8 + DENY_LIST_MAX * 1 + 2];
	struct sock_fprog fprog = { .filter = prog };
	size_t n = 0, ndeny = 0;

	while (denied[ndeny] != -1)
		ndeny++;
	if (ndeny > DENY_LIST_MAX)
		return -E2BIG;
	prog[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
						 offsetof(struct seccomp_data, arch));
	/* another ABI (i386 or x32 on x86_64) has other numbers: nothing passes */
	prog[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NATIVE_ARCH, 1, 0);
	prog[n++] = (struct sock_filter)DENY;
	prog[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
						 offsetof(struct seccomp_data, nr));
#if defined(__x86_64__)
	prog[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000u, 0, 1);
	prog[n++] = (struct sock_filter)DENY;
#endif
	/* each match jumps to the DENY after the list; no match falls to ALLOW */
	for (size_t i = 0; i < ndeny; i++)
		prog[n++] =
			(struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)denied[i],
						     (unsigned char)(ndeny - i), 0);
	prog[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	prog[n++] = (struct sock_filter)DENY;
	fprog.len = (unsigned short)n;
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog, 0, 0) < 0)
		return -errno;
	return 0;
#endif
}
