#include <errno.h>
#include <string.h>

#include "common/jw_common.h"
#include "nats/nats_enc.h"

const char nats_digit_pairs[200] =
	"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

static const char hdr_line[] = "NATS/1.0\r\n";
static const char msgid_name[] = "Nats-Msg-Id: ";
static const char crlf[] = "\r\n";

#define HDR_LINE_LEN (sizeof(hdr_line) - 1)
#define MSGID_NAME_LEN (sizeof(msgid_name) - 1)
/* Smallest valid caller header block: "NATS/1.0\r\n\r\n". */
#define USER_HDR_MIN (HDR_LINE_LEN + 2)

/* Copies n bytes for the short strings of a frame (subject, reply, msg id) with fixed-size
 * moves the compiler inlines, instead of a libc call; overlapping stores cover the tail. */
static inline void
copy_small(char *d, const char *s, size_t n)
{
	if (n >= 16) {
		while (n > 32) {
			memcpy(d, s, 32);
			d += 32;
			s += 32;
			n -= 32;
		}
		if (n > 16)
			memcpy(d, s, 16);
		memcpy(d + n - 16, s + n - 16, 16);
	} else if (n >= 8) {
		memcpy(d, s, 8);
		memcpy(d + n - 8, s + n - 8, 8);
	} else if (n >= 4) {
		memcpy(d, s, 4);
		memcpy(d + n - 4, s + n - 4, 4);
	} else if (n > 0) {
		d[0] = s[0];
		d[n / 2] = s[n / 2];
		d[n - 1] = s[n - 1];
	}
}

int
nats_token_format(char *dst, size_t cap, const char *prefix, size_t prefix_len, uint64_t v)
{
	unsigned n = nats_u64_digits(v);

	if (dst == NULL || (prefix == NULL && prefix_len > 0) || cap < prefix_len + n + 1)
		return -ENOSPC;
	if (prefix_len > 0)
		memcpy(dst, prefix, prefix_len);
	nats_u64_render_n(dst + prefix_len, v, n);
	dst[prefix_len + n] = '\0';
	return (int)(prefix_len + n);
}

int
nats_u64_parse(const char *s, size_t len, uint64_t *v)
{
	uint64_t acc = 0;

	if (s == NULL || len == 0 || (len > 1 && s[0] == '0'))
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		unsigned d = (unsigned)(unsigned char)s[i] - '0';

		if (d > 9)
			return -EINVAL;
		if (acc > (UINT64_MAX - d) / 10)
			return -ERANGE;
		acc = acc * 10 + d;
	}
	*v = acc;
	return 0;
}

size_t
nats_hdr_compose(char *dst, const char *msg_id, size_t msg_id_len, const char *user_hdr,
		 size_t user_hdr_len)
{
	char *p = dst;

	if (msg_id_len == 0) {
		memcpy(dst, user_hdr, user_hdr_len);
		return user_hdr_len;
	}
	memcpy(p, hdr_line, HDR_LINE_LEN);
	p += HDR_LINE_LEN;
	memcpy(p, msgid_name, MSGID_NAME_LEN);
	p += MSGID_NAME_LEN;
	copy_small(p, msg_id, msg_id_len);
	p += msg_id_len;
	memcpy(p, crlf, 2);
	p += 2;
	if (user_hdr_len > USER_HDR_MIN) {
		memcpy(p, user_hdr + HDR_LINE_LEN, user_hdr_len - USER_HDR_MIN);
		p += user_hdr_len - USER_HDR_MIN;
	}
	memcpy(p, crlf, 2);
	p += 2;
	return (size_t)(p - dst);
}

static bool
hdr_name_ok(const char *s, size_t n)
{
	if (s == NULL || n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= ' ' || c >= 0x7f || c == ':')
			return false;
	}
	return true;
}

static bool
hdr_value_ok(const char *s, size_t n)
{
	if (s == NULL && n > 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '\r' || s[i] == '\n' || s[i] == '\0')
			return false;
	return true;
}

ssize_t
nats_hdr_build(char *dst, size_t cap, const struct nats_hdr_field *f, size_t n)
{
	size_t len = HDR_LINE_LEN + 2;
	char *p = dst;

	if (f == NULL && n > 0)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (!hdr_name_ok(f[i].name, f[i].name_len) ||
		    !hdr_value_ok(f[i].value, f[i].value_len))
			return -EINVAL;
		len += f[i].name_len + 2 + f[i].value_len + 2;
	}
	if (dst == NULL || cap < len)
		return -ENOSPC;
	memcpy(p, hdr_line, HDR_LINE_LEN);
	p += HDR_LINE_LEN;
	for (size_t i = 0; i < n; i++) {
		memcpy(p, f[i].name, f[i].name_len);
		p += f[i].name_len;
		*p++ = ':';
		*p++ = ' ';
		if (f[i].value_len > 0)
			memcpy(p, f[i].value, f[i].value_len);
		p += f[i].value_len;
		*p++ = '\r';
		*p++ = '\n';
	}
	*p++ = '\r';
	*p++ = '\n';
	return (ssize_t)len;
}

