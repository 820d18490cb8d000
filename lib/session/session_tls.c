/* TLS of a NATS session (the threading table is in session-t.h, struct session_tls).
 *
 * nats-server (2.9) sends its INFO in clear and then expects the TLS handshake: the first
 * INFO decides (session_tls_decide), the handshake runs in OpenSSL over memory BIOs on the
 * control lcore (lib/tls), its output is handed to the TX lcore as raw bytes, and once it is
 * done the send keys go to the TX lcore as plain key material, which seals every later byte
 * of the connection (CONNECT included); the control lcore opens the server's records and
 * feeds the plaintext to the NATS parser. Failures close the session with
 * SESSION_CLOSE_TLS and are counted by reason; the reconnect backoff of the session spaces
 * the attempts out (no tight loop). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "session/session.h"
#include "session/session_priv.h"
#include "tls/tls.h"

#define RELAXED memory_order_relaxed
#define ACQUIRE memory_order_acquire
#define RELEASE memory_order_release
#define RD(x) atomic_load_explicit(&(x), RELAXED)
#define ADD(ctr, n) atomic_store_explicit(&(ctr), atomic_load_explicit(&(ctr), RELAXED) + (n), RELAXED)

#define SCRATCH_MAX (2 * TLS_RECORD_MAX)

int
session_tls_init(struct session *s)
{
	struct session_tls *t = aligned_alloc(JW_CACHE_LINE,
					      JW_ALIGN_UP(sizeof(*t), (size_t)JW_CACHE_LINE));

	if (t == NULL)
		return -ENOMEM;
	memset(t, 0, sizeof(*t));
	s->tls = t;
	if (s->p.tls_ctx == NULL)
		return 0; /* plain only */
	t->x.rx = calloc(1, sizeof(*t->x.rx));
	t->x.scratch = malloc(SCRATCH_MAX);
	if (t->x.rx == NULL || t->x.scratch == NULL)
		return -ENOMEM; /* session_fini frees */
	return 0;
}

void
session_tls_fini(struct session *s)
{
	struct session_tls *t = s->tls;

	if (t == NULL)
		return;
	tls_hs_destroy(t->x.hs);
	if (t->x.rx != NULL)
		tls_rx_fini(t->x.rx);
	free(t->x.rx);
	free(t->x.scratch);
	OPENSSL_cleanse(&t->c.keys, sizeof(t->c.keys));
	free(t);
	s->tls = NULL;
}

void
session_ctl_tls_target(struct session *s, bool required, const char *name)
{
	s->tls->x.required = required;
	if (name != NULL)
		snprintf(s->tls->x.name, sizeof(s->tls->x.name), "%s", name);
}

enum tls_fail
session_tls_failure(const struct session *s, const char **detail)
{
	if (detail != NULL)
		*detail = s->tls->x.detail;
	return s->tls->x.last_fail;
}

void
session_tls_conn_reset(struct session *s)
{
	struct session_tls *t = s->tls;

	tls_hs_destroy(t->x.hs);
	t->x.hs = NULL;
	if (t->x.in_records)
		tls_rx_fini(t->x.rx);
	t->x.in_records = false;
	atomic_store_explicit(&t->c.out_len, 0, RELAXED);
	/* seqlock writer side: the new epoch (stored just before) is visible before any key or
	 * handshake byte C writes for it (T re-checks the epoch after copying) */
	atomic_thread_fence(RELEASE); /* [S6] */
}

bool
session_tls_on(const struct session *s)
{
	return s->tls->x.in_records;
}

bool
session_tls_active(const struct session *s)
{
	return s->tls->x.hs != NULL || s->tls->x.in_records;
}

/* Records why TLS failed (the counters and the detail the stats show); the caller returns a
 * negative value and session.c closes the session. */
static void
tls_fail(struct session *s, enum tls_fail f, const char *detail)
{
	struct session_tls *t = s->tls;

	t->x.last_fail = f;
	snprintf(t->x.detail, sizeof(t->x.detail), "%s", detail != NULL ? detail : "");
	ADD(t->x.fails[f], 1);
}

/* Appends what OpenSSL wants sent to the bytes T sends raw. -ENOSPC: a flight larger than
 * SESSION_TLS_OUT_MAX. */
