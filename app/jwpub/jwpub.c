/* jwpub: publish messages through a jetwire instance and count their delivery reports.
 *
 *   jwpub -s SUBJECT [-n COUNT] [-z SIZE] [--subjects K] [--rate R] [-H 'Name: value']...
 *         [-i INSTANCE] [--tx N] [--wait] [--timeout SEC] [--json]
 *
 * Message i (0-based) goes to SUBJECT, or to SUBJECT.<i mod K> with --subjects K; its
 * payload starts with the ASCII decimal i and a space, then filler up to SIZE bytes (when
 * SIZE is shorter than that prefix, the payload is just the prefix). Reports are drained
 * while publishing, so a full ring (JW_EAGAIN, counted and retried) never deadlocks.
 * Exit status: 0; 1 when --wait saw a failed or missing report; 2 on usage or open errors.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/jw_hist.h"
#include "common/jw_time.h"
#include "jetwire.h"

#define MAX_HEADERS 32
#define MAX_FAIL_KINDS 32

struct fail_kind {
	int reason, code, err_code;
	uint64_t count;
};

struct opts {
	const char *subject, *instance;
	uint64_t count, size, subjects, rate;
	int tx, wait, json;
	double timeout_s;
	const char *headers[MAX_HEADERS];
	int n_headers;
};

struct counts {
	uint64_t published, eagain, acked, duplicates, dup_risk, failed, reports;
	struct fail_kind kinds[MAX_FAIL_KINDS];
	int n_kinds;
	uint64_t other_kinds;
	uint64_t first_ns, last_report_ns;
};

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: jwpub -s SUBJECT [-n COUNT] [-z SIZE] [--subjects K] [--rate R]\n"
		"             [-H 'Name: value']... [-i INSTANCE] [--tx N] [--wait]\n"
		"             [--timeout SEC] [--json]\n"
		"  -s SUBJECT     subject (with --subjects K: SUBJECT.0 .. SUBJECT.K-1, round robin)\n"
		"  -n COUNT       messages (default 1)\n"
		"  -z SIZE        payload bytes (default 128); payload of message i starts \"i \"\n"
		"  --rate R       messages per second (default unlimited)\n"
		"  -H 'N: v'      header, repeatable\n"
		"  -i INSTANCE    jetwire instance (default \"default\")\n"
		"  --tx N         preferred TX lcore (default: spread)\n"
		"  --wait         wait for every delivery report; exit 1 if any failed\n"
		"  --timeout SEC  how long --wait waits after the last publish (default 60)\n"
		"  --json         print one JSON object\n");
}

static int
parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end != '\0' || s[0] == '-')
		return -1;
	*out = v;
	return 0;
}

static int
parse_args(int argc, char **argv, struct opts *o)
{
	enum { O_SUBJECTS = 256, O_RATE, O_WAIT, O_JSON, O_TX, O_TIMEOUT };
	static const struct option lo[] = {
		{ "subjects", required_argument, NULL, O_SUBJECTS },
		{ "rate", required_argument, NULL, O_RATE },
		{ "wait", no_argument, NULL, O_WAIT },
		{ "json", no_argument, NULL, O_JSON },
		{ "tx", required_argument, NULL, O_TX },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	uint64_t v;

	memset(o, 0, sizeof(*o));
	o->count = 1;
	o->size = 128;
	o->tx = -1;
	o->timeout_s = 60;
	while ((c = getopt_long(argc, argv, "s:n:z:H:i:h", lo, NULL)) != -1) {
		switch (c) {
		case 's': o->subject = optarg; break;
		case 'i': o->instance = optarg; break;
		case 'n':
			if (parse_u64(optarg, &o->count)) goto bad;
			break;
		case 'z':
			if (parse_u64(optarg, &o->size) || o->size > (64u << 20)) goto bad;
			break;
		case O_SUBJECTS:
			if (parse_u64(optarg, &o->subjects) || o->subjects == 0) goto bad;
			break;
		case O_RATE:
			if (parse_u64(optarg, &o->rate) || o->rate == 0) goto bad;
			break;
		case O_TX:
			if (parse_u64(optarg, &v) || v > 1024) goto bad;
			o->tx = (int)v;
			break;
		case O_TIMEOUT:
			o->timeout_s = strtod(optarg, NULL);
			if (o->timeout_s <= 0) goto bad;
			break;
		case 'H':
			if (o->n_headers == MAX_HEADERS || strchr(optarg, ':') == NULL) {
				fprintf(stderr, "jwpub: -H wants 'Name: value' (at most %d)\n",
					MAX_HEADERS);
				return -1;
			}
			o->headers[o->n_headers++] = optarg;
			break;
		case O_WAIT: o->wait = 1; break;
		case O_JSON: o->json = 1; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -1;
		}
		continue;
bad:
		fprintf(stderr, "jwpub: bad value '%s' for -%c\n", optarg, c < 256 ? c : '-');
		return -1;
	}
	if (o->subject == NULL || optind != argc) {
		usage(stderr);
		return -1;
	}
	return 0;
}

/* "NATS/1.0\r\nName: value\r\n...\r\n" from the -H options; NULL/0 when none. */
static char *
build_headers(const struct opts *o, size_t *len)
{
	size_t n = 10 + 2;
	char *h, *p;

	*len = 0;
	if (o->n_headers == 0)
		return NULL;
	for (int i = 0; i < o->n_headers; i++)
		n += strlen(o->headers[i]) + 2;
	h = malloc(n + 1);
	if (h == NULL)
		return NULL;
	p = h + sprintf(h, "NATS/1.0\r\n");
	for (int i = 0; i < o->n_headers; i++)
		p += sprintf(p, "%s\r\n", o->headers[i]);
	p += sprintf(p, "\r\n");
	*len = (size_t)(p - h);
	return h;
}

