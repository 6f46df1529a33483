// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Runs an external firewall tool from an argv array with fork/execve: stdin fed
 * from a buffer, stdout/stderr captured up to a cap, a deadline enforced with
 * SIGKILL. Never goes through a shell, never changes the caller's signal
 * dispositions or prints anything; the child starts with default signals.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "diag.h"
#include "spawn.h"
#include "strbuf.h"

extern char **environ;

static const char *const fallback_path = "/usr/local/sbin:/usr/sbin:/sbin:/usr/bin:/bin";

struct sink {
	struct strbuf sb;
	size_t cap;
	bool truncated;
	bool tail; /* keep the last cap bytes: a failing script's last words explain it */
};

static bool is_executable(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

static bool search_dirs(const char *dirs, const char *name, char *buf, size_t size)
{
	const char *p = dirs;

	while (p && *p) {
		const char *colon = strchr(p, ':');
		size_t dlen = colon ? (size_t)(colon - p) : strlen(p);
		int n;

		/*
		 * An empty or relative PATH entry is relative to the current directory,
		 * which is no place to take a program run as root from.
		 */
		if (dlen > 0 && *p == '/') {
			n = snprintf(buf, size, "%.*s/%s", (int)dlen, p, name);
			if (n > 0 && (size_t)n < size && is_executable(buf))
				return true;
		}
		p = colon ? colon + 1 : NULL;
	}
	return false;
}

bool spawn_find_program(const char *name, char *buf, size_t size)
{
	const char *path = getenv("PATH");

	if (!name || !*name || size == 0)
		return false;
	if (strchr(name, '/')) {
		if (strlen(name) >= size || !is_executable(name))
			return false;
		memcpy(buf, name, strlen(name) + 1);
		return true;
	}
	if (path && search_dirs(path, name, buf, size))
		return true;
	return search_dirs(fallback_path, name, buf, size);
}

static int monotonic_ms(int64_t *now)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
		return -errno;
	*now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	return 0;
}

