/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Runs one external program (iptables, ipset, ufw, firewall-cmd) from an argv
 * array, never through a shell: optional stdin buffer, captured stdout/stderr
 * up to a cap each, exit status, and a timeout after which the child is killed.
 * Backends use it for firewalls that offer no library interface.
 */
#ifndef CDNALLOW_SPAWN_H
#define CDNALLOW_SPAWN_H

#include <stdbool.h>
#include <stddef.h>

struct diag;

#define SPAWN_DEFAULT_OUT_CAP (64u << 20) /* an `ipset save` of 1M entries is ~25 MiB */
#define SPAWN_DEFAULT_ERR_CAP (64u << 10)

struct spawn_opts {
	/*
	 * NULL-terminated; argv[0] without '/' is looked up in the absolute entries of $PATH, then
	 * in /usr/local/sbin, /usr/sbin, /sbin, /usr/bin, /bin (cron's PATH lacks sbin).
	 */
	const char *const *argv;
	const char *const *envp; /* NULL: inherit the caller's environment */
	const char *in;		 /* written to the child's stdin, then EOF; NULL: /dev/null */
	size_t in_len;
	size_t out_cap;	     /* bytes of stdout kept (the rest is read and dropped); 0: default */
	size_t err_cap;	     /* same for stderr; 0: default */
	bool discard_out;    /* stdout goes to /dev/null */
	unsigned timeout_ms; /* 0: no limit; on expiry the child gets SIGKILL */
	const char *what;    /* name in messages ("ipset restore"); NULL: argv[0] */
	/* On expiry SIGTERM first, SIGKILL this long after; 0: SIGKILL at once. */
	unsigned term_grace_ms;
	/*
	 * The child leads a new process group and the timeout's signals go to the
	 * whole group, so a script's own children do not outlive it.
	 */
	bool own_group;
	bool keep_tail; /* out_cap/err_cap keep the last bytes, not the first */
};

struct spawn_result {
	char *out; /* NUL-terminated, owned; never NULL after a successful spawn_run */
	size_t out_len;
	bool out_truncated;
	char *err; /* NUL-terminated, owned */
	size_t err_len;
	bool err_truncated;
	int status;	/* exit status 0..255, or -1 when killed by a signal */
	int signal;	/* the terminating signal, or 0 */
	bool timed_out; /* killed because timeout_ms expired */
};

/*
 * Runs o->argv to completion. Returns 0 when the program ran (whatever its exit
 * status: look at r->status), -ENOENT when it is not installed, -ETIMEDOUT when
 * it was killed for taking too long, other negative errno when it could not be
 * started; d names the program. r must be released with spawn_result_release()
 * whatever the return value.
 */
int spawn_run(const struct spawn_opts *o, struct spawn_result *r, struct diag *d);
/*
 * spawn_run() that also treats a non-zero exit as failure (-EIO), with
 * "WHAT failed: <stderr>" (or the exit status/signal when stderr is empty) in d.
 */
int spawn_run_checked(const struct spawn_opts *o, struct spawn_result *r, struct diag *d);
/*
 * Maps a finished run to 0 (exit 0) or -EIO with spawn_run_checked()'s message
 * in d; -EFBIG when stdout was cut at out_cap (a partial dump is never whole).
 */
int spawn_check(const struct spawn_opts *o, const struct spawn_result *r, struct diag *d);
/* Frees the captured output; the struct may be reused. r may be NULL. */
void spawn_result_release(struct spawn_result *r);
/* Finds name like spawn_run() would into buf; false when absent or not executable. */
bool spawn_find_program(const char *name, char *buf, size_t size);

#endif
