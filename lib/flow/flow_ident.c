/* Reply subjects and Msg-Ids of publishes. */
#include <errno.h>
#include <string.h>

#include "flow/flow_ident.h"

/* 64 bits as FLOW_ID64_LEN base-62 digits, most significant first (fixed width, so that a
 * prefix of one run never is a prefix of another). Digits and letters only: valid in a
 * subject token and a header value, and no '-' or '.' to confuse with the separators. 11
 * characters against 16 in hex: 5 bytes less in every publish's reply subject, in every
 * PubAck that echoes it and in every Msg-Id. */
static const char b62dig[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

static uint32_t
id64(char *dst, uint64_t v)
{
	for (int i = FLOW_ID64_LEN - 1; i >= 0; i--) {
		dst[i] = b62dig[v % 62];
		v /= 62;
	}
	return FLOW_ID64_LEN;
}

void
flow_inbox_init(struct flow_inbox *ib, uint64_t run_id, uint32_t conn)
{
	uint32_t n = 0;

	memcpy(ib->prefix, "_JW.", 4);
	n = 4;
	n += id64(ib->prefix + n, run_id);
	ib->prefix[n++] = '.';
	n += flow_u64_dec(ib->prefix + n, conn);
	ib->prefix[n++] = '.';
	ib->len = n;
}

int
flow_inbox_sub(const struct flow_inbox *ib, char *buf, size_t cap)
{
	if (cap < (size_t)ib->len + 2)
		return -ENOSPC;
	memcpy(buf, ib->prefix, ib->len);
	buf[ib->len] = '*';
	buf[ib->len + 1] = '\0';
	return (int)ib->len + 1;
}

/* Reads a decimal number of 1..20 digits without a leading zero (except "0") that fits
 * 64 bits from s[0..len): 0, or -EINVAL. */
static int
dec_parse(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;

	if (len == 0 || len > 20 || (len > 1 && s[0] == '0'))
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		unsigned d = (unsigned)(unsigned char)s[i] - '0';

		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int
flow_reply_parse(const struct flow_inbox *ib, const char *subj, size_t len, uint64_t *seq,
		 uint64_t *mark)
{
	const char *tok, *g;
	size_t n;
	uint64_t m = 0;

	if (len <= ib->len || memcmp(subj, ib->prefix, ib->len) != 0)
		return -EINVAL;
	tok = subj + ib->len;
	n = len - ib->len;
	g = memchr(tok, 'g', n);
	if (g != NULL) {
		if (dec_parse(g + 1, n - (size_t)(g - tok) - 1, &m) != 0 || m == 0)
			return -EINVAL;
		n = (size_t)(g - tok);
	}
	if (dec_parse(tok, n, seq) != 0)
		return -EINVAL;
	*mark = m;
	return 0;
}

int
flow_reply_parse_shared(const struct flow_inbox *ib, const char *subj, size_t len,
			uint32_t *k, uint32_t *gen)
{
	const char *tok, *e;
	size_t n;
	uint64_t kv, gv;

	if (len <= ib->len + 1 || memcmp(subj, ib->prefix, ib->len) != 0 ||
	    subj[ib->len] != 'c')
		return -EINVAL;
	tok = subj + ib->len + 1;
	n = len - ib->len - 1;
	e = memchr(tok, 'e', n);
	if (e == NULL || dec_parse(tok, (size_t)(e - tok), &kv) != 0 ||
	    dec_parse(e + 1, n - (size_t)(e - tok) - 1, &gv) != 0 ||
	    kv >= FLOW_SHARE_CLASSES || gv == 0 || gv > UINT32_MAX)
		return -EINVAL;
	*k = (uint32_t)kv;
	*gen = (uint32_t)gv;
	return 0;
}

uint32_t
flow_msgid_format(const struct flow_msgid_parts *m, char *buf)
{
	uint32_t n = id64(buf, m->nonce);

	buf[n++] = '-';
	n += flow_u64_dec(buf + n, m->lcore);
	buf[n++] = '-';
	n += flow_u64_dec(buf + n, m->slot);
	buf[n++] = '-';
	n += flow_u64_dec(buf + n, m->gen);
	buf[n++] = '-';
	n += flow_u64_dec(buf + n, m->producer_seq);
	return n;
}