/* Keeps fds 0-2 free for the child's dup2 and off the child's inherited set. */
static int fd_above_stdio(int fd)
{
	int nfd;

	if (fd > 2)
		return fd;
	nfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	close(fd);
	return nfd < 0 ? -errno : nfd;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static int make_pipe(int fds[2])
{
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	fds[0] = fd_above_stdio(fds[0]);
	fds[1] = fd_above_stdio(fds[1]);
	if (fds[0] < 0 || fds[1] < 0)
		return -EMFILE;
	return 0;
}

static int sink_read(struct sink *s, int fd, bool *eof)
{
	char tmp[65536];
	ssize_t n = read(fd, tmp, sizeof(tmp));
	size_t keep;
	int ret;

	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	if (n == 0) {
		*eof = true;
		return 0;
	}
	if (s->tail) {
		ret = strbuf_add(&s->sb, tmp, (size_t)n);
		if (ret == 0 && s->sb.len > s->cap) {
			memmove(s->sb.buf, s->sb.buf + s->sb.len - s->cap, s->cap);
			s->sb.len = s->cap;
			s->sb.buf[s->cap] = '\0';
			s->truncated = true;
		}
		return ret;
	}
	keep = (size_t)n;
	if (keep > s->cap - s->sb.len) {
		keep = s->cap - s->sb.len;
		s->truncated = true;
	}
	return strbuf_add(&s->sb, tmp, keep);
}

static int sink_finish(struct sink *s, char **out, size_t *len, bool *truncated)
{
	*out = strbuf_detach(&s->sb, len);
	*truncated = s->truncated;
	return *out ? 0 : -ENOMEM;
}

/*
 * Runs in the forked child: only async-signal-safe calls until execve. The
 * exec error travels back through a close-on-exec pipe.
 */
static void exec_child(const struct spawn_opts *o, const char *path, int in_fd, int out_fd,
		       int err_fd, int report_fd)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigset_t none;
	int e, null_fd = -1;

	for (int sig = 1; sig < NSIG; sig++)
		sigaction(sig, &dfl, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (o->own_group)
		setpgid(0, 0);
	if (in_fd < 0 || o->discard_out) {
		null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (null_fd < 0)
			goto fail;
	}
	if (dup2(in_fd >= 0 ? in_fd : null_fd, 0) < 0 ||
	    dup2(o->discard_out ? null_fd : out_fd, 1) < 0 || dup2(err_fd, 2) < 0)
		goto fail;
	execve(path, (char *const *)o->argv, o->envp ? (char *const *)o->envp : environ);
fail:
	e = errno;
	if (write(report_fd, &e, sizeof(e)) < 0)
		_exit(127);
	_exit(127);
}

static int start_child(const struct spawn_opts *o, const char *path, int in_fd, int out_fd,
		       int err_fd, pid_t *pid)
{
	int rep[2], e = 0, ret = 0;
	ssize_t n;

	/* fds 0-2 of the child are overwritten by dup2, so rep must sit above them */
	ret = make_pipe(rep);
	if (ret)
		return ret;
	*pid = fork();
	if (*pid < 0) {
		ret = -errno;
		goto out;
	}
	if (*pid == 0)
		exec_child(o, path, in_fd, out_fd, err_fd, rep[1]);
	/* both sides set it: whichever runs first, no signal reaches the wrong group */
	if (o->own_group)
		setpgid(*pid, *pid);
	close_fd(&rep[1]);
	do {
		n = read(rep[0], &e, sizeof(e));
	} while (n < 0 && errno == EINTR);
	if (n == (ssize_t)sizeof(e)) {
		waitpid(*pid, NULL, 0);
		*pid = -1;
		ret = -(e ? e : EIO);
	}
out:
	close_fd(&rep[0]);
	close_fd(&rep[1]);
	return ret;
}

struct io {
	int in, out, err; /* parent ends, -1 when closed */
	const char *inbuf;
	size_t inlen, inoff;
	struct sink so, se;
};

static int io_step(struct io *io, int wait_ms)
{
	struct pollfd p[3];
	nfds_t n = 0;
	int ret, i_in = -1, i_out = -1, i_err = -1;

	if (io->in >= 0) {
		i_in = (int)n;
		p[n++] = (struct pollfd){ .fd = io->in, .events = POLLOUT };
	}
	if (io->out >= 0) {
		i_out = (int)n;
		p[n++] = (struct pollfd){ .fd = io->out, .events = POLLIN };
	}
	if (io->err >= 0) {
		i_err = (int)n;
		p[n++] = (struct pollfd){ .fd = io->err, .events = POLLIN };
	}
	ret = poll(p, n, wait_ms);
	if (ret < 0)
		return errno == EINTR ? 0 : -errno;
	if (i_in >= 0 && p[i_in].revents) {
		/* a socket, not a pipe: MSG_NOSIGNAL spares the caller a SIGPIPE */
		ssize_t w = send(io->in, io->inbuf + io->inoff, io->inlen - io->inoff,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w > 0)
			io->inoff += (size_t)w;
		/* a child that stops reading early is its own business: its exit status tells */
		if ((w < 0 && errno != EAGAIN && errno != EINTR) || io->inoff == io->inlen)
			close_fd(&io->in);
	}
	for (int k = 0; k < 2; k++) {
		int idx = k ? i_err : i_out;
		int *fd = k ? &io->err : &io->out;
		bool eof = false;

		if (idx < 0 || !p[idx].revents)
			continue;
		ret = sink_read(k ? &io->se : &io->so, *fd, &eof);
		if (ret < 0)
			return ret;
		if (eof)
			close_fd(fd);
	}
	return 0;
}

static int remaining_ms(int64_t deadline, int *left)
{
	int64_t now = 0;
	int ret;

	if (deadline < 0) {
		*left = -1;
		return 0;
	}
	ret = monotonic_ms(&now);
	if (ret < 0)
		return ret;
	*left = now >= deadline ? 0
				: (int)(deadline - now > INT32_MAX ? INT32_MAX : deadline - now);
	return 0;
}

static void signal_child(pid_t pid, bool group, int sig)
{
	if (!group || kill(-pid, sig) < 0)
		kill(pid, sig);
}

/*
 * At the deadline: SIGTERM and a grace period when asked for, else (or after
 * it) SIGKILL. *deadline moves to the end of the grace, or to -1 (no limit).
 */
static void expire(pid_t pid, const struct spawn_opts *o, int64_t *deadline, struct spawn_result *r)
{
	int64_t now = 0;

	if (!r->timed_out && o->term_grace_ms && monotonic_ms(&now) == 0) {
		signal_child(pid, o->own_group, SIGTERM);
		*deadline = now + o->term_grace_ms;
	} else {
		signal_child(pid, o->own_group, SIGKILL);
		*deadline = -1;
	}
	r->timed_out = true;
}

/* Waits for the child, ending it at the deadline; sets r->status/signal/timed_out. */
static int reap(pid_t pid, int64_t deadline, const struct spawn_opts *o, struct spawn_result *r)
{
	siginfo_t si;
	int st = 0, left;

	for (;;) {
		/* WNOWAIT: the exited leader keeps its pid, so its group is still ours to kill */
		memset(&si, 0, sizeof(si));
		if (waitid(P_PID, (id_t)pid, &si,
			   WEXITED | WNOWAIT | (deadline < 0 ? 0 : WNOHANG)) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (si.si_pid == pid)
			break;
		if (remaining_ms(deadline, &left) < 0 || left == 0) {
			expire(pid, o, &deadline, r);
			continue;
		}
		nanosleep(&(struct timespec){ .tv_nsec = 2000000 }, NULL);
	}
	if (r->timed_out && o->own_group)
		kill(-pid, SIGKILL);
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (WIFEXITED(st)) {
		r->status = WEXITSTATUS(st);
	} else {
		r->status = -1;
		r->signal = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
	}
	return 0;
}

/* The fds between parent and child before the child runs; -1 when closed or handed on. */
struct chan {
	int in_pair[2], out_pipe[2], err_pipe[2];
};

static void chan_close(struct chan *c)
{
	for (int i = 0; i < 2; i++) {
		close_fd(&c->in_pair[i]);
		close_fd(&c->out_pipe[i]);
		close_fd(&c->err_pipe[i]);
	}
}

/* The child's stdin (a socket, and only when there is input), stdout and stderr. */
static int chan_open(const struct spawn_opts *o, struct chan *c)
{
	int ret;

	if (o->in) {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, c->in_pair) < 0)
			return -errno;
		c->in_pair[0] = fd_above_stdio(c->in_pair[0]);
		c->in_pair[1] = fd_above_stdio(c->in_pair[1]);
		if (c->in_pair[0] < 0 || c->in_pair[1] < 0)
			return -EMFILE;
	}
	ret = make_pipe(c->out_pipe);
	if (!ret)
		ret = make_pipe(c->err_pipe);
	return ret;
}

