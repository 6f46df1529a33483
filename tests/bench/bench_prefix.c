// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Benchmark of the prefix core, not a test: generates seeded random IPv4 and
 * IPv6 prefix lists and times prefix_set_parse_text + prefix_set_aggregate on
 * one of them in-process, reporting time, peak RSS and bytes per prefix.
 * tests/bench/bench_prefix.sh drives it next to iprange and Python. Each
 * measured list runs in its own process so peak RSS belongs to that list.
 *
 *   bench_prefix gen N SEED V4FILE V6FILE
 *   bench_prefix run FILE [REPEAT]   best of REPEAT runs, one line of key=value pairs
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>

#include "diag.h"
#include "prefix_set.h"

static uint64_t rng = 88172645463325252ull;

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static uint64_t mask_top(unsigned len)
{
	return len == 0 ? 0 : len >= 64 ? ~0ull : ~0ull << (64 - len);
}

/*
 * IPv4: uniform addresses, lengths /24../32 (what big block lists look like).
 * IPv6: addresses in 2000::/3, lengths /32../128.
 */
static int generate(unsigned long n, const char *v4path, const char *v6path)
{
	FILE *f4 = fopen(v4path, "w"), *f6 = fopen(v6path, "w");
	char buf[PREFIX_STRLEN];
	int ret = 1;

	if (!f4 || !f6) {
		perror("bench_prefix: fopen");
		goto out;
	}
	for (unsigned long i = 0; i < n; i++) {
		struct prefix p = { .family = AF_INET };

		p.len = (uint8_t)(24 + next_rand() % 9);
		p.hi = (next_rand() & mask_top(p.len)) & 0xffffffff00000000ull;
		prefix_format(&p, buf, sizeof(buf));
		fprintf(f4, "%s\n", buf);
		p.family = AF_INET6;
		p.len = (uint8_t)(32 + next_rand() % 97);
		p.hi = ((next_rand() >> 3) | 0x2000000000000000ull) & mask_top(p.len);
		p.lo = next_rand() & (p.len > 64 ? mask_top(p.len - 64) : 0);
		prefix_format(&p, buf, sizeof(buf));
		fprintf(f6, "%s\n", buf);
	}
	ret = 0;
out:
	if (f4 && fclose(f4) != 0)
		ret = 1;
	if (f6 && fclose(f6) != 0)
		ret = 1;
	return ret;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static long rss_kib(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0) {
		n = ftell(f);
		rewind(f);
		buf = n >= 0 ? malloc((size_t)n + 1) : NULL;
		if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
		*len = (size_t)n;
	}
	fclose(f);
	return buf;
}

/* Best of `repeat` runs: the machine is shared, the minimum is the least disturbed. */
static int run(const char *path, int repeat)
{
	double parse_ms = 1e30, agg_ms = 1e30, total_ms = 1e30;
	size_t len = 0, n_in = 0, n_out = 0, n4 = 0, n6 = 0;
	long rss0 = rss_kib(), rss1;
	char *buf = slurp(path, &len);

	if (!buf) {
		fprintf(stderr, "bench_prefix: %s: %s\n", path, strerror(errno));
		return 1;
	}
	for (int k = 0; k < repeat; k++) {
		struct prefix_set *s = prefix_set_new();
		double t0, t1, t2;
		struct diag d;
		int r;

		if (!s)
			return 1;
		diag_init(&d);
		t0 = now_ms();
		r = prefix_set_parse_text(s, buf, len, path, &d);
		t1 = now_ms();
		if (r < 0) {
			fprintf(stderr, "bench_prefix: %s\n", d.msg);
			return 1;
		}
		n_in = s->n;
		r = prefix_set_aggregate(s);
		t2 = now_ms();
		if (r < 0)
			return 1;
		n_out = s->n;
		n4 = prefix_set_count(s, AF_INET);
		n6 = prefix_set_count(s, AF_INET6);
		if (t2 - t0 < total_ms) {
			total_ms = t2 - t0;
			parse_ms = t1 - t0;
			agg_ms = t2 - t1;
		}
		diag_release(&d);
		prefix_set_free(s);
	}
	rss1 = rss_kib();
	printf("file=%s in=%zu out=%zu v4=%zu v6=%zu parse_ms=%.1f aggregate_ms=%.1f total_ms=%.1f "
	       "repeat=%d peak_rss_kib=%ld input_bytes=%zu set_bytes_per_prefix=%.1f\n",
	       path, n_in, n_out, n4, n6, parse_ms, agg_ms, total_ms, repeat, rss1, len,
	       ((double)(rss1 - rss0) * 1024.0 - (double)len) / (double)(n_in ? n_in : 1));
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 6 && strcmp(argv[1], "gen") == 0) {
		rng ^= strtoull(argv[3], NULL, 10) * 0x9e3779b97f4a7c15ull;
		return generate(strtoul(argv[2], NULL, 10), argv[4], argv[5]);
	}
	if ((argc == 3 || argc == 4) && strcmp(argv[1], "run") == 0)
		return run(argv[2], argc == 4 ? atoi(argv[3]) : 1);
	fprintf(stderr, "usage: bench_prefix gen N SEED V4FILE V6FILE | run FILE [REPEAT]\n");
	return 2;
}
