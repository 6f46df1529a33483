// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Downloads as nobody: when cdnallow runs as root, the URL requests of a run
 * go to a forked child that drops to an unprivileged user (_cdnallow when the
 * package created it, else nobody) with no capabilities, no new privileges
 * and no ptrace by its peers, before libcurl and OpenSSL touch a byte from
 * the network. The child also parses what it downloads, as it arrives (text
 * lists are never held whole; jansson and the
 * provider parsers never see those bytes as root) and sends back, over a
 * pipe, only the parsed prefixes and the validators (privsep_wire.h); the
 * parent checks every length, field and prefix before it believes any of
 * it, and the guard then runs in the parent as for any list. Local files
 * stay with the parent (they may be readable by root only), and so does the
 * CA file: the child reads it into memory before it drops root. Once
 * unprivileged, the child also installs a seccomp deny-list
 * (privsep_filter.c), and only then loads libcurl (curl_dl.h).
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
#include "prefix_set.h"
#include "privsep_filter.h"
#include "privsep_wire.h"
#include "source.h"
#include "source_stream.h"
#include "strbuf.h"

#define PRIV_USER "_cdnallow"
#define NOBODY 65534
#define CA_FILE_MAX (16u << 20)

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

/* A download parsed as it arrives (fetch_req.sink): the request and its stream. */
struct req_stream {
	struct fetch_req *r;
	struct source_stream *ss;
};

static void stream_drop(struct req_stream *rs)
{
	struct fetch_req *r = rs->r;

	source_stream_free(rs->ss);
	rs->ss = NULL;
	prefix_set_free(r->prefixes);
	r->prefixes = NULL;
	diag_release(&r->parse_diag);
	diag_init(&r->parse_diag);
}

static int stream_sink(void *ctx, const char *buf, size_t len)
{
	struct req_stream *rs = ctx;
	struct fetch_req *r = rs->r;
	int ret;

	if (buf) {
		ret = rs->ss ? source_stream_feed(rs->ss, buf, len) : -ENOMEM;
		/* a bad line is the parse's outcome, told when the body is complete */
		return ret == -ENOMEM ? ret : 0;
	}
	stream_drop(rs);
	r->prefixes = prefix_set_new();
	if (r->prefixes)
		rs->ss =
			source_stream_new(r->src, r->idx, r->prefixes, r->prefixes, &r->parse_diag);
	return rs->ss ? 0 : -ENOMEM;
}

/* Downloads to parse are parsed as they arrive: the sinks' state, n of them; NULL: no memory. */
static struct req_stream *stream_downloads(struct fetch_req *reqs, size_t n)
{
	struct req_stream *rs = calloc(n ? n : 1, sizeof(*rs));

	for (size_t i = 0; rs && i < n; i++) {
		rs[i].r = &reqs[i];
		if (reqs[i].src && source_is_url(reqs[i].url)) {
			reqs[i].sink = stream_sink;
			reqs[i].sink_ctx = &rs[i];
		}
	}
	return rs;
}

static void set_parse_err(struct fetch_req *r)
{
	if (r->parse_err) {
		prefix_set_free(r->prefixes);
		r->prefixes = NULL;
		if (!r->parse_diag.msg[0])
			diag_err(&r->parse_diag, "%s", strerror(-r->parse_err));
	}
}

/* Parses r's body with its source's parser; a download's raw body goes right after. */
static void parse_req(struct fetch_req *r)
{
	struct req_stream *rs = r->sink ? r->sink_ctx : NULL;

	if (rs && r->sunk && !r->err && rs->ss) {
		r->parsed = true;
		r->parse_err = source_stream_finish(rs->ss);
		source_stream_free(rs->ss);
		rs->ss = NULL;
		set_parse_err(r);
		return;
	}
	if (rs)
		stream_drop(rs);
	if (!r->src || r->err || r->not_modified || !r->body)
		return;
	diag_init(&r->parse_diag);
	r->parsed = true;
	r->prefixes = prefix_set_new();
	r->parse_err = !r->prefixes
			       ? -ENOMEM
			       : source_parse_endpoint(r->src, r->idx, r->body, r->len, r->prefixes,
						       r->prefixes, &r->parse_diag);
	set_parse_err(r);
	if (source_is_url(r->url)) {
		free(r->body);
		r->body = NULL;
		r->len = 0;
	}
}

static void parse_all(struct fetch_req *reqs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		parse_req(&reqs[i]);
}

/* fetch_many, downloads parsed as they arrive (never held whole), then every body parsed. */
static int fetch_and_parse(struct fetch_req *reqs, size_t n, const struct fetch_opts *o)
{
	struct req_stream *rs = stream_downloads(reqs, n);
	int ret;

	ret = fetch_many(reqs, n, o);
	parse_all(reqs, n);
	for (size_t i = 0; i < n; i++) {
		reqs[i].sink = NULL;
		reqs[i].sink_ctx = NULL;
	}
	free(rs);
	return ret;
}