static void
count_report(struct counts *c, const struct jw_report *r)
{
	c->reports++;
	if (r->status == JW_ACKED || r->status == JW_DUP_RISK) {
		c->acked++;
		c->duplicates += r->duplicate != 0;
		c->dup_risk += r->status == JW_DUP_RISK;
		return;
	}
	c->failed++;
	for (int i = 0; i < c->n_kinds; i++) {
		struct fail_kind *k = &c->kinds[i];
		if (k->reason == r->reason && k->code == r->code && k->err_code == r->err_code) {
			k->count++;
			return;
		}
	}
	if (c->n_kinds == MAX_FAIL_KINDS) {
		c->other_kinds++;
		return;
	}
	c->kinds[c->n_kinds++] = (struct fail_kind){ r->reason, r->code, r->err_code, 1 };
}

static void
drain(jw_producer *p, struct counts *c)
{
	struct jw_report r[256];
	int n;

	while ((n = jw_reports(p, r, 256)) > 0) {
		for (int i = 0; i < n; i++)
			count_report(c, &r[i]);
		c->last_report_ns = jw_mono_ns();
		if (n < 256)
			break;
	}
}

static void
progress(const struct opts *o, const struct counts *c, int final)
{
	if (final) {
		fprintf(stderr, "\r\033[K");
		return;
	}
	fprintf(stderr, "\r\033[Kjwpub: published %" PRIu64 "/%" PRIu64 "  acked %" PRIu64
		"  failed %" PRIu64 "  eagain %" PRIu64, c->published, o->count, c->acked,
		c->failed, c->eagain);
	fflush(stderr);
}

static void
sleep_ns(uint64_t ns)
{
	struct timespec ts = { (time_t)(ns / 1000000000ULL), (long)(ns % 1000000000ULL) };
	nanosleep(&ts, NULL);
}

static void
kind_name(const struct fail_kind *k, char *buf, size_t len)
{
	if (k->code || k->err_code)
		snprintf(buf, len, "%s (code %d, err_code %d)", jw_reason_str(k->reason), k->code,
			 k->err_code);
	else
		snprintf(buf, len, "%s", jw_reason_str(k->reason));
}

static void
json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