/* Once the child runs: closes its ends, hands ours to io, non-blocking. */
static void chan_hand_over(struct chan *c, struct io *io)
{
	close_fd(&c->in_pair[0]);
	close_fd(&c->out_pipe[1]);
	close_fd(&c->err_pipe[1]);
	io->in = c->in_pair[1];
	c->in_pair[1] = -1;
	io->out = c->out_pipe[0];
	c->out_pipe[0] = -1;
	io->err = c->err_pipe[0];
	c->err_pipe[0] = -1;
	if (io->in >= 0 && io->inlen == 0)
		close_fd(&io->in);
	if (io->in >= 0)
		fcntl(io->in, F_SETFL, O_NONBLOCK);
	fcntl(io->out, F_SETFL, O_NONBLOCK);
	fcntl(io->err, F_SETFL, O_NONBLOCK);
}

/* Moves data until the child closed all three or the deadline passed; nonzero: I/O failed. */
static int pump(struct io *io, int64_t deadline)
{
	int ret = 0, left;

	while (io->in >= 0 || io->out >= 0 || io->err >= 0) {
		ret = remaining_ms(deadline, &left);
		if (ret)
			break;
		if (left == 0) {
			/* reap() sees the deadline has passed and kills */
			break;
		}
		ret = io_step(io, left);
		if (ret)
			break;
	}
	close_fd(&io->in);
	close_fd(&io->out);
	close_fd(&io->err);
	return ret;
}

