/* The NATS session state machine (see session-t.h for states and threads). */
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "common/jw_atomic.h"
#include "flow/flow_ident.h"
#include "nats/nats_enc.h"
#include "nats/nats_parser.h"
#include "nats/nats_puback.h"
#include "session/session.h"
#include "session/session_priv.h"

#define RELAXED memory_order_relaxed
#define ACQUIRE memory_order_acquire
#define RELEASE memory_order_release

static const char *const state_names[] = {
	[SESSION_DOWN] = "down",
	[SESSION_TCP_CONNECTING] = "tcp-connecting",
	[SESSION_WAIT_INFO] = "wait-info",
	[SESSION_HANDSHAKE] = "handshake",
	[SESSION_READY] = "ready",
	[SESSION_CLOSING] = "closing",
	[SESSION_TLS] = "tls-handshake",
};

static const char *const close_names[] = {
	[SESSION_CLOSE_NONE] = "none",
	[SESSION_CLOSE_TCP] = "tcp",
	[SESSION_CLOSE_SERVER_ERR] = "server-error",
	[SESSION_CLOSE_PROTOCOL] = "protocol",
	[SESSION_CLOSE_STALE] = "stale",
	[SESSION_CLOSE_TIMEOUT] = "timeout",
	[SESSION_CLOSE_UNSUPPORTED] = "unsupported",
	[SESSION_CLOSE_LAME_DUCK] = "lame-duck",
	[SESSION_CLOSE_AUTH] = "auth",
	[SESSION_CLOSE_SHUTDOWN] = "shutdown",
	[SESSION_CLOSE_TLS] = "tls",
};

const char *
session_state_str(enum session_state st)
{
	return (unsigned)st < JW_ARRAY_SIZE(state_names) ? state_names[st] : "?";
}

const char *
session_close_str(enum session_close_reason r)
{
	return (unsigned)r < JW_ARRAY_SIZE(close_names) ? close_names[r] : "?";
}

static bool
set(const char *v)
{
	return v != NULL && v[0] != '\0';
}

/* Writes the greeting into dst (SESSION_HS_MAX): CONNECT with the credentials (an NKey
 * signature of nonce when the session signs and the server sent a nonce; a server that
 * sends none asks for no proof) and "tls_required" true when this connection runs TLS (as
 * nats.c says it for a secure connection), SUB to the inbox, PING. Returns its length or
 * -E2BIG. */
static int
build_greeting(struct session *s, char *dst, const char *nonce, bool tls)
{
	char sig[JW_NKEY_SIG_LEN + 1];
	struct nats_connect_opts o = {
		.name = s->p.name,
		.tls_required = tls,
		.auth_token = set(s->p.token) ? s->p.token : NULL,
		.user = set(s->p.user) ? s->p.user : NULL,
		.pass = set(s->p.user) ? s->p.pass : NULL,
	};
	char sub[FLOW_INBOX_PREFIX_MAX + 2];
	ssize_t n;
	int sl;
	size_t off = 0;

	if (s->p.nkey != NULL) {
		if (set(s->p.jwt))
			o.jwt = s->p.jwt;      /* the server finds the user key in the JWT */
		else
			o.nkey = s->p.nkey->public_key;
		if (set(nonce)) {
			n = jw_nkey_sign(s->p.nkey, nonce, strlen(nonce), sig, sizeof(sig));
			if (n < 0)
				return (int)n;
			JW_INC(s->x.signatures);
			o.sig = sig;
		}
	}
	n = nats_connect_encode(dst, SESSION_HS_MAX, &o);
	jw_secret_wipe(sig, sizeof(sig));
	if (n < 0)
		return n == -ENOSPC ? -E2BIG : (int)n;
	off = (size_t)n;
	sl = flow_inbox_sub(&s->inbox, sub, sizeof(sub));
	if (sl < 0)
		return sl;
	n = nats_sub_encode(dst + off, SESSION_HS_MAX - off, sub, (size_t)sl, NULL, 0, 1);
	if (n < 0)
		return n == -ENOSPC ? -E2BIG : (int)n;
	off += (size_t)n;
	n = nats_ping_encode(dst + off, SESSION_HS_MAX - off);
	if (n < 0)
		return -E2BIG;
	return (int)(off + (size_t)n);
}