static int
pump_out(struct session *s)
{
	struct session_tls *t = s->tls;
	uint32_t len = atomic_load_explicit(&t->c.out_len, RELAXED);
	size_t n;

	for (;;) {
		if (len == SESSION_TLS_OUT_MAX) {
			uint8_t probe;

			return tls_hs_output(t->x.hs, &probe, 1) == 0 ? 0 : -ENOSPC;
		}
		n = tls_hs_output(t->x.hs, t->c.out + len, SESSION_TLS_OUT_MAX - len);
		if (n == 0)
			break;
		len += (uint32_t)n;
		/* release: T reads out[] up to out_len after its acquire */
		atomic_store_explicit(&t->c.out_len, len, RELEASE); /* [S5] */
	}
	return 0;
}

int
session_tls_decide(struct session *s, const struct nats_info *info, uint64_t now_ns)
{
	struct session_tls *t = s->tls;
	bool offered = info->tls_required || info->tls_available;

	if (s->p.tls_mode == SESSION_TLS_OFF || s->p.tls_ctx == NULL) {
		if (!info->tls_required && !t->x.required)
			return 0;
		tls_fail(s, TLS_FAIL_DISABLED, "the server requires TLS and [nats] tls = off");
		return -ECONNREFUSED;
	}
	if (!offered) {
		if (!t->x.required && s->p.tls_mode != SESSION_TLS_REQUIRED)
			return 0;
		tls_fail(s, TLS_FAIL_NOT_OFFERED,
			 "TLS is required but the server's INFO offers none");
		return -ECONNREFUSED;
	}
	t->x.hs = tls_hs_create(s->p.tls_ctx, t->x.name);
	if (t->x.hs == NULL) {
		tls_fail(s, TLS_FAIL_INTERNAL, t->x.name[0] == '\0' ? "no server name to check" :
			 "cannot start the handshake (bad name or no memory)");
		return -ECONNREFUSED;
	}
	t->x.start_ns = now_ns;
	/* release: T sees out_len's reset of this epoch before it reads out[] [S4] */
	atomic_store_explicit(&t->c.epoch, atomic_load_explicit(&s->c.epoch, RELAXED), RELEASE);
	if (pump_out(s) != 0) {
		tls_fail(s, TLS_FAIL_INTERNAL, "ClientHello too large");
		return -ECONNREFUSED;
	}
	return 1;
}

struct plain_ctx {
	struct session *s;
	uint64_t now_ns;
	const struct session_cb *cb;
	const struct session_tls_up *up;
	int rc;
};

static int
on_plain(void *arg, const uint8_t *data, size_t len)
{
	struct plain_ctx *pc = arg;
	int rc = pc->up->plain(pc->s, (const char *)data, len, pc->now_ns, pc->cb);

	if (rc < 0)
		pc->rc = rc;
	return rc < 0 ? rc : 0;
}

static int
records_in(struct session *s, const uint8_t *data, size_t len, uint64_t now_ns,
	   const struct session_cb *cb, const struct session_tls_up *up)
{
	struct session_tls *t = s->tls;
	struct tls_rx *rx = t->x.rx;
	struct plain_ctx pc = { s, now_ns, cb, up, 0 };
	uint64_t r0 = tls_dir_records(&rx->dir), b0 = tls_dir_bytes(&rx->dir), ku;
	uint64_t k0 = atomic_load_explicit(&rx->dir.key_updates, RELAXED);
	int rc = tls_rx_input(rx, data, len, on_plain, &pc);

	ADD(t->x.records, tls_dir_records(&rx->dir) - r0);
	ADD(t->x.bytes, tls_dir_bytes(&rx->dir) - b0);
	ADD(t->x.key_updates, atomic_load_explicit(&rx->dir.key_updates, RELAXED) - k0);
	ku = tls_rx_key_update_requests(rx);
	if (ku != t->x.ku_seen) {
		/* release: T answers each request with a KeyUpdate of its own */
		atomic_store_explicit(&t->c.ku_req, atomic_load_explicit(&t->c.ku_req, RELAXED) +
				      (ku - t->x.ku_seen), RELEASE); /* [S7] */
		t->x.ku_seen = ku;
	}
	if (rc == 0 || pc.rc != 0)
		return rc; /* fine, or the NATS layer gave up (and closed the session) */
	ADD(t->x.rx_errors, 1);
	if (rx->last_error == TLS_RX_ALERT) {
		/* a fatal alert: with TLS 1.3 the server judges our certificate only after our
		 * handshake is done, so a refusal (certificate_required, bad_certificate,
		 * unknown_ca ...) arrives here */
		char d[64];

		snprintf(d, sizeof(d), "alert %u %s from the server", rx->alert_desc,
			 tls_alert_str(rx->alert_desc));
		tls_fail(s, TLS_FAIL_PEER_ALERT, d);
		return rc < 0 ? rc : -EPROTO;
	}
	t->x.last_fail = TLS_FAIL_NONE;
	snprintf(t->x.detail, sizeof(t->x.detail), "%s", tls_rx_error_str(rx->last_error));
	return rc < 0 ? rc : -EPROTO; /* the caller closes the session */
}

