#include <errno.h>
#include <string.h>

#include "common/jw_common.h"
#include "nats/nats_parser.h"

void
nats_parser_init(struct nats_parser *p, char *payload, size_t payload_cap)
{
	memset(p, 0, offsetof(struct nats_parser, line));
	p->payload = payload;
	p->payload_cap = payload ? payload_cap : 0;
	p->state = NATS_PARSER_LINE;
}

void
nats_parser_reset(struct nats_parser *p)
{
	nats_parser_init(p, p->payload, p->payload_cap);
}

static int
fail(struct nats_parser *p, int err, size_t *used)
{
	p->state = NATS_PARSER_FAILED;
	p->error = err;
	*used = 0;
	return err;
}

static inline bool
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static inline char
upper(char c)
{
	return (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
}

/* Case-insensitive compare of s[0..n) with the upper-case literal u. */
static bool
word_is(const char *s, size_t n, const char *u)
{
	size_t i = 0;

	for (; i < n && u[i]; i++)
		if (upper(s[i]) != u[i])
			return false;
	return i == n && u[i] == '\0';
}

/* Lenient size parse: 1..18 digits (leading zeros allowed), else -1. */
static int64_t
parse_size(const char *s, size_t n)
{
	int64_t v = 0;

	if (n == 0 || n > 18)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned d = (unsigned)(unsigned char)s[i] - '0';

		if (d > 9)
			return -1;
		v = v * 10 + d;
	}
	return v;
}

/* ---- -ERR classification ----------------------------------------------------------- */

struct err_text {
	const char *prefix; /* lower case */
	enum nats_err_kind kind;
	bool fatal;
};

static const struct err_text err_texts[] = {
	{ "unknown protocol operation", NATS_ERR_UNKNOWN_OP, true },
	{ "authorization violation", NATS_ERR_AUTH_VIOLATION, true },
	{ "authentication timeout", NATS_ERR_AUTH_TIMEOUT, true },
	{ "user authentication expired", NATS_ERR_AUTH_EXPIRED, true },
	{ "account authentication expired", NATS_ERR_AUTH_EXPIRED, true },
	{ "user authentication revoked", NATS_ERR_AUTH_REVOKED, true },
	{ "stale connection", NATS_ERR_STALE_CONNECTION, true },
	{ "maximum payload violation", NATS_ERR_MAX_PAYLOAD, true },
	{ "maximum connections exceeded", NATS_ERR_MAX_CONNECTIONS, true },
	{ "maximum account active connections exceeded", NATS_ERR_MAX_CONNECTIONS, true },
	{ "maximum control line exceeded", NATS_ERR_MAX_CONTROL_LINE, true },
	{ "slow consumer", NATS_ERR_SLOW_CONSUMER, true },
	{ "secure connection - tls required", NATS_ERR_TLS_REQUIRED, true },
	{ "invalid client protocol", NATS_ERR_INVALID_PROTOCOL, true },
	{ "no responders requires headers support", NATS_ERR_NO_RESPONDERS_HDRS, true },
	{ "permissions violation", NATS_ERR_PERMISSIONS, false },
	{ "invalid subject", NATS_ERR_INVALID_SUBJECT, false },
	{ "invalid publish subject", NATS_ERR_INVALID_SUBJECT, false },
	{ "maximum subscriptions exceeded", NATS_ERR_MAX_SUBSCRIPTIONS, false },
};

enum nats_err_kind
nats_err_classify(const char *text, size_t len, bool *fatal)
{
	for (size_t i = 0; i < JW_ARRAY_SIZE(err_texts); i++) {
		const char *pre = err_texts[i].prefix;
		size_t n = strlen(pre), k;

		if (len < n)
			continue;
		for (k = 0; k < n; k++) {
			char c = text[k];

			if (c >= 'A' && c <= 'Z')
				c = (char)(c - 'A' + 'a');
			if (c != pre[k])
				break;
		}
		if (k == n) {
			if (fatal)
				*fatal = err_texts[i].fatal;
			return err_texts[i].kind;
		}
	}
	if (fatal)
		*fatal = true;
	return NATS_ERR_OTHER;
}

/* ---- header blocks ----------------------------------------------------------------- */

