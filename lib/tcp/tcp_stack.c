/* The per-process stack: its parameters (defaults and checks) and its lifecycle (the
 * secret keys for ISNs and port offsets, the connection table).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "tcp/tcp.h"

void
tcp_params_default(struct tcp_params *p)
{
	memset(p, 0, sizeof(*p));
	p->mss = 1460;
	p->rcv_buf = 256 * 1024;
	p->rto_min_ms = 200;
	p->rto_max_ms = 60000;
	p->rto_init_ms = 1000;
	p->max_retries = 8;
	p->syn_retries = 6;
	p->snd_segs = 1024;
	p->ooo_segs = 0; /* from rcv_buf (tcp_ooo_capacity) */
	p->offer_wscale = true;
	p->offer_ts = true;
	p->offer_sack = true;
	p->delack_ms = 2;
	p->pacing_gain_pct = 0;
	p->pacing_burst = 4;
	p->beta_pct = 70;
	p->fin_wait2_ms = 60000;
	p->challenge_acks_per_s = 10;
}

int
tcp_params_check(const struct tcp_params *p)
{
	if (p == NULL || p->mss < 536 || p->mss > 9000)
		return -EINVAL;
	if (p->rcv_buf < p->mss || p->rcv_buf > (1u << 30))
		return -EINVAL;
	if (p->rto_min_ms == 0 || p->rto_min_ms > p->rto_init_ms || p->rto_init_ms > p->rto_max_ms)
		return -EINVAL;
	if (p->snd_segs < 16 || (p->snd_segs & (p->snd_segs - 1)) != 0)
		return -EINVAL;
	if (p->ooo_segs > 4096)
		return -EINVAL;
	if (p->max_retries < 1 || p->syn_retries < 1)
		return -EINVAL;
	if (p->beta_pct < 50 || p->beta_pct > 90)
		return -EINVAL;
	if (p->delack_ms > 500 || p->pacing_gain_pct > 1000 ||
	    (p->pacing_gain_pct != 0 && (p->pacing_burst < 1 || p->pacing_burst > 64)))
		return -EINVAL;
	return 0;
}

struct tcp_stack *
tcp_stack_create(const struct tcp_io *io, const struct tcp_params *p, const uint8_t *key32)
{
	struct tcp_stack *st;
	uint8_t key[32];

	if (io == NULL || io->now_ns == NULL || tcp_params_check(p) != 0) {
		errno = EINVAL;
		return NULL;
	}
	st = calloc(1, sizeof(*st));
	if (st == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	st->io = io;
	st->p = *p;
	if (key32 != NULL) {
		memcpy(key, key32, sizeof(key));
	} else if (getrandom(key, sizeof(key), 0) != (ssize_t)sizeof(key)) {
		free(st);
		errno = EIO;
		return NULL;
	}
	memcpy(st->isn_key, key, 16);
	memcpy(st->port_key, key + 16, 16);
	st->port_counter = (uint32_t)tcp_siphash(st->port_key, "ctr", 3);
	return st;
}

void
tcp_stack_destroy(struct tcp_stack *st)
{
	free(st);
}