/* Reaps the child (killed at once when the I/O failed: ret) and hands its output to r. */
static int collect(pid_t pid, int64_t deadline, int ret, const struct spawn_opts *o, struct io *io,
		   struct spawn_result *r)
{
	if (ret) {
		signal_child(pid, o->own_group, SIGKILL);
		reap(pid, -1, o, r);
	} else {
		ret = reap(pid, deadline, o, r);
	}
	if (!ret)
		ret = sink_finish(&io->so, &r->out, &r->out_len, &r->out_truncated);
	if (!ret)
		ret = sink_finish(&io->se, &r->err, &r->err_len, &r->err_truncated);
	return ret;
}

int spawn_run(const struct spawn_opts *o, struct spawn_result *r, struct diag *d)
{
	struct io io = { .in = -1, .out = -1, .err = -1 };
	struct chan c = { { -1, -1 }, { -1, -1 }, { -1, -1 } };
	const char *what;
	char path[4096];
	int64_t deadline = -1, now = 0;
	pid_t pid = -1;
	int ret;

	memset(r, 0, sizeof(*r));
	if (!o || !o->argv || !o->argv[0])
		return -EINVAL;
	what = o->what ? o->what : o->argv[0];
	if (!spawn_find_program(o->argv[0], path, sizeof(path))) {
		diag_err(d, "%s: program '%s' not found", what, o->argv[0]);
		return -ENOENT;
	}
	io.so.cap = o->out_cap ? o->out_cap : SPAWN_DEFAULT_OUT_CAP;
	io.se.cap = o->err_cap ? o->err_cap : SPAWN_DEFAULT_ERR_CAP;
	io.so.tail = io.se.tail = o->keep_tail;
	io.inbuf = o->in;
	io.inlen = o->in_len;
	ret = chan_open(o, &c);
	if (ret)
		goto out;
	if (o->timeout_ms) {
		ret = monotonic_ms(&now);
		if (ret)
			goto out;
		deadline = now + o->timeout_ms;
	}
	ret = start_child(o, path, c.in_pair[0], c.out_pipe[1], c.err_pipe[1], &pid);
	if (ret) {
		pid = -1;
		diag_err(d, "%s: cannot run '%s': %s", what, path, strerror(-ret));
		goto out;
	}
	chan_hand_over(&c, &io);
	ret = collect(pid, deadline, pump(&io, deadline), o, &io, r);
	pid = -1;
	if (!ret && r->timed_out) {
		diag_err(d, "%s timed out after %u ms", what, o->timeout_ms);
		ret = -ETIMEDOUT;
	} else if (ret && !r->timed_out) {
		diag_err(d, "%s: %s", what, strerror(-ret));
	}
out:
	if (pid > 0) {
		signal_child(pid, o->own_group, SIGKILL);
		reap(pid, -1, o, r);
	}
	chan_close(&c);
	close_fd(&io.in);
	close_fd(&io.out);
	close_fd(&io.err);
	strbuf_release(&io.so.sb);
	strbuf_release(&io.se.sb);
	return ret;
}

int spawn_check(const struct spawn_opts *o, const struct spawn_result *r, struct diag *d)
{
	const char *what = o->what ? o->what : o->argv[0];
	char msg[512];

	if (r->status == 0 && r->out_truncated && !o->discard_out) {
		/* a dump cut at the cap parses as a smaller, wrong ruleset */
		diag_err(d, "%s: output larger than %zu MiB, not used", what,
			 (o->out_cap ? o->out_cap : SPAWN_DEFAULT_OUT_CAP) >> 20);
		return -EFBIG;
	}
	if (r->status == 0)
		return 0;
	/* the first lines of stderr, joined; other control bytes are escaped at output */
	strbuf_one_line(msg, sizeof(msg), r->err, STRBUF_BLANK_BREAKS);
	if (msg[0])
		diag_err(d, "%s failed: %s", what, msg);
	else if (r->status > 0)
		diag_err(d, "%s failed: exit status %d", what, r->status);
	else
		diag_err(d, "%s failed: killed by signal %d", what, r->signal);
	return -EIO;
}

int spawn_run_checked(const struct spawn_opts *o, struct spawn_result *r, struct diag *d)
{
	int ret = spawn_run(o, r, d);

	return ret ? ret : spawn_check(o, r, d);
}

void spawn_result_release(struct spawn_result *r)
{
	if (!r)
		return;
	free(r->out);
	free(r->err);
	memset(r, 0, sizeof(*r));
}
