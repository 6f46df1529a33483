// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Doctor checks 6 and 7 (with --domain): where the name's A/AAAA records point
 * (the CDN, this host, or elsewhere) and whether the certificate this host
 * serves on 443 covers the name and is in date. Talks only to the resolver and
 * to this host's own port 443; never to the CDN.
 */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "curl_dl.h"
#include "diag.h"
#include "doctor.h"
#include "prefix_set.h"

static bool is_local(const struct prefix *p)
{
	struct ifaddrs *ifa = NULL, *it;
	bool found = false;

	if (getifaddrs(&ifa) < 0)
		return false;
	for (it = ifa; it && !found; it = it->ifa_next) {
		struct prefix q;
		const void *a;

		if (!it->ifa_addr || it->ifa_addr->sa_family != p->family)
			continue;
		a = p->family == AF_INET
			    ? (const void *)&((struct sockaddr_in *)it->ifa_addr)->sin_addr
			    : (const void *)&((struct sockaddr_in6 *)it->ifa_addr)->sin6_addr;
		prefix_from_bytes(p->family, a, p->family == AF_INET ? 32 : 128, &q);
		found = prefix_equal(&q, p);
	}
	freeifaddrs(ifa);
	return found;
}

static void check_dns(const struct doctor_ctx *c, const char *domain, struct findings *f)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL, *it;
	size_t proxied = 0, direct = 0, elsewhere = 0;
	char other[PREFIX_STRLEN] = "";
	int rc = getaddrinfo(domain, NULL, &hints, &res);

	if (rc != 0) {
		findings_add(f, "dns", SEV_ERROR, "create A/AAAA records for the name (proxied)",
			     "%s does not resolve: %s", domain, gai_strerror(rc));
		return;
	}
	for (it = res; it; it = it->ai_next) {
		struct prefix p;
		const void *a =
			it->ai_family == AF_INET
				? (const void *)&((struct sockaddr_in *)it->ai_addr)->sin_addr
				: (const void *)&((struct sockaddr_in6 *)it->ai_addr)->sin6_addr;

		if (prefix_from_bytes(it->ai_family, a, it->ai_family == AF_INET ? 32 : 128, &p) <
		    0)
			continue;
		if (prefix_set_contains(c->cdn, &p))
			proxied++;
		else if (is_local(&p))
			direct++;
		else if (!elsewhere++)
			prefix_format(&p, other, sizeof(other));
	}
	freeaddrinfo(res);
	if (direct && !proxied)
		findings_add(f, "dns", SEV_WARNING,
			     "turn on the CDN proxy for this record, or visitors bypass the CDN",
			     "%s points directly at this host, not through the CDN", domain);
	else if (elsewhere && !proxied && !direct)
		findings_add(f, "dns", SEV_ERROR,
			     "point the record (or the CDN's origin setting) at this host",
			     "%s resolves to %s, which is neither this host nor the CDN", domain,
			     other);
}

static size_t discard(void *p, size_t s, size_t n, void *u)
{
	(void)p;
	(void)u;
	return s * n;
}

/* One HEAD request to this host's 443 with SNI = domain. */
static CURLcode probe_tls(const char *domain, bool verify_peer, struct curl_certinfo **ci,
			  CURL **out)
{
	char url[512], resolve[512];
	struct curl_slist *rs;
	CURL *h = curl_easy_init();
	CURLcode rc;

	*out = h;
	if (!h)
		return CURLE_OUT_OF_MEMORY;
	snprintf(url, sizeof(url), "https://%s/", domain);
	snprintf(resolve, sizeof(resolve), "%s:443:127.0.0.1", domain);
	rs = curl_slist_append(NULL, resolve);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_RESOLVE, rs);
	curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, verify_peer ? 1L : 0L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(h, CURLOPT_CERTINFO, 1L);
	rc = curl_easy_perform(h);
	if (ci && curl_easy_getinfo(h, CURLINFO_CERTINFO, ci) != CURLE_OK)
		*ci = NULL;
	curl_slist_free_all(rs);
	return rc;
}