/* Checks an HMSG header block and reads its status line. 0 or -EPROTO. */
static int
parse_hdr_status(struct nats_msg *m)
{
	const char *h = m->hdr, *e, *s;
	size_t n = m->hdr_len;

	m->status = 0;
	m->status_desc = NULL;
	m->status_desc_len = 0;
	if (n < 12 || memcmp(h, "NATS/1.0", 8) != 0 || memcmp(h + n - 4, "\r\n\r\n", 4) != 0)
		return -EPROTO;
	e = memchr(h + 8, '\r', n - 8); /* end of the first line; exists, see the check above */
	if (e == NULL || e[1] != '\n')
		return -EPROTO;
	s = h + 8;
	if (s == e)
		return 0;
	if (!is_blank(*s))
		return -EPROTO;
	while (s < e && is_blank(*s))
		s++;
	if (e - s < 3 || (unsigned)(s[0] - '0') > 9 || (unsigned)(s[1] - '0') > 9 ||
	    (unsigned)(s[2] - '0') > 9)
		return -EPROTO;
	m->status = (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
	s += 3;
	if (s < e && !is_blank(*s))
		return -EPROTO;
	while (s < e && is_blank(*s))
		s++;
	while (e > s && is_blank(e[-1]))
		e--;
	m->status_desc = s;
	m->status_desc_len = (size_t)(e - s);
	return 0;
}

int
nats_hdr_get(const char *hdr, size_t hdr_len, const char *name, size_t name_len,
	     const char **value, size_t *value_len)
{
	const char *p, *end = hdr + hdr_len;

	if (hdr == NULL || name == NULL || name_len == 0)
		return -ENOENT;
	p = memchr(hdr, '\n', hdr_len); /* skip the NATS/1.0 line */
	if (p == NULL)
		return -ENOENT;
	p++;
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *le = eol ? eol : end;

		if (le > p && le[-1] == '\r' && eol)
			le--;
		if ((size_t)(le - p) > name_len && p[name_len] == ':' &&
		    memcmp(p, name, name_len) == 0) {
			const char *v = p + name_len + 1;

			while (v < le && is_blank(*v))
				v++;
			*value = v;
			*value_len = (size_t)(le - v);
			return 0;
		}
		if (eol == NULL)
			break;
		p = eol + 1;
	}
	return -ENOENT;
}

/* ---- control lines ----------------------------------------------------------------- */

#define MAX_ARGS 6

/* Splits s[0..n) at blanks into at most MAX_ARGS words; returns the count, or MAX_ARGS+1
 * when there are more. */
static int
split_args(const char *s, size_t n, const char **w, size_t *wl)
{
	int c = 0;
	size_t i = 0;

	while (i < n) {
		size_t st;

		while (i < n && is_blank(s[i]))
			i++;
		if (i == n)
			break;
		if (c == MAX_ARGS)
			return MAX_ARGS + 1;
		st = i;
		for (;;) {
			/* one compare per byte for the usual printable words */
			while (i < n && (unsigned char)s[i] > ' ')
				i++;
			if (i == n || is_blank(s[i]))
				break;
			i++; /* another control byte: part of the word */
		}
		w[c] = s + st;
		wl[c] = i - st;
		c++;
	}
	return c;
}

static bool
only_blanks(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_blank(s[i]))
			return false;
	return true;
}

/* Parses the arguments of MSG/HMSG into *m and p->need. */
static int
parse_msg_args(struct nats_parser *p, const char *a, size_t n, bool hmsg, struct nats_msg *m)
{
	const char *w[MAX_ARGS];
	size_t wl[MAX_ARGS];
	int c = split_args(a, n, w, wl);
	int64_t total, hdr = 0;
	int szi;

	/* each field set explicitly: a memset here compiles to rep stos, slow for 96 bytes */
	m->reply = NULL;
	m->reply_len = 0;
	m->hdr = NULL;
	m->data = NULL;
	m->data_len = 0;
	m->status = 0;
	m->status_desc = NULL;
	m->status_desc_len = 0;
	if (hmsg ? (c != 4 && c != 5) : (c != 3 && c != 4))
		return -EPROTO;
	m->subject = w[0];
	m->subject_len = wl[0];
	{
		int64_t sid = parse_size(w[1], wl[1]);

		if (sid < 0)
			return -EPROTO;
		m->sid = (uint64_t)sid;
	}
	szi = hmsg ? c - 2 : c - 1;
	if (szi == 3) {
		m->reply = w[2];
		m->reply_len = wl[2];
	}
	if (hmsg) {
		hdr = parse_size(w[c - 2], wl[c - 2]);
		if (hdr < 0)
			return -EPROTO;
	}
	total = parse_size(w[c - 1], wl[c - 1]);
	if (total < 0 || hdr > total)
		return -EPROTO;
	if (hmsg && hdr < 12)
		return -EPROTO; /* cannot hold "NATS/1.0\r\n\r\n" */
	m->hdr_len = (size_t)hdr;
	p->need = (size_t)total;
	return 0;
}

/* Handles one complete control line s[0..n) (line end removed).
 * Returns 1 with ev filled, 2 when a message payload follows (its control-line fields in
 * ev->msg, its size in p->need), or a negative error. */