int
session_init(struct session *s, const struct session_params *p)
{
	int rc;

	if (p == NULL || !set(p->name) || (set(p->token) && set(p->user)) ||
	    (set(p->user) && p->pass == NULL) ||
	    (p->nkey != NULL && (set(p->token) || set(p->user))) ||
	    (set(p->jwt) && p->nkey == NULL) || p->connect_timeout_ns == 0 ||
	    p->backoff_min_ns == 0 || p->backoff_min_ns > p->backoff_max_ns ||
	    (p->ping_interval_ns != 0 && p->max_pings_out == 0) || p->payload_cap < 1024 ||
	    p->jitter_permille > 1000 ||
	    p->tls_mode > SESSION_TLS_OFF || (p->tls_mode == SESSION_TLS_REQUIRED && p->tls_ctx == NULL))
		return -EINVAL;
	memset(s, 0, sizeof(*s));
	s->p = *p;
	flow_inbox_init(&s->inbox, p->run_id, p->conn_index);
	s->sign = p->nkey != NULL;
	/* without a signature the greeting is the same on every plain connection: built once
	 * (a TLS connection's is rebuilt at its INFO: tls_required) */
	rc = build_greeting(s, s->hs[0], NULL, false);
	if (rc < 0)
		return rc;
	s->hs_len[0] = s->hs_len[1] = (uint32_t)rc;
	memcpy(s->hs[1], s->hs[0], (size_t)rc);
	for (int i = 0; i < 2; i++) {
		s->x.payloads[i] = malloc(p->payload_cap);
		if (s->x.payloads[i] == NULL) {
			session_fini(s);
			return -ENOMEM;
		}
		nats_parser_init(&s->x.parsers[i], s->x.payloads[i], p->payload_cap);
	}
	rc = session_tls_init(s);
	if (rc != 0) {
		session_fini(s);
		return rc;
	}
	s->x.backoff_ns = p->backoff_min_ns;
	s->x.next_connect_ns = 0;
	s->x.rng = p->jitter_seed | 1;
	return 0;
}

void
session_fini(struct session *s)
{
	for (int i = 0; i < 2; i++) {
		free(s->x.payloads[i]);
		s->x.payloads[i] = NULL;
	}
	session_tls_fini(s);
}

static void
set_state(struct session *s, enum session_state st, uint64_t now_ns)
{
	s->x.state_since_ns = now_ns;
	/* release: everything C wrote before (epoch, hs_req, max_payload) is seen with it [S1] */
	atomic_store_explicit(&s->c.state, st, RELEASE);
}

static int plain_bytes(struct session *s, const char *data, size_t len, uint64_t now_ns,
		       const struct session_cb *cb);
static void greet(struct session *s, uint64_t now_ns);

/* What the TLS layer hands up (session_priv.h): the protocol on its plaintext, and the
 * greeting once the handshake is done. */
static const struct session_tls_up tls_up = { plain_bytes, greet };

/* The server's bytes on a TLS connection. A failure of the handshake or of the record layer
 * (recorded by session_tls.c) closes the session as TLS; when the protocol on the
 * plaintext gave up it has closed it already, and this close is a no-op. */
static int
tls_bytes(struct session *s, const char *data, size_t len, uint64_t now_ns,
	  const struct session_cb *cb)
{
	int rc = session_tls_bytes(s, (const uint8_t *)data, len, now_ns, cb, &tls_up);

	if (rc < 0)
		session_ctl_close(s, SESSION_CLOSE_TLS, now_ns);
	return rc;
}

/* --- C ------------------------------------------------------------------------------------ */

void
session_ctl_close(struct session *s, enum session_close_reason why, uint64_t now_ns)
{
	enum session_state st = session_state(s);

	if (st == SESSION_DOWN || st == SESSION_CLOSING)
		return;
	s->x.last_close = why;
	JW_INC(s->x.closes[why]);
	set_state(s, SESSION_CLOSING, now_ns);
}