static void
info_publish(struct session_tls *t, const struct tls_session_info *in, uint64_t now_ns)
{
	uint32_t seq = atomic_load_explicit(&t->x.info_seq, RELAXED);

	atomic_store_explicit(&t->x.info_seq, seq + 1, RELAXED);
	atomic_thread_fence(RELEASE); /* odd before the fields change [S8] */
	t->x.info.version = in->version;
	t->x.info.aead = in->aead;
	memcpy(t->x.info.cipher, in->cipher, sizeof(t->x.info.cipher));
	t->x.info.handshake_ns = now_ns - t->x.start_ns;
	atomic_store_explicit(&t->x.info_seq, seq + 2, RELEASE); /* [S8] */
}

int
session_tls_bytes(struct session *s, const uint8_t *data, size_t len, uint64_t now_ns,
		  const struct session_cb *cb, const struct session_tls_up *up)
{
	struct session_tls *t = s->tls;
	struct tls_session_info info;
	struct tls_keys k;
	struct tls_dir rd;
	size_t extra = 0;
	int rc;

	if (t->x.in_records)
		return records_in(s, data, len, now_ns, cb, up);
	if (t->x.hs == NULL || session_state(s) != SESSION_TLS)
		return 0; /* closing: the rest of this connection is ignored */
	rc = tls_hs_input(t->x.hs, data, len);
	if (pump_out(s) != 0) {
		tls_fail(s, TLS_FAIL_INTERNAL, "handshake flight too large");
		return -ECONNREFUSED;
	}
	if (rc < 0) {
		const char *detail = NULL;
		enum tls_fail f = tls_hs_failure(t->x.hs, &detail);

		tls_fail(s, f, detail);
		return -ECONNREFUSED;
	}
	if (rc == 0)
		return 0;
	rc = tls_hs_finish(t->x.hs, &k, &rd, &info, t->x.scratch, SCRATCH_MAX, &extra);
	if (rc != 0) {
		tls_fail(s, rc == -EPROTO ? TLS_FAIL_CIPHER : TLS_FAIL_INTERNAL,
			 "cannot take the negotiated keys");
		return -ECONNREFUSED;
	}
	tls_hs_destroy(t->x.hs);
	t->x.hs = NULL;
	tls_rx_init(t->x.rx, &rd);
	t->x.in_records = true;
	t->x.ku_seen = 0;
	info_publish(t, &info, now_ns);
	ADD(t->x.handshakes, 1);
	t->c.keys = k;
	OPENSSL_cleanse(&k, sizeof(k));
	/* release: T sees the keys, and out_len with the last flight, once it sees this */
	atomic_store_explicit(&t->c.ready_epoch, atomic_load_explicit(&s->c.epoch, RELAXED),
			      RELEASE); /* [S6] */
	up->established(s, now_ns);
	if (extra > 0)
		return records_in(s, t->x.scratch, extra, now_ns, cb, up);
	return 0;
}

/* --- T ------------------------------------------------------------------------------------ */

static uint32_t
sent_of(struct session_tls *t, uint32_t epoch)
{
	return t->t_out_epoch == epoch ? atomic_load_explicit(&t->t.out_sent, RELAXED) : 0;
}

size_t
session_tx_tls_pending(struct session *s, const uint8_t **p)
{
	struct session_tls *t = s->tls;
	uint32_t epoch = session_tx_epoch(s);
	uint32_t len, sent;

	if (atomic_load_explicit(&t->c.epoch, ACQUIRE) != epoch) /* [S4] */
		return 0; /* this connection is plain (or not yet TLS) */
	if (t->t_out_epoch != epoch) {
		t->t_out_epoch = epoch;
		atomic_store_explicit(&t->t.out_sent, 0, RELAXED);
	}
	len = atomic_load_explicit(&t->c.out_len, ACQUIRE); /* [S5] */
	sent = atomic_load_explicit(&t->t.out_sent, RELAXED);
	if (sent >= len)
		return 0;
	*p = t->c.out + sent;
	return len - sent;
}

