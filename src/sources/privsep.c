// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Downloads as nobody: when cdnallow runs as root, the URL requests of a run
 * go to a forked child that drops to an unprivileged user (_cdnallow when the
 * package created it, else nobody) with no capabilities, no new privileges
 * and no ptrace by its peers, before libcurl and OpenSSL touch a byte from
 * the network. The child sends each result back over a pipe; the parent
 * checks every length and field before it believes any of it. Local files
 * stay with the parent (they may be readable by root only), and so does the
 * CA file: the child reads it into memory before it drops root.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "diag.h"
#include "fetch.h"
#include "fileio.h"
#include "source.h"

#define PRIV_USER "_cdnallow"
#define NOBODY 65534
#define MAX_HEADER_VALUE 8192
#define CA_FILE_MAX (16u << 20)

struct wire {
	int32_t err;
	int32_t http_status;
	uint32_t attempts;
	uint8_t not_modified, has_body, has_etag, has_lm;
	uint64_t body_len;
	uint32_t etag_len, lm_len;
	char errmsg[256];
};

static void unprivileged_ids(uid_t *uid, gid_t *gid)
{
	struct passwd *pw = getpwnam(PRIV_USER);

	if (!pw)
		pw = getpwnam("nobody");
	*uid = pw && pw->pw_uid ? pw->pw_uid : NOBODY;
	*gid = pw && pw->pw_uid ? pw->pw_gid : NOBODY;
}

/* After this, neither root nor any capability can come back (setresuid from 0 clears them). */
static int drop(uid_t uid, gid_t gid)
{
	if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0)
		return -errno;
	if (getuid() != uid || geteuid() != uid || setuid(0) == 0)
		return -EPERM;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return -errno;
	return 0;
}

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int send_one(int fd, const struct fetch_req *r)
{
	struct wire w = { .err = r->err,
			  .http_status = (int32_t)r->http_status,
			  .attempts = r->attempts,
			  .not_modified = r->not_modified,
			  .has_body = r->body != NULL,
			  .has_etag = r->new_etag != NULL,
			  .has_lm = r->new_last_modified != NULL,
			  .body_len = r->body ? r->len : 0,
			  .etag_len = r->new_etag ? (uint32_t)strlen(r->new_etag) : 0,
			  .lm_len = r->new_last_modified ? (uint32_t)strlen(r->new_last_modified)
							 : 0 };
	int ret;

	memcpy(w.errmsg, r->errmsg, sizeof(w.errmsg));
	ret = write_all(fd, &w, sizeof(w));
	if (ret == 0 && w.has_body)
		ret = write_all(fd, r->body, r->len);
	if (ret == 0 && w.has_etag)
		ret = write_all(fd, r->new_etag, w.etag_len);
	if (ret == 0 && w.has_lm)
		ret = write_all(fd, r->new_last_modified, w.lm_len);
	return ret;
}

/* The child: never returns. First word on the pipe: 0, or why dropping root failed. */
static void child(int fd, struct fetch_req *net, size_t n, const struct fetch_opts *o, uid_t uid,
		  gid_t gid)
{
	struct fetch_opts co = *o;
	char *ca = NULL;
	size_t ca_len = 0;
	int32_t status;

	if (dup2(fd, 3) < 0)
		_exit(127);
	close_range(4, ~0U, 0); /* the netlink socket, the lock, the cache: not for nobody */
	if (o->ca_file && file_read_all(o->ca_file, CA_FILE_MAX, &ca, &ca_len) == 0) {
		co.ca_blob = ca;
		co.ca_blob_len = ca_len;
	}
	status = drop(uid, gid);
	if (write_all(3, &status, sizeof(status)) < 0 || status < 0)
		_exit(1);
	fetch_many(net, n, &co);
	for (size_t i = 0; i < n; i++)
		if (send_one(3, &net[i]) < 0)
			_exit(1);
	_exit(0);
}