/* Asks T for one PING and remembers when (PONGs answer PINGs in order). */
static void
ask_ping(struct session *s, uint64_t now_ns)
{
	if (s->x.ping_tail - s->x.ping_head < SESSION_PINGS_TRACKED)
		s->x.ping_asked[s->x.ping_tail++ % SESSION_PINGS_TRACKED] = now_ns;
	else
		s->x.ping_tail++, s->x.ping_head++; /* oldest forgotten: its PONG reports 0 */
	/* release pairs with T's acquire of ping_req: the request is new */
	atomic_store_explicit(&s->c.ping_req, atomic_load_explicit(&s->c.ping_req, RELAXED) + 1,
			      RELEASE); /* [S3] */
}

void
session_ctl_probe(struct session *s, uint64_t now_ns)
{
	if (session_state(s) != SESSION_READY || s->x.probe_deadline_ns != 0)
		return;
	JW_INC(s->x.probes);
	s->x.probe_deadline_ns = now_ns + JW_MAX(s->p.liveness_timeout_ns, (uint64_t)1);
	ask_ping(s, now_ns);
}

enum session_action
session_ctl_poll(struct session *s, uint64_t now_ns)
{
	enum session_state st = session_state(s);

	switch (st) {
	case SESSION_DOWN:
		return now_ns >= s->x.next_connect_ns ? SESSION_ACT_CONNECT : SESSION_ACT_NONE;
	case SESSION_TCP_CONNECTING:
	case SESSION_WAIT_INFO:
	case SESSION_TLS:
	case SESSION_HANDSHAKE:
		if (now_ns - s->x.connect_start_ns >= s->p.connect_timeout_ns) {
			session_ctl_close(s, SESSION_CLOSE_TIMEOUT, now_ns);
			return SESSION_ACT_ABORT;
		}
		return SESSION_ACT_NONE;
	case SESSION_READY:
		if (s->x.probe_deadline_ns != 0 && s->p.liveness_timeout_ns != 0 &&
		    now_ns >= s->x.probe_deadline_ns) {
			session_ctl_close(s, SESSION_CLOSE_STALE, now_ns);
			return SESSION_ACT_ABORT;
		}
		if (s->p.ping_interval_ns == 0 || now_ns - s->x.last_ping_ns < s->p.ping_interval_ns)
			return SESSION_ACT_NONE;
		if (s->x.pings_out >= s->p.max_pings_out) {
			session_ctl_close(s, SESSION_CLOSE_STALE, now_ns);
			return SESSION_ACT_ABORT;
		}
		s->x.pings_out++;
		s->x.last_ping_ns = now_ns;
		ask_ping(s, now_ns);
		return SESSION_ACT_NONE;
	case SESSION_CLOSING:
	default:
		return SESSION_ACT_NONE;
	}
}

void
session_ctl_connecting(struct session *s, uint64_t now_ns)
{
	JW_INC(s->x.connects);
	s->x.pings_out = 0;
	s->x.ping_head = s->x.ping_tail = 0;
	s->x.probe_deadline_ns = 0;
	s->x.connect_start_ns = now_ns;
	atomic_store_explicit(&s->c.epoch, atomic_load_explicit(&s->c.epoch, RELAXED) + 1,
			      RELAXED); /* published by set_state's release */
	session_tls_conn_reset(s);
	set_state(s, SESSION_TCP_CONNECTING, now_ns);
}

void
session_ctl_established(struct session *s, uint64_t now_ns)
{
	if (session_state(s) != SESSION_TCP_CONNECTING)
		return;
	nats_parser_reset(&s->x.parsers[s->x.pcur]);
	set_state(s, SESSION_WAIT_INFO, now_ns);
}

/* b less a random part of up to jitter_permille of it (connections that lost the same
 * server do not come back in step). */
static uint64_t
jittered(struct session *s, uint64_t b)
{
	uint64_t x = s->x.rng, span = b / 1000 * s->p.jitter_permille;

	if (span == 0)
		return b;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	s->x.rng = x;
	return b - x % (span + 1);
}

