// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The download child's seccomp filter (src/sources/privsep_filter.c), in a
 * forked process with no_new_privs as the child has it: denied calls (ptrace,
 * unshare, mount, bpf, init_module, keyctl, an x32 system call on x86_64)
 * fail with EPERM; what a download needs still works (a socket, getaddrinfo
 * of a numeric address, a thread, reading a file, getrandom).
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../src/sources/privsep_filter.h"

static void *thread_fn(void *arg)
{
	return arg;
}

/* 0 when every expectation held, else the number of the first that failed. */
static int child_checks(void)
{
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST }, *ai = NULL;
	char buf[16];
	pthread_t t;
	int fd;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || privsep_filter_install() < 0)
		return 1;
	if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) != -1 || errno != EPERM)
		return 2;
	if (unshare(CLONE_NEWUSER) != -1 || errno != EPERM)
		return 3;
	if (mount("none", "/tmp", "tmpfs", 0, NULL) != -1 || errno != EPERM)
		return 4;
	if (syscall(SYS_bpf, 0, NULL, 0) != -1 || errno != EPERM)
		return 5;
	if (syscall(SYS_init_module, NULL, 0, "") != -1 || errno != EPERM)
		return 6;
	if (syscall(SYS_keyctl, 0, 0, 0, 0, 0) != -1 || errno != EPERM)
		return 7;
#if defined(__x86_64__)
	/* getpid through the x32 ABI (bit 30): another ABI, denied before the kernel looks */
	if (syscall(0x40000000L | SYS_getpid) != -1 || errno != EPERM)
		return 8;
#endif
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return 9;
	close(fd);
	if (getaddrinfo("192.0.2.1", "443", &hints, &ai) != 0)
		return 10;
	freeaddrinfo(ai);
	if (pthread_create(&t, NULL, thread_fn, NULL) != 0 || pthread_join(t, NULL) != 0)
		return 11;
	fd = open("/proc/self/status", O_RDONLY);
	if (fd < 0 || read(fd, buf, sizeof(buf)) <= 0)
		return 12;
	close(fd);
	if (getrandom(buf, sizeof(buf), 0) != (ssize_t)sizeof(buf))
		return 13;
	return 0;
}

static void filter_denies_and_allows(void **state)
{
	int wst = 0;
	pid_t pid;

	(void)state;
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(child_checks());
	assert_int_equal(waitpid(pid, &wst, 0), pid);
	assert_true(WIFEXITED(wst));
	assert_int_equal(WEXITSTATUS(wst), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(filter_denies_and_allows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