/* Checks m and computes the header block size and the control line size. */
static inline int
pub_layout(const struct nats_pub *m, size_t *hdr_len, size_t *ctl_len)
{
	size_t h, c;

	if (jw_unlikely(m == NULL || m->subject == NULL || m->subject_len == 0))
		return -EINVAL;
	if (jw_unlikely(m->subject_len > NATS_SUBJECT_MAX || m->reply_len > NATS_REPLY_MAX ||
			m->msg_id_len > NATS_MSGID_MAX))
		return -E2BIG;
	if (jw_unlikely((m->reply_len && m->reply == NULL) || (m->msg_id_len && m->msg_id == NULL) ||
			(m->hdr_len && (m->hdr == NULL || m->hdr_len < USER_HDR_MIN)) ||
			(m->payload_len && m->payload == NULL)))
		return -EINVAL;
	if (jw_unlikely(m->hdr_len > NATS_HDR_MAX))
		return -E2BIG;
	h = nats_hdr_size(m->msg_id_len, m->hdr_len);
	c = m->subject_len + 1 + (m->reply_len ? m->reply_len + 1 : 0) +
	    nats_u64_digits(h + m->payload_len) + 2;
	if (h)
		c += 5 + nats_u64_digits(h) + 1;
	else
		c += 4;
	*hdr_len = h;
	*ctl_len = c;
	return 0;
}

ssize_t
nats_pub_size(const struct nats_pub *m)
{
	size_t h, c;
	int rc = pub_layout(m, &h, &c);

	if (rc != 0)
		return rc;
	return (ssize_t)(c + h + m->payload_len + 2);
}

/* Writes the control line for m (layout already checked) at dst; returns its end. */
static inline char *
render_ctl(char *p, const struct nats_pub *m, size_t h)
{
	if (h) {
		memcpy(p, "HPUB ", 5);
		p += 5;
	} else {
		memcpy(p, "PUB ", 4);
		p += 4;
	}
	copy_small(p, m->subject, m->subject_len);
	p += m->subject_len;
	*p++ = ' ';
	if (m->reply_len) {
		copy_small(p, m->reply, m->reply_len);
		p += m->reply_len;
		*p++ = ' ';
	}
	if (h) {
		p += nats_u64_render(p, h);
		*p++ = ' ';
	}
	p += nats_u64_render(p, h + m->payload_len);
	*p++ = '\r';
	*p++ = '\n';
	return p;
}

ssize_t
nats_pub_encode(char *dst, size_t cap, const struct nats_pub *m)
{
	size_t h, c, total;
	char *p;
	int rc = pub_layout(m, &h, &c);

	if (jw_unlikely(rc != 0))
		return rc;
	total = c + h + m->payload_len + 2;
	if (jw_unlikely(dst == NULL || cap < total))
		return -ENOSPC;
	p = render_ctl(dst, m, h);
	if (h)
		p += nats_hdr_compose(p, m->msg_id, m->msg_id_len, m->hdr, m->hdr_len);
	if (m->payload_len) {
		memcpy(p, m->payload, m->payload_len);
		p += m->payload_len;
	}
	p[0] = '\r';
	p[1] = '\n';
	return (ssize_t)total;
}

static inline void
add_piece(struct nats_frame *f, const char *p, size_t len)
{
	if (len == 0)
		return;
	f->pieces[f->n_pieces].p = p;
	f->pieces[f->n_pieces].len = len;
	f->n_pieces++;
}

int
nats_frame_init(struct nats_frame *f, const struct nats_pub *m)
{
	size_t h, c;
	int rc = pub_layout(m, &h, &c);

	if (rc != 0)
		return rc;
	f->off = 0;
	f->piece = 0;
	f->piece_off = 0;
	f->n_pieces = 0;
	f->size = c + h + m->payload_len + 2;
	render_ctl(f->ctl, m, h);
	add_piece(f, NULL, c); /* NULL: f->ctl, resolved when writing, so f may be copied */
	if (m->msg_id_len) {
		add_piece(f, hdr_line, HDR_LINE_LEN);
		add_piece(f, msgid_name, MSGID_NAME_LEN);
		add_piece(f, m->msg_id, m->msg_id_len);
		add_piece(f, crlf, 2);
		if (m->hdr_len > USER_HDR_MIN)
			add_piece(f, m->hdr + HDR_LINE_LEN, m->hdr_len - USER_HDR_MIN);
		add_piece(f, crlf, 2);
	} else if (m->hdr_len) {
		add_piece(f, m->hdr, m->hdr_len);
	}
	add_piece(f, (const char *)m->payload, m->payload_len);
	add_piece(f, crlf, 2);
	return 0;
}