void
session_ctl_tcp_closed(struct session *s, uint64_t now_ns)
{
	enum session_state st = session_state(s);

	if (st == SESSION_DOWN)
		return;
	if (st != SESSION_CLOSING) {
		s->x.last_close = SESSION_CLOSE_TCP;
		JW_INC(s->x.closes[SESSION_CLOSE_TCP]);
	}
	if (s->x.last_close == SESSION_CLOSE_LAME_DUCK) {
		/* the server asked us to move: the next server at once, no backoff */
		s->x.next_connect_ns = now_ns;
	} else {
		s->x.next_connect_ns = now_ns + jittered(s, s->x.backoff_ns);
		s->x.backoff_ns = JW_MIN(s->x.backoff_ns * 2, s->p.backoff_max_ns);
		JW_INC(s->x.backoff_waits);
	}
	set_state(s, SESSION_DOWN, now_ns);
}

void
session_ctl_retry_at(struct session *s, uint64_t at_ns)
{
	if (session_state(s) == SESSION_DOWN && s->x.next_connect_ns < at_ns)
		s->x.next_connect_ns = at_ns;
}

static int
on_info(struct session *s, const struct nats_event *ev, uint64_t now_ns,
	const struct session_cb *cb)
{
	struct nats_info *info = &s->x.info;
	uint32_t maxp;

	JW_INC(s->x.infos);
	if (nats_info_parse(ev->info.json, ev->info.len, info) != 0) {
		session_ctl_close(s, SESSION_CLOSE_PROTOCOL, now_ns);
		return -EPROTO;
	}
	if (!info->headers || !info->jetstream) {
		session_ctl_close(s, SESSION_CLOSE_UNSUPPORTED, now_ns);
		return -EPROTONOSUPPORT;
	}
	maxp = info->max_payload <= 0 ? 0 :
	       info->max_payload > UINT32_MAX ? UINT32_MAX : (uint32_t)info->max_payload;
	atomic_store_explicit(&s->c.max_payload, maxp, RELAXED);
	if (cb->on_max_payload != NULL)
		cb->on_max_payload(cb->ctx, maxp);
	if (cb->on_info != NULL)
		cb->on_info(cb->ctx, info);
	if (info->ldm) {
		session_ctl_close(s, SESSION_CLOSE_LAME_DUCK, now_ns);
		return -ESHUTDOWN;
	}
	if (session_state(s) == SESSION_WAIT_INFO) {
		uint32_t epoch = atomic_load_explicit(&s->c.epoch, RELAXED);
		int rc = session_tls_decide(s, info, now_ns);
		bool tls = rc > 0;

		if (rc < 0) {
			session_ctl_close(s, SESSION_CLOSE_TLS, now_ns);
			return rc;
		}
		if (tls)
			set_state(s, SESSION_TLS, now_ns); /* after the ClientHello is out [S4][S5] */
		if (s->sign || tls || s->hs_tls[epoch & 1]) {
			/* this connection's nonce or TLS flag; T reads hs[epoch & 1] only after
			 * the release of HANDSHAKE (greet), C wrote it last for an
			 * earlier connection that T has left (epoch) */
			int n = build_greeting(s, s->hs[epoch & 1], info->nonce, tls);

			if (n < 0) {
				session_ctl_close(s, SESSION_CLOSE_PROTOCOL, now_ns);
				return -EPROTO;
			}
			s->hs_len[epoch & 1] = (uint32_t)n;
			s->hs_tls[epoch & 1] = tls;
		}
		if (tls)
			return 0; /* the TLS handshake first; greet() when it is done */
		greet(s, now_ns);
	}
	return 0;
}

/* INFO taken (and TLS up, if used): T is to send the greeting. */
static void
greet(struct session *s, uint64_t now_ns)
{
	/* release (via set_state): T sees hs_req (and hs[]) with HANDSHAKE */
	atomic_store_explicit(&s->c.hs_req, atomic_load_explicit(&s->c.epoch, RELAXED), RELAXED);
	set_state(s, SESSION_HANDSHAKE, now_ns);
}