static int
parse_line(struct nats_parser *p, const char *s, size_t n, struct nats_event *ev)
{
	size_t wn = 0;

	while (wn < n && !is_blank(s[wn]))
		wn++;
	switch (wn) {
	case 3:
		if (word_is(s, 3, "MSG")) {
			if (parse_msg_args(p, s + 3, n - 3, false, &ev->msg) != 0)
				return -EPROTO;
			p->msg_op = NATS_OP_MSG;
			return 2;
		}
		if (word_is(s, 3, "+OK") && only_blanks(s + 3, n - 3)) {
			ev->op = NATS_OP_OK;
			return 1;
		}
		break;
	case 4:
		if (word_is(s, 4, "HMSG")) {
			if (parse_msg_args(p, s + 4, n - 4, true, &ev->msg) != 0)
				return -EPROTO;
			p->msg_op = NATS_OP_HMSG;
			return 2;
		}
		if (word_is(s, 4, "PING") && only_blanks(s + 4, n - 4)) {
			ev->op = NATS_OP_PING;
			return 1;
		}
		if (word_is(s, 4, "PONG") && only_blanks(s + 4, n - 4)) {
			ev->op = NATS_OP_PONG;
			return 1;
		}
		if (word_is(s, 4, "INFO")) {
			const char *j = s + 4, *e = s + n;

			while (j < e && is_blank(*j))
				j++;
			while (e > j && is_blank(e[-1]))
				e--;
			if (j == e || j == s + 4)
				return -EPROTO;
			ev->op = NATS_OP_INFO;
			ev->info.json = j;
			ev->info.len = (size_t)(e - j);
			return 1;
		}
		if (word_is(s, 4, "-ERR")) {
			const char *t = s + 4, *e = s + n;

			while (t < e && is_blank(*t))
				t++;
			while (e > t && is_blank(e[-1]))
				e--;
			if (e - t >= 2 && *t == '\'' && e[-1] == '\'') {
				t++;
				e--;
			}
			ev->op = NATS_OP_ERR;
			ev->err.text = t;
			ev->err.len = (size_t)(e - t);
			ev->err.kind = nats_err_classify(t, ev->err.len, &ev->err.fatal);
			return 1;
		}
		break;
	default:
		break;
	}
	return -EPROTO;
}

/* Completes the message whose control-line fields are in ev->msg with its payload at data.
 */
static int
emit_msg(struct nats_parser *p, const char *data, struct nats_event *ev)
{
	struct nats_msg *m = &ev->msg;

	if (p->msg_op == NATS_OP_HMSG) {
		m->hdr = data;
		if (parse_hdr_status(m) != 0)
			return -EPROTO;
	} else {
		m->hdr = NULL;
		m->hdr_len = 0;
	}
	m->data = data + m->hdr_len;
	m->data_len = p->need - m->hdr_len;
	ev->op = p->msg_op;
	p->state = NATS_PARSER_LINE;
	p->line_len = 0;
	p->ops++;
	return 1;
}

/* Keeps the pending message's control-line fields (in *pending) in p->msg until its payload
 * is complete; when its line lies in the caller's input, copies the line into p->line so
 * that its subject and reply survive the input. */
static void
keep_line(struct nats_parser *p, const struct nats_msg *pending, const char *line,
	  size_t line_len)
{
	struct nats_msg *m = &p->msg;
	size_t so, ro;

	*m = *pending;
	if (!p->line_in_input)
		return;
	so = (size_t)(m->subject - line);
	ro = m->reply_len ? (size_t)(m->reply - line) : 0;
	memcpy(p->line, line, line_len);
	m->subject = p->line + so;
	if (m->reply_len)
		m->reply = p->line + ro;
	p->line_in_input = false;
}

/* What a state's step returns besides a final result (0, 1 or a negative code with *used
 * set): the state changed, go on with the next one. */
#define STEP_ON 2

/* LINE, no LF in the rest of the input: keeps the partial line (up to NATS_CTL_MAX). */
static int
keep_partial_line(struct nats_parser *p, const char *in, size_t i, size_t len, size_t *used)
{
	if (p->line_len + (len - i) > NATS_CTL_MAX)
		return fail(p, -E2BIG, used);
	if (len > i) {
		memcpy(p->line + p->line_len, in + i, len - i);
		p->line_len += len - i;
	}
	*used = len;
	return 0;
}

/* LINE, a message's control line parsed: its payload follows. Returns it at once when it is
 * whole in the input (in place), else keeps the line and goes on in PAYLOAD. */