static void
print_summary(const struct opts *o, const struct counts *c, const struct jw_hist_snap *h,
	      double pub_s, uint64_t missing, int waited)
{
	double ack_s = c->last_report_ns > c->first_ns ?
		(double)(c->last_report_ns - c->first_ns) / 1e9 : 0;
	double pub_rate = pub_s > 0 ? (double)c->published / pub_s : 0;
	double ack_rate = ack_s > 0 ? (double)c->acked / ack_s : 0;
	char name[128];

	if (o->json) {
		printf("{\"instance\":");
		json_str(o->instance ? o->instance : "default");
		printf(",\"subject\":");
		json_str(o->subject);
		printf(",\"count\":%" PRIu64 ",\"size\":%" PRIu64 ",\"subjects\":%" PRIu64
		       ",\"published\":%" PRIu64 ",\"eagain\":%" PRIu64 ",\"elapsed_s\":%.6f"
		       ",\"publish_rate\":%.1f,\"latency_ns\":{\"p50\":%" PRIu64 ",\"p90\":%" PRIu64
		       ",\"p99\":%" PRIu64 ",\"p999\":%" PRIu64 ",\"max\":%" PRIu64
		       ",\"mean\":%.1f},\"waited\":%s,\"reports\":%" PRIu64 ",\"acked\":%" PRIu64
		       ",\"duplicates\":%" PRIu64 ",\"dup_risk\":%" PRIu64 ",\"failed\":%" PRIu64
		       ",\"missing\":%" PRIu64 ",\"acked_rate\":%.1f,\"failed_reasons\":{",
		       o->count, o->size, o->subjects, c->published, c->eagain, pub_s, pub_rate,
		       jw_hist_percentile(h, 50), jw_hist_percentile(h, 90),
		       jw_hist_percentile(h, 99), jw_hist_percentile(h, 99.9), h->max,
		       h->count ? (double)h->sum / (double)h->count : 0.0,
		       waited ? "true" : "false", c->reports, c->acked, c->duplicates,
		       c->dup_risk, c->failed, missing, ack_rate);
		for (int i = 0; i < c->n_kinds; i++) {
			kind_name(&c->kinds[i], name, sizeof(name));
			if (i)
				putchar(',');
			json_str(name);
			printf(":%" PRIu64, c->kinds[i].count);
		}
		if (c->other_kinds)
			printf("%s\"other\":%" PRIu64, c->n_kinds ? "," : "", c->other_kinds);
		printf("}}\n");
		return;
	}
	printf("jwpub: published %" PRIu64 " of %" PRIu64 " messages of %" PRIu64
	       " B in %.3f s (%.0f msg/s), %" PRIu64 " EAGAIN retries\n", c->published, o->count,
	       o->size, pub_s, pub_rate, c->eagain);
	printf("call latency ns: p50 %" PRIu64 "  p90 %" PRIu64 "  p99 %" PRIu64 "  p99.9 %" PRIu64
	       "  max %" PRIu64 "  mean %.1f\n", jw_hist_percentile(h, 50),
	       jw_hist_percentile(h, 90), jw_hist_percentile(h, 99),
	       jw_hist_percentile(h, 99.9), h->max,
	       h->count ? (double)h->sum / (double)h->count : 0.0);
	printf("reports%s: %" PRIu64 " acked (%" PRIu64 " duplicate, %" PRIu64 " dup-risk), %"
	       PRIu64 " failed, %" PRIu64 " missing; acked rate %.0f msg/s\n",
	       waited ? "" : " (not waited for)", c->acked, c->duplicates, c->dup_risk, c->failed,
	       missing, ack_rate);
	for (int i = 0; i < c->n_kinds; i++) {
		kind_name(&c->kinds[i], name, sizeof(name));
		printf("failed: %s: %" PRIu64 "\n", name, c->kinds[i].count);
	}
	if (c->other_kinds)
		printf("failed: other: %" PRIu64 "\n", c->other_kinds);
}