static void
on_pong(struct session *s, uint64_t now_ns, const struct session_cb *cb)
{
	JW_INC(s->x.pongs_received);
	if (session_state(s) == SESSION_HANDSHAKE) {
		s->x.pings_out = 0;
		s->x.last_ping_ns = now_ns;
		s->x.backoff_ns = s->p.backoff_min_ns;
		JW_INC(s->x.ready);
		set_state(s, SESSION_READY, now_ns);
		if (cb->on_ready != NULL)
			cb->on_ready(cb->ctx);
	} else if (session_state(s) == SESSION_READY) {
		uint64_t asked = 0;

		if (s->x.pings_out > 0)
			s->x.pings_out--;
		if (s->x.ping_head != s->x.ping_tail)
			asked = s->x.ping_asked[s->x.ping_head++ % SESSION_PINGS_TRACKED];
		s->x.probe_deadline_ns = 0; /* the server answers: alive */
		if (cb->on_pong != NULL)
			cb->on_pong(cb->ctx, asked);
	}
}

static void
on_msg(struct session *s, const struct nats_msg *m, const struct session_cb *cb)
{
	struct flow_ack a;
	struct nats_puback pa;
	uint64_t seq, mark = 0;
	uint32_t cls = 0, gen = 0;

	if (flow_reply_parse(&s->inbox, m->subject, m->subject_len, &seq, &mark) != 0) {
		if (flow_reply_parse_shared(&s->inbox, m->subject, m->subject_len, &cls,
					    &gen) != 0) {
			JW_INC(s->x.foreign_msgs);
			return;
		}
		seq = UINT64_MAX; /* an answer to a shared reply: matched in order */
	}
	memset(&a, 0, sizeof(a));
	a.mark = mark;
	a.share_cls = cls;
	a.share_gen = gen;
	if (m->status == 503) {
		a.kind = FLOW_ACK_NO_STREAM;
		a.code = 503;
		a.reason = m->status_desc;
		a.reason_len = (uint32_t)m->status_desc_len;
	} else if (m->status != 0) {
		a.kind = FLOW_ACK_ERROR;
		a.code = m->status;
		a.reason = m->status_desc;
		a.reason_len = (uint32_t)m->status_desc_len;
	} else if (nats_puback_parse(m->data, m->data_len, &pa) != 0) {
		JW_INC(s->x.bad_acks);
		a.kind = FLOW_ACK_BAD;
	} else if (pa.is_error) {
		a.kind = FLOW_ACK_ERROR;
		a.code = pa.code;
		a.err_code = pa.err_code;
		a.reason = pa.description;
		a.reason_len = pa.desc_len;
	} else {
		a.kind = FLOW_ACK_OK;
		a.stream = pa.stream;
		a.stream_len = pa.stream_len;
		a.stream_seq = pa.seq;
		a.duplicate = pa.duplicate;
	}
	JW_INC(s->x.acks);
	cb->on_ack(cb->ctx, seq, &a);
}

int
session_ctl_bytes(struct session *s, const char *data, size_t len, uint64_t now_ns,
		  const struct session_cb *cb)
{
	if (session_tls_active(s))
		return tls_bytes(s, data, len, now_ns, cb);
	return plain_bytes(s, data, len, now_ns, cb);
}

/* The NATS protocol on plaintext bytes (the server's stream without TLS, or what the record
 * layer opened). Returns as session_ctl_bytes. */