time_t doctor_cert_expiry(const struct curl_certinfo *ci)
{
	struct tm tm = { 0 };

	if (!ci || ci->num_of_certs < 1)
		return 0;
	for (struct curl_slist *s = ci->certinfo[0]; s; s = s->next) {
		if (strncmp(s->data, "Expire date:", 12))
			continue;
		/* OpenSSL's "Jan  1 00:00:00 2030 GMT" */
		if (strptime(s->data + 12, " %b %d %H:%M:%S %Y", &tm))
			return timegm(&tm);
	}
	return 0;
}

/* libcurl is loaded for this check only (curl_dl.h); without it the check says why it did not run.
 */
static bool tls_probe_ready(const char *domain, struct findings *f)
{
	struct diag d;
	bool ok;

	diag_init(&d);
	ok = curl_dl_load(&d) == 0;
	if (!ok)
		findings_add(f, "tls", SEV_WARNING, "install libcurl and run the check again",
			     "TLS on 443 for %s not checked: %s", domain, d.msg);
	diag_release(&d);
	return ok;
}

static void check_tls(const char *domain, struct findings *f)
{
	struct curl_certinfo *ci = NULL;
	CURL *h = NULL;
	CURLcode rc;
	time_t exp = 0, now = time(NULL);

	if (!tls_probe_ready(domain, f))
		return;
	rc = probe_tls(domain, false, &ci, &h);
	if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_OPERATION_TIMEDOUT)
		goto out; /* nothing listens on 443: the listen check says so */
	if (rc == CURLE_PEER_FAILED_VERIFICATION) {
		findings_add(f, "tls", SEV_ERROR,
			     "install a certificate for the name (or a CDN origin certificate) and "
			     "reload the server",
			     "the certificate served on 443 does not cover %s (%s)", domain,
			     curl_easy_strerror(rc));
		goto out;
	}
	if (rc != CURLE_OK) {
		findings_add(f, "tls", SEV_ERROR, "check the web server's TLS configuration",
			     "TLS on 443 for %s fails: %s", domain, curl_easy_strerror(rc));
		goto out;
	}
	exp = doctor_cert_expiry(ci);
	if (exp && exp < now)
		findings_add(f, "tls", SEV_ERROR,
			     "renew the certificate (certbot renew) and reload",
			     "the certificate served for %s expired %ld days ago", domain,
			     (long)(now - exp) / 86400);
	else if (exp && exp - now < 14 * 86400)
		findings_add(f, "tls", SEV_WARNING, "renew the certificate soon",
			     "the certificate served for %s expires in %ld days", domain,
			     (long)(exp - now) / 86400);
	curl_easy_cleanup(h);
	h = NULL;
	if (probe_tls(domain, true, NULL, &h) == CURLE_PEER_FAILED_VERIFICATION)
		findings_add(f, "tls", SEV_WARNING,
			     "fine for Cloudflare \"Full\", or \"Full (strict)\" with an Origin CA "
			     "certificate; other CDNs need a publicly trusted certificate",
			     "the certificate served for %s is not trusted by the system CA store",
			     domain);
out:
	curl_easy_cleanup(h);
}

static bool is_ldh(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '-';
}

bool doctor_domain_valid(const char *name)
{
	size_t len = name ? strlen(name) : 0, label = 0;

	if (len && name[len - 1] == '.')
		len--;
	if (len == 0 || len > 253)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (name[i] == '.') {
			if (label == 0 || name[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!is_ldh(name[i]) || (label == 0 && name[i] == '-') || ++label > 63)
			return false;
	}
	return name[len - 1] != '-';
}

int doctor_check_domain(const struct doctor_ctx *c, const char *domain, struct findings *f,
			struct diag *d)
{
	/* it becomes a URL and a --resolve entry: "a@host:8443" would send the probe elsewhere */
	if (!doctor_domain_valid(domain)) {
		diag_err(d, "--domain '%s': not a host name (letters, digits, '-' and '.' only)",
			 domain);
		return -EINVAL;
	}
	check_dns(c, domain, f);
	check_tls(domain, f);
	return doctor_check_origin_auth(c, domain, f);
}