static int
begin_payload(struct nats_parser *p, const char *in, size_t len, size_t i, const char *line,
	      const char *nl, size_t *used, struct nats_event *ev)
{
	int rc;

	if (p->need > p->payload_cap)
		return fail(p, -EMSGSIZE, used);
	p->got = 0;
	p->state = NATS_PARSER_PAYLOAD;
	if (len - i >= p->need + 2) {
		if (in[i + p->need] != '\r' || in[i + p->need + 1] != '\n')
			return fail(p, -EPROTO, used);
		rc = emit_msg(p, in + i, ev);
		if (rc < 0)
			return fail(p, rc, used);
		*used = i + p->need + 2;
		return 1;
	}
	keep_line(p, &ev->msg, line, p->line_in_input ? (size_t)(nl - line) + 1 : p->line_len);
	return STEP_ON;
}

/* LINE: a control line, parsed in place when it is whole in the input, else completed in
 * p->line. An operation without payload is returned (1); a message goes on to its payload. */
static int
step_line(struct nats_parser *p, const char *in, size_t len, size_t *i, size_t *used,
	  struct nats_event *ev)
{
	const char *nl = len > *i ? memchr(in + *i, '\n', len - *i) : NULL;
	const char *line;
	size_t ll;
	int rc;

	if (nl == NULL)
		return keep_partial_line(p, in, *i, len, used);
	ll = (size_t)(nl - (in + *i)) + 1;
	if (p->line_len + ll > NATS_CTL_MAX)
		return fail(p, -E2BIG, used);
	if (p->line_len == 0) {
		line = in + *i; /* whole line in the input: parse it in place */
		p->line_in_input = true;
	} else {
		memcpy(p->line + p->line_len, in + *i, ll);
		p->line_len += ll;
		line = p->line;
		ll = p->line_len;
		p->line_in_input = false;
	}
	*i = (size_t)(nl - in) + 1;
	/* ll counts the LF; drop it and an optional CR */
	ll--;
	if (ll > 0 && line[ll - 1] == '\r')
		ll--;
	rc = parse_line(p, line, ll, ev);
	if (rc < 0)
		return fail(p, rc, used);
	if (rc == 1) {
		p->line_len = 0;
		p->ops++;
		*used = *i;
		return 1;
	}
	return begin_payload(p, in, len, *i, line, nl, used, ev);
}

/* PAYLOAD: copies what the input holds of the payload; all of it moves to PAYLOAD_CR. */
static int
step_payload(struct nats_parser *p, const char *in, size_t len, size_t *i, size_t *used)
{
	size_t take = JW_MIN(p->need - p->got, len - *i);

	if (take > 0) {
		memcpy(p->payload + p->got, in + *i, take);
		p->got += take;
		*i += take;
	}
	if (p->got < p->need) {
		*used = len;
		return 0;
	}
	p->state = NATS_PARSER_PAYLOAD_CR;
	return STEP_ON;
}

/* PAYLOAD_CR / PAYLOAD_LF: the payload's terminator, one byte each; anything else is
 * -EPROTO. After the LF the buffered message is returned. */
static int
step_terminator(struct nats_parser *p, const char *in, size_t len, size_t *i, size_t *used,
		struct nats_event *ev)
{
	bool cr = p->state == NATS_PARSER_PAYLOAD_CR;
	int rc;

	if (*i == len) {
		*used = len;
		return 0;
	}
	if (in[(*i)++] != (cr ? '\r' : '\n'))
		return fail(p, -EPROTO, used);
	if (cr) {
		p->state = NATS_PARSER_PAYLOAD_LF;
		return STEP_ON;
	}
	ev->msg = p->msg;
	rc = emit_msg(p, p->payload ? p->payload : "", ev);
	if (rc < 0)
		return fail(p, rc, used);
	*used = *i;
	return 1;
}

int
nats_parser_next(struct nats_parser *p, const char *in, size_t len, size_t *used,
		 struct nats_event *ev)
{
	size_t i = 0;
	int rc;

	if (p->state == NATS_PARSER_FAILED) {
		*used = 0;
		return p->error;
	}
	if (in == NULL)
		len = 0;
	ev->op = NATS_OP_NONE;
	for (;;) {
		switch (p->state) {
		case NATS_PARSER_LINE:
			rc = step_line(p, in, len, &i, used, ev);
			break;
		case NATS_PARSER_PAYLOAD:
			rc = step_payload(p, in, len, &i, used);
			break;
		case NATS_PARSER_PAYLOAD_CR:
		case NATS_PARSER_PAYLOAD_LF:
			rc = step_terminator(p, in, len, &i, used, ev);
			break;
		case NATS_PARSER_FAILED:
		default:
			*used = 0;
			return p->error ? p->error : -EPROTO;
		}
		if (rc != STEP_ON)
			return rc;
	}
}