static int
plain_bytes(struct session *s, const char *data, size_t len, uint64_t now_ns,
	    const struct session_cb *cb)
{
	struct nats_event ev;
	size_t used;
	int rc;

	for (;;) {
		enum session_state st = session_state(s);

		if (st == SESSION_TLS && len > 0)
			return tls_bytes(s, data, len, now_ns, cb);
		if (st != SESSION_WAIT_INFO && st != SESSION_HANDSHAKE && st != SESSION_READY)
			return 0; /* closing or down: the rest of this connection is ignored */
		rc = nats_parser_next(&s->x.parsers[s->x.pcur], data, len, &used, &ev);
		if (rc < 0) {
			session_ctl_close(s, SESSION_CLOSE_PROTOCOL, now_ns);
			return -EPROTO;
		}
		data += used;
		len -= used;
		if (rc == 0)
			return 0;
		switch (ev.op) {
		case NATS_OP_INFO:
			rc = on_info(s, &ev, now_ns, cb);
			if (rc == -ESHUTDOWN) {
				/* what follows the ldm INFO belongs to a drain, if the owner
				 * hands the connection to one (session_ctl_handoff) */
				s->x.ldm_rest = data;
				s->x.ldm_rest_len = len;
			}
			if (rc != 0)
				return rc;
			break;
		case NATS_OP_PING:
			JW_INC(s->x.server_pings);
			atomic_store_explicit(&s->c.pong_req,
					      atomic_load_explicit(&s->c.pong_req, RELAXED) + 1,
					      RELEASE); /* [S3] */
			break;
		case NATS_OP_PONG:
			on_pong(s, now_ns, cb);
			break;
		case NATS_OP_MSG:
		case NATS_OP_HMSG:
			if (st == SESSION_WAIT_INFO) {
				session_ctl_close(s, SESSION_CLOSE_PROTOCOL, now_ns);
				return -EPROTO;
			}
			on_msg(s, &ev.msg, cb);
			break;
		case NATS_OP_ERR:
			JW_INC(s->x.server_errs);
			if (cb->on_server_err != NULL)
				cb->on_server_err(cb->ctx, ev.err.text, ev.err.len, ev.err.fatal);
			if (ev.err.kind == NATS_ERR_AUTH_VIOLATION ||
			    ev.err.kind == NATS_ERR_AUTH_TIMEOUT ||
			    ev.err.kind == NATS_ERR_AUTH_EXPIRED ||
			    ev.err.kind == NATS_ERR_AUTH_REVOKED) {
				JW_INC(s->x.auth_failures);
				s->x.last_err = ev.err.kind;
				session_ctl_close(s, SESSION_CLOSE_AUTH, now_ns);
				return -EACCES;
			}
			if (ev.err.fatal) {
				s->x.last_err = ev.err.kind;
				session_ctl_close(s, SESSION_CLOSE_SERVER_ERR, now_ns);
				return -ECONNABORTED;
			}
			break;
		case NATS_OP_OK:
		case NATS_OP_NONE:
		default:
			break;
		}
		if (len == 0)
			return 0;
	}
}

int
session_ctl_handoff(struct session *s, uint64_t now_ns, struct session_rest *rest)
{
	uint32_t old = s->x.pcur;

	if (s->x.drain_busy || s->x.last_close != SESSION_CLOSE_LAME_DUCK ||
	    session_state(s) != SESSION_CLOSING)
		return -EBUSY;
	/* a TLS connection's records need the TLS state that the next connection resets */
	if (s->tls != NULL && s->tls->x.in_records)
		return -EOPNOTSUPP;
	s->x.drain_busy = true;
	s->x.pcur = old ^ 1u;
	if (rest != NULL) {
		rest->data = s->x.ldm_rest;
		rest->len = s->x.ldm_rest_len;
	}
	s->x.ldm_rest = NULL;
	s->x.ldm_rest_len = 0;
	nats_parser_reset(&s->x.parsers[s->x.pcur]);
	session_ctl_tcp_closed(s, now_ns); /* DOWN, reconnect at once */
	return (int)old;
}

int
session_ctl_drain_bytes(struct session *s, int parser, const char *data, size_t len,
			const struct session_cb *cb)
{
	struct nats_parser *p;
	struct nats_event ev;
	size_t used;
	int rc;

	if (!s->x.drain_busy || parser < 0 || parser > 1 || (uint32_t)parser == s->x.pcur)
		return -EINVAL;
	p = &s->x.parsers[parser];
	while (len > 0) {
		rc = nats_parser_next(p, data, len, &used, &ev);
		if (rc < 0)
			return -EPROTO;
		data += used;
		len -= used;
		if (rc == 0)
			break;
		if (ev.op == NATS_OP_MSG || ev.op == NATS_OP_HMSG) {
			JW_INC(s->x.drained_acks);
			on_msg(s, &ev.msg, cb);
		}
	}
	return 0;
}