void
session_tx_tls_sent(struct session *s, size_t n)
{
	ADD(s->tls->t.out_sent, (uint32_t)n);
}

int
session_tx_tls_keys(struct session *s, struct tls_keys *k)
{
	struct session_tls *t = s->tls;
	uint32_t epoch = session_tx_epoch(s);

	if (atomic_load_explicit(&t->t.adopted, RELAXED) == epoch ||
	    atomic_load_explicit(&t->c.ready_epoch, ACQUIRE) != epoch) /* [S6] */
		return 0;
	/* after ready_epoch's acquire: out_len includes the last flight (client Finished) */
	if (sent_of(t, epoch) < atomic_load_explicit(&t->c.out_len, ACQUIRE)) /* [S5] */
		return 0; /* the raw bytes go first */
	*k = t->c.keys;
	atomic_thread_fence(ACQUIRE); /* [S6] */
	if (atomic_load_explicit(&s->c.epoch, RELAXED) != epoch) {
		OPENSSL_cleanse(k, sizeof(*k));
		return 0; /* a new connection began while copying: these keys are moot */
	}
	atomic_store_explicit(&t->t.adopted, epoch, RELAXED);
	/* requests of earlier connections are moot */
	atomic_store_explicit(&t->t.ku_sent, atomic_load_explicit(&t->c.ku_req, ACQUIRE), /* [S7] */
			      RELAXED);
	return 1;
}

bool
session_tls_tx_ready(const struct session *s, uint32_t epoch)
{
	const struct session_tls *t = s->tls;

	return atomic_load_explicit(&t->c.epoch, ACQUIRE) != epoch || /* [S4] */
	       atomic_load_explicit(&t->t.adopted, RELAXED) == epoch;
}

uint64_t
session_tx_tls_ku_due(struct session *s)
{
	struct session_tls *t = s->tls;

	return atomic_load_explicit(&t->c.ku_req, ACQUIRE) - RD(t->t.ku_sent); /* [S7] */
}

void
session_tx_tls_ku_sent(struct session *s, bool asked)
{
	if (asked)
		ADD(s->tls->t.ku_sent, 1);
	ADD(s->tls->t.key_updates, 1);
}

void
session_tx_tls_sealed(struct session *s, uint64_t records, uint64_t bytes)
{
	ADD(s->tls->t.records, records);
	ADD(s->tls->t.bytes, bytes);
}

void
session_tx_tls_padded(struct session *s, uint64_t bytes)
{
	ADD(s->tls->t.pad_bytes, bytes);
}

/* --- any ---------------------------------------------------------------------------------- */

void
session_tls_read(const struct session *s, struct session_tls_stats *out)
{
	const struct session_tls *t = s->tls;

	memset(out, 0, sizeof(*out));
	for (int tries = 0; tries < 4; tries++) {
		uint32_t a = atomic_load_explicit(&t->x.info_seq, ACQUIRE), b; /* [S8] */

		if (a & 1)
			continue;
		memcpy(&out->info, &t->x.info, sizeof(out->info));
		atomic_thread_fence(ACQUIRE); /* [S8] */
		b = atomic_load_explicit(&t->x.info_seq, RELAXED);
		if (a == b)
			break;
		memset(&out->info, 0, sizeof(out->info));
	}
	out->info.cipher[sizeof(out->info.cipher) - 1] = '\0';
	out->handshakes = RD(t->x.handshakes);
	for (int i = 0; i < TLS_FAIL_REASONS; i++)
		out->fails[i] = RD(t->x.fails[i]);
	out->records_sealed = RD(t->t.records);
	out->bytes_sealed = RD(t->t.bytes);
	out->records_opened = RD(t->x.records);
	out->bytes_opened = RD(t->x.bytes);
	out->key_updates_sent = RD(t->t.key_updates);
	out->pad_bytes = RD(t->t.pad_bytes);
	out->key_updates_received = RD(t->x.key_updates);
	out->rx_errors = RD(t->x.rx_errors);
}