size_t
nats_frame_write(struct nats_frame *f, char *dst, size_t cap)
{
	size_t done = 0;

	while (done < cap && f->piece < f->n_pieces) {
		const struct nats_piece *pc = &f->pieces[f->piece];
		const char *src = (pc->p ? pc->p : f->ctl) + f->piece_off;
		size_t n = JW_MIN(pc->len - f->piece_off, cap - done);

		if (n <= 64)
			copy_small(dst + done, src, n);
		else
			memcpy(dst + done, src, n);
		done += n;
		f->piece_off += n;
		if (f->piece_off == pc->len) {
			f->piece++;
			f->piece_off = 0;
		}
	}
	f->off += done;
	return done;
}

/* ---- other operations ------------------------------------------------------------- */

/* Bounded appender for the small control lines. */
struct wbuf {
	char *p;
	size_t cap, len;
	bool overflow;
};

static void
w_bytes(struct wbuf *w, const char *s, size_t n)
{
	if (w->overflow || w->cap - w->len < n) {
		w->overflow = true;
		return;
	}
	memcpy(w->p + w->len, s, n);
	w->len += n;
}

static void
w_str(struct wbuf *w, const char *s)
{
	w_bytes(w, s, strlen(s));
}

static void
w_u64(struct wbuf *w, uint64_t v)
{
	char d[20];

	w_bytes(w, d, nats_u64_render(d, v));
}

/* Appends s as a JSON string literal, escaping quote, backslash and control bytes. */
static void
w_json_str(struct wbuf *w, const char *s)
{
	static const char hex[] = "0123456789abcdef";

	w_bytes(w, "\"", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			char e[2] = { '\\', (char)c };
			w_bytes(w, e, 2);
		} else if (c < 0x20) {
			char e[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
			w_bytes(w, e, 6);
		} else {
			w_bytes(w, (const char *)&c, 1);
		}
	}
	w_bytes(w, "\"", 1);
}

static void
w_json_field(struct wbuf *w, const char *name, const char *value)
{
	if (value == NULL)
		return;
	w_bytes(w, ",\"", 2);
	w_str(w, name);
	w_bytes(w, "\":", 2);
	w_json_str(w, value);
}

static ssize_t
w_result(const struct wbuf *w)
{
	return w->overflow ? -ENOSPC : (ssize_t)w->len;
}

ssize_t
nats_connect_encode(char *dst, size_t cap, const struct nats_connect_opts *o)
{
	struct wbuf w = { dst, dst ? cap : 0, 0, false };
	static const struct nats_connect_opts none;

	if (o == NULL)
		o = &none;
	w_str(&w, "CONNECT {\"verbose\":false,\"pedantic\":false");
	w_str(&w, o->tls_required ? ",\"tls_required\":true" : ",\"tls_required\":false");
	w_json_field(&w, "auth_token", o->auth_token);
	w_json_field(&w, "user", o->user);
	w_json_field(&w, "pass", o->pass);
	w_json_field(&w, "nkey", o->nkey);
	w_json_field(&w, "sig", o->sig);
	w_json_field(&w, "jwt", o->jwt);
	w_json_field(&w, "name", o->name);
	w_json_field(&w, "lang", o->lang ? o->lang : "C");
	w_json_field(&w, "version", o->version ? o->version : "jetwire-0.1");
	w_str(&w, ",\"protocol\":1,\"echo\":false,\"headers\":true,\"no_responders\":true}\r\n");
	return w_result(&w);
}

static bool
sub_token_ok(const char *s, size_t n, bool may_be_empty)
{
	if (n == 0)
		return may_be_empty;
	if (s == NULL || n > NATS_SUBJECT_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= ' ' || c == 0x7f)
			return false;
	}
	return true;
}

ssize_t
nats_sub_encode(char *dst, size_t cap, const char *subject, size_t subject_len,
		const char *queue, size_t queue_len, uint64_t sid)
{
	struct wbuf w = { dst, dst ? cap : 0, 0, false };

	if (!sub_token_ok(subject, subject_len, false) || !sub_token_ok(queue, queue_len, true))
		return -EINVAL;
	w_bytes(&w, "SUB ", 4);
	w_bytes(&w, subject, subject_len);
	w_bytes(&w, " ", 1);
	if (queue_len) {
		w_bytes(&w, queue, queue_len);
		w_bytes(&w, " ", 1);
	}
	w_u64(&w, sid);
	w_bytes(&w, "\r\n", 2);
	return w_result(&w);
}

ssize_t
nats_unsub_encode(char *dst, size_t cap, uint64_t sid, uint64_t max)
{
	struct wbuf w = { dst, dst ? cap : 0, 0, false };

	w_bytes(&w, "UNSUB ", 6);
	w_u64(&w, sid);
	if (max) {
		w_bytes(&w, " ", 1);
		w_u64(&w, max);
	}
	w_bytes(&w, "\r\n", 2);
	return w_result(&w);
}

ssize_t
nats_ping_encode(char *dst, size_t cap)
{
	if (dst == NULL || cap < 6)
		return -ENOSPC;
	memcpy(dst, NATS_PING_LINE, 6);
	return 6;
}

ssize_t
nats_pong_encode(char *dst, size_t cap)
{
	if (dst == NULL || cap < 6)
		return -ENOSPC;
	memcpy(dst, NATS_PONG_LINE, 6);
	return 6;
}