void
session_ctl_drain_done(struct session *s)
{
	s->x.drain_busy = false;
}

/* --- T ------------------------------------------------------------------------------------ */

size_t
session_tx_control(struct session *s, char *buf, size_t cap)
{
	/* acquire: pairs with set_state's release [S1] */
	uint32_t epoch = atomic_load_explicit(&s->c.epoch, ACQUIRE);
	uint32_t st = atomic_load_explicit(&s->c.state, ACQUIRE);
	uint32_t hs_req = atomic_load_explicit(&s->c.hs_req, ACQUIRE);
	uint32_t hs_sent = atomic_load_explicit(&s->t.hs_sent, RELAXED);
	uint64_t req, sent;
	size_t n = 0;

	if (st != SESSION_HANDSHAKE && st != SESSION_READY)
		return 0;
	if (!session_tls_tx_ready(s, epoch))
		return 0; /* nothing in clear on a TLS connection before T seals */
	if (hs_req == epoch && hs_sent != epoch) {
		uint32_t len = s->hs_len[epoch & 1];

		if (cap < len)
			return 0;
		memcpy(buf, s->hs[epoch & 1], len);
		/* acquire: pairs with set_state's release of a later epoch; if C moved on while we
		 * copied, the copy may be torn and is for a dead connection anyway [S2] */
		atomic_thread_fence(ACQUIRE);
		if (atomic_load_explicit(&s->c.epoch, RELAXED) != epoch)
			return 0;
		n = len;
		atomic_store_explicit(&s->t.hs_sent, epoch, RELAXED);
		hs_sent = epoch;
		/* PONGs/PINGs asked for on an earlier connection are moot (acquire: [S3]) */
		atomic_store_explicit(&s->t.pong_sent,
				      atomic_load_explicit(&s->c.pong_req, ACQUIRE), RELAXED);
		atomic_store_explicit(&s->t.ping_sent,
				      atomic_load_explicit(&s->c.ping_req, ACQUIRE), RELAXED);
	}
	if (hs_sent != epoch)
		return n; /* CONNECT must come first */
	req = atomic_load_explicit(&s->c.pong_req, ACQUIRE); /* [S3] */
	sent = atomic_load_explicit(&s->t.pong_sent, RELAXED);
	while (sent < req && cap - n >= 6) {
		memcpy(buf + n, NATS_PONG_LINE, 6);
		n += 6;
		sent++;
	}
	atomic_store_explicit(&s->t.pong_sent, sent, RELAXED);
	req = atomic_load_explicit(&s->c.ping_req, ACQUIRE); /* [S3] */
	sent = atomic_load_explicit(&s->t.ping_sent, RELAXED);
	while (sent < req && cap - n >= 6) {
		memcpy(buf + n, NATS_PING_LINE, 6);
		n += 6;
		sent++;
	}
	atomic_store_explicit(&s->t.ping_sent, sent, RELAXED);
	return n;
}

void
session_counters_read(const struct session *s, struct session_counters *out)
{
#define RD(x) atomic_load_explicit(&(x), RELAXED)
	memset(out, 0, sizeof(*out));
	out->connects = RD(s->x.connects);
	out->ready = RD(s->x.ready);
	for (int i = 0; i < SESSION_CLOSE_REASONS; i++)
		out->closes[i] = RD(s->x.closes[i]);
	out->server_pings = RD(s->x.server_pings);
	out->pongs_sent = RD(s->t.pong_sent);
	out->pings_sent = RD(s->t.ping_sent);
	out->pongs_received = RD(s->x.pongs_received);
	out->probes = RD(s->x.probes);
	out->server_errs = RD(s->x.server_errs);
	out->acks = RD(s->x.acks);
	out->foreign_msgs = RD(s->x.foreign_msgs);
	out->bad_acks = RD(s->x.bad_acks);
	out->infos = RD(s->x.infos);
	out->auth_failures = RD(s->x.auth_failures);
	out->signatures = RD(s->x.signatures);
	out->backoff_waits = RD(s->x.backoff_waits);
	out->drained_acks = RD(s->x.drained_acks);
#undef RD
}