static int read_all(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len) {
		ssize_t n = read(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -EBADMSG;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int read_str(int fd, bool has, size_t len, size_t max, char **out)
{
	char *s;

	*out = NULL;
	if (!has)
		return len ? -EBADMSG : 0;
	if (len > max)
		return -EBADMSG;
	s = malloc(len + 1);
	if (!s)
		return -ENOMEM;
	if (read_all(fd, s, len) < 0 || memchr(s, '\0', len)) {
		free(s);
		return -EBADMSG;
	}
	s[len] = '\0';
	*out = s;
	return 0;
}

/* One result, believed only within the limits the parent set itself. */
static int recv_one(int fd, struct fetch_req *r, size_t max)
{
	struct wire w;
	int ret = read_all(fd, &w, sizeof(w));

	if (ret < 0)
		return ret;
	w.errmsg[sizeof(w.errmsg) - 1] = '\0';
	if (w.err > 0 || w.err < -4095 || w.http_status < 0 || w.http_status > 999 ||
	    w.not_modified > 1 || (w.err && w.has_body) || w.body_len > max ||
	    w.etag_len > MAX_HEADER_VALUE || w.lm_len > MAX_HEADER_VALUE)
		return -EBADMSG;
	if (!w.has_body && w.body_len)
		return -EBADMSG;
	/* a body may hold NUL bytes (the parsers refuse them): its length is what counts */
	if (w.has_body) {
		r->body = malloc((size_t)w.body_len + 1);
		ret = !r->body ? -ENOMEM : read_all(fd, r->body, (size_t)w.body_len);
		if (ret == 0)
			r->body[w.body_len] = '\0';
	}
	if (ret == 0)
		ret = read_str(fd, w.has_etag, w.etag_len, MAX_HEADER_VALUE, &r->new_etag);
	if (ret == 0)
		ret = read_str(fd, w.has_lm, w.lm_len, MAX_HEADER_VALUE, &r->new_last_modified);
	r->err = w.err;
	r->http_status = w.http_status;
	r->attempts = w.attempts;
	r->not_modified = w.not_modified;
	r->len = r->body ? (size_t)w.body_len : 0;
	memcpy(r->errmsg, w.errmsg, sizeof(r->errmsg));
	return ret;
}

static bool is_download(const struct fetch_req *r, const struct fetch_opts *o)
{
	return source_is_url(r->url) && !o->offline;
}

/* Runs the child and fills net[] from its answers; -EPERM when it could not drop root. */
static int run_child(struct fetch_req *net, size_t n, const struct fetch_opts *o, size_t max)
{
	int fds[2], ret = 0, wst = 0;
	int32_t status = 0;
	uid_t uid;
	gid_t gid;
	pid_t pid;

	unprivileged_ids(&uid, &gid);
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		ret = -errno;
		close(fds[0]);
		close(fds[1]);
		return ret;
	}
	if (pid == 0) {
		close(fds[0]);
		child(fds[1], net, n, o, uid, gid);
	}
	close(fds[1]);
	ret = read_all(fds[0], &status, sizeof(status));
	if (ret == 0 && status < 0)
		ret = status == -EPERM || status == -EINVAL ? -EPERM : status;
	for (size_t i = 0; ret == 0 && i < n; i++)
		ret = recv_one(fds[0], &net[i], max);
	close(fds[0]);
	while (waitpid(pid, &wst, 0) < 0 && errno == EINTR)
		;
	if (ret == 0 && !(WIFEXITED(wst) && WEXITSTATUS(wst) == 0))
		ret = -EBADMSG;
	return ret;
}

static void fail_all(struct fetch_req *net, size_t n, int err)
{
	for (size_t i = 0; i < n; i++) {
		if (net[i].err)
			continue;
		/* nothing from a downloader that broke its protocol is believed */
		fetch_req_release(&net[i]);
		net[i].not_modified = false;
		net[i].err = -EIO;
		snprintf(net[i].errmsg, sizeof(net[i].errmsg),
			 "the unprivileged downloader failed: %s", strerror(-err));
	}
}

int fetch_many_unprivileged(struct fetch_req *reqs, size_t n, const struct fetch_opts *o,
			    struct diag *d)
{
	size_t max = o->max_size ? o->max_size : FETCH_DEFAULT_MAX_SIZE, nnet = 0, k = 0;
	struct fetch_req *net = NULL, *loc = NULL;
	size_t nloc = 0;
	int ret;

	for (size_t i = 0; i < n; i++)
		nnet += is_download(&reqs[i], o);
	if (geteuid() != 0 || nnet == 0)
		return fetch_many(reqs, n, o);
	net = calloc(nnet, sizeof(*net));
	loc = calloc(n - nnet + 1, sizeof(*loc));
	if (!net || !loc) {
		ret = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (is_download(&reqs[i], o))
			net[k++] = reqs[i];
		else
			loc[nloc++] = reqs[i];
	}
	/* local files as root: they may be readable by root only */
	ret = fetch_many(loc, nloc, o);
	if (ret == 0)
		ret = run_child(net, nnet, o, max);
	if (ret == -EPERM) {
		diag_warn(d, "cannot drop root for the downloads (CAP_SETUID/CAP_SETGID missing, "
			     "or setuid filtered): downloading as root");
		for (size_t i = 0; i < nnet; i++)
			fetch_req_release(&net[i]);
		ret = fetch_many(net, nnet, o);
	} else if (ret < 0) {
		fail_all(net, nnet, ret);
	}
	for (size_t i = 0, j = 0, l = 0; i < n; i++)
		reqs[i] = is_download(&reqs[i], o) ? net[j++] : loc[l++];
	ret = ret == -ENOMEM ? ret : 0;
out:
	free(net);
	free(loc);
	return ret;
}