int
main(int argc, char **argv)
{
	struct opts o;
	struct counts c;
	struct jw_hist_snap *h;
	struct jw_open_opts oo;
	struct jw_msg m;
	jw_producer *p = NULL;
	char *payload, *subj_buf = NULL, *hdr;
	size_t hdr_len, base_len, sub_cap = 0;
	uint64_t t_start, t_pub_end, next_progress = 0, missing = 0;
	double ns_per_tick;
	int tty = isatty(2), rc, status = 2;

	if (parse_args(argc, argv, &o) != 0)
		return 2;
	hdr = build_headers(&o, &hdr_len);
	payload = malloc(o.size + 32);
	h = calloc(1, sizeof(*h));
	if (payload == NULL || h == NULL || (o.n_headers && hdr == NULL)) {
		fprintf(stderr, "jwpub: out of memory\n");
		goto out;
	}
	jw_hist_snap_init(h);
	for (uint64_t b = 0; b < o.size + 32; b++)
		payload[b] = (char)('a' + b % 26);
	base_len = strlen(o.subject);
	if (o.subjects) {
		sub_cap = base_len + 24;
		subj_buf = malloc(sub_cap);
		if (subj_buf == NULL)
			goto out;
	}
	memset(&c, 0, sizeof(c));
	oo.instance = o.instance;
	oo.tx_lcore = o.tx;
	rc = jw_open(&p, &oo);
	if (rc != 0) {
		fprintf(stderr, "jwpub: cannot open jetwire instance '%s': %s\n",
			o.instance ? o.instance : "default", jw_strerror(rc));
		goto out;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	ns_per_tick = jw_ns_per_tick();
	memset(&m, 0, sizeof(m));
	m.subject = o.subject;
	m.hdr = hdr;
	m.hdr_len = hdr_len;
	m.data = payload;
	t_start = jw_mono_ns();
	c.first_ns = t_start;
	for (uint64_t i = 0; i < o.count && !stop; i++) {
		int n = snprintf(payload, 24, "%" PRIu64 " ", i);
		unsigned spins = 0;

		m.data_len = o.size > (uint64_t)n ? o.size : (uint64_t)n;
		payload[n] = (char)('a' + (unsigned)n % 26); /* snprintf's NUL back to filler */
		if (o.subjects) {
			snprintf(subj_buf, sub_cap, "%s.%" PRIu64, o.subject, i % o.subjects);
			m.subject = subj_buf;
		}
		if (o.rate) {
			uint64_t due = t_start + (uint64_t)((double)i * 1e9 / (double)o.rate);
			for (uint64_t t = jw_mono_ns(); t < due && !stop; t = jw_mono_ns()) {
				drain(p, &c);
				if (due - t > 60000)
					sleep_ns(due - t - 50000 < 2000000 ? due - t - 50000 : 2000000);
			}
		}
		for (;;) {
			uint64_t t0 = jw_ticks();
			rc = jw_publish_msg(p, &m, NULL);
			uint64_t t1 = jw_ticks();

			if (rc == 0) {
				jw_hist_snap_add(h, (uint64_t)((double)(t1 - t0) * ns_per_tick));
				c.published++;
				break;
			}
			if (rc != JW_EAGAIN) {
				if (tty)
					progress(&o, &c, 1);
				fprintf(stderr, "jwpub: publish #%" PRIu64 " failed: %s\n", i,
					jw_strerror(rc));
				goto out;
			}
			c.eagain++;
			drain(p, &c);
			if (++spins > 16)
				sleep_ns(20000);
			if (stop)
				break;
		}
		if ((i & 255) == 255 || o.rate) {
			drain(p, &c);
			if (tty && !o.json) {
				uint64_t t = jw_mono_ns();
				if (t >= next_progress) {
					progress(&o, &c, 0);
					next_progress = t + 250000000ULL;
				}
			}
		}
	}
	t_pub_end = jw_mono_ns();
	drain(p, &c);
	if (o.wait) {
		uint64_t deadline = jw_mono_ns() + (uint64_t)(o.timeout_s * 1e9);

		while (c.reports < c.published && !stop) {
			rc = jw_flush(p, 200);
			drain(p, &c);
			if (rc != 0 && rc != JW_ETIMEDOUT) {
				fprintf(stderr, "jwpub: waiting for reports: %s\n", jw_strerror(rc));
				break;
			}
			if (tty && !o.json) {
				progress(&o, &c, 0);
				next_progress = 1;
			}
			if (jw_mono_ns() >= deadline)
				break;
		}
		missing = c.published > c.reports ? c.published - c.reports : 0;
	}
	if (tty && !o.json && next_progress)
		progress(&o, &c, 1);
	print_summary(&o, &c, h, (double)(t_pub_end - t_start) / 1e9, missing, o.wait);
	status = (o.wait && (c.failed || missing)) ? 1 : 0;
out:
	if (p)
		jw_close(p);
	free(payload);
	free(subj_buf);
	free(hdr);
	free(h);
	return status;
}
