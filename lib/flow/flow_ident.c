/* Reply subjects and Msg-Ids of publishes. */
#include <errno.h>
#include <string.h>

#include "flow/flow_ident.h"

static const char hexdig[] = "0123456789abcdef";

static uint32_t
hex16(char *dst, uint64_t v)
{
	for (int i = 15; i >= 0; i--) {
		dst[i] = hexdig[v & 0xf];
		v >>= 4;
	}
	return 16;
}

void
flow_inbox_init(struct flow_inbox *ib, uint64_t run_id, uint32_t conn)
{
	uint32_t n = 0;

	memcpy(ib->prefix, "_JW.", 4);
	n = 4;
	n += hex16(ib->prefix + n, run_id);
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

int
flow_reply_parse(const struct flow_inbox *ib, const char *subj, size_t len, uint64_t *seq)
{
	uint64_t v = 0;
	size_t digits;

	if (len <= ib->len || memcmp(subj, ib->prefix, ib->len) != 0)
		return -EINVAL;
	digits = len - ib->len;
	if (digits > 20 || (digits > 1 && subj[ib->len] == '0'))
		return -EINVAL;
	for (size_t i = ib->len; i < len; i++) {
		unsigned d = (unsigned)(unsigned char)subj[i] - '0';

		if (d > 9)
			return -EINVAL;
		if (v > (UINT64_MAX - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	*seq = v;
	return 0;
}

uint32_t
flow_msgid_format(const struct flow_msgid_parts *m, char *buf)
{
	uint32_t n = hex16(buf, m->nonce);

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