static int send_one(int fd, struct fetch_req *r)
{
	struct strbuf sb = { 0 };
	int ret;

	parse_req(r);
	ret = privsep_encode(r, &sb);
	if (ret == 0)
		ret = write_all(fd, sb.buf, sb.len);
	strbuf_release(&sb);
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
	/* defence in depth, not a condition: the child is unprivileged already */
	if (status == 0)
		(void)privsep_filter_install();
	if (write_all(3, &status, sizeof(status)) < 0 || status < 0)
		_exit(1);
	(void)stream_downloads(net, n); /* freed by the exit */
	/*
	 * fetch_many dlopen()s libcurl here, after the drop and the filter, on
	 * purpose: its ~30 libraries' constructors (OpenSSL's among them) then
	 * never run as root, and the root process never maps them. Neither
	 * stops the load: it opens, reads and maps world-readable files, and the
	 * deny-list has no open, mmap or mprotect (the resolver's NSS modules are
	 * loaded the same way). Should it fail, the downloads fail with the
	 * loader's message and the last good lists are used.
	 */
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

/* One message, believed only within the limits the parent set itself. */
static int recv_one(int fd, struct fetch_req *r, size_t max_frame, char *why, size_t whylen)
{
	uint8_t lb[4];
	uint8_t *buf = NULL;
	size_t len;
	int ret = read_all(fd, lb, sizeof(lb));

	if (ret < 0) {
		snprintf(why, whylen, "its answer ended early");
		return ret;
	}
	len = (size_t)lb[0] | (size_t)lb[1] << 8 | (size_t)lb[2] << 16 | (size_t)lb[3] << 24;
	if (len > max_frame) {
		snprintf(why, whylen, "a message of %zu bytes (at most %zu)", len, max_frame);
		return -EBADMSG;
	}
	buf = malloc(len ? len : 1);
	if (!buf)
		return -ENOMEM;
	ret = read_all(fd, buf, len);
	if (ret < 0)
		snprintf(why, whylen, "its answer ended early");
	else
		ret = privsep_decode(buf, len, r, why, whylen);
	free(buf);
	return ret;
}

static bool is_download(const struct fetch_req *r, const struct fetch_opts *o)
{
	return source_is_url(r->url) && !o->offline;
}

/* Runs the child and fills net[] from its answers; -EPERM when it could not drop root. */
static int run_child(struct fetch_req *net, size_t n, const struct fetch_opts *o, size_t max,
		     char *why, size_t whylen)
{
	/* prefixes (18 bytes each) of a body of max bytes, plus the warnings */
	size_t max_frame = max > SIZE_MAX / 8 ? SIZE_MAX / 2 : 4 * max + (1u << 20);
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
	if (ret < 0)
		snprintf(why, whylen, "it ended before dropping root");
	if (ret == 0 && status < 0)
		ret = status == -EPERM || status == -EINVAL ? -EPERM : status;
	for (size_t i = 0; ret == 0 && i < n; i++)
		ret = recv_one(fds[0], &net[i], max_frame, why, whylen);
	close(fds[0]);
	while (waitpid(pid, &wst, 0) < 0 && errno == EINTR)
		;
	if (ret == 0 && !(WIFEXITED(wst) && WEXITSTATUS(wst) == 0)) {
		snprintf(why, whylen, "it exited with status 0x%x", (unsigned)wst);
		ret = -EBADMSG;
	}
	return ret;
}

static void fail_all(struct fetch_req *net, size_t n, int err, const char *why)
{
	for (size_t i = 0; i < n; i++) {
		if (net[i].err)
			continue;
		/* nothing from a downloader that broke its protocol is believed */
		fetch_req_release(&net[i]);
		net[i].not_modified = false;
		net[i].err = -EIO;
		snprintf(net[i].errmsg, sizeof(net[i].errmsg),
			 "the unprivileged downloader failed: %s", why[0] ? why : strerror(-err));
	}
}

int fetch_many_unprivileged(struct fetch_req *reqs, size_t n, const struct fetch_opts *o,
			    struct diag *d)
{
	size_t max = fetch_max_size(o), nnet = 0, k = 0;
	struct fetch_req *net = NULL, *loc = NULL;
	char why[160] = "";
	size_t nloc = 0;
	int ret;

	for (size_t i = 0; i < n; i++)
		nnet += is_download(&reqs[i], o);
	if (geteuid() != 0 || nnet == 0) {
		ret = fetch_and_parse(reqs, n, o);
		return ret;
	}
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
	parse_all(loc, nloc);
	if (ret == 0)
		ret = run_child(net, nnet, o, max, why, sizeof(why));
	if (ret == -EPERM) {
		diag_warn(d, "cannot drop root for the downloads (CAP_SETUID/CAP_SETGID missing, "
			     "or setuid filtered): downloading and parsing as root");
		for (size_t i = 0; i < nnet; i++)
			fetch_req_release(&net[i]);
		ret = fetch_and_parse(net, nnet, o);
	} else if (ret < 0) {
		fail_all(net, nnet, ret, why);
	}
	for (size_t i = 0, j = 0, l = 0; i < n; i++)
		reqs[i] = is_download(&reqs[i], o) ? net[j++] : loc[l++];
	ret = ret == -ENOMEM ? ret : 0;
out:
	free(net);
	free(loc);
	return ret;
}
