/* The control lcore's SACK scoreboard (RFC 2018, DSACK RFC 2883): the SACK blocks of every
 * acceptable ACK become sorted, merged ranges above snd_una and a ring of the last DSACK
 * blocks, published to the TX lcore under a seqlock (struct tcp_sack_board in tcp-t.h;
 * the reader is sb_read in tcp_recovery.c).
 */
#include <string.h>

#include "tcp/tcp_priv.h"
#include "tcp/tcp_seq.h"

/* Publishes control's ranges and DSACK ring under the seqlock (see struct tcp_sack_board):
 * gen goes odd (relaxed) and a release fence orders it before the data stores; the final
 * store-release of the even gen pairs with the TX lcore's load-acquire in sb_read
 * (tcp_recovery.c). */
static void
sb_publish(struct tcp_conn *c)
{
	struct tcp_sack_board *b = &c->sb;
	uint32_t g = atomic_load_explicit(&b->gen, memory_order_relaxed);

	atomic_store_explicit(&b->gen, g + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release); /* [T6] */
	atomic_store_explicit(&b->n, c->c_sb_n, memory_order_relaxed);
	for (uint32_t i = 0; i < c->c_sb_n; i++) {
		atomic_store_explicit(&b->start[i], c->c_sb_start[i], memory_order_relaxed);
		atomic_store_explicit(&b->end[i], c->c_sb_end[i], memory_order_relaxed);
	}
	for (uint32_t i = 0; i < TCP_SB_DSACKS; i++) {
		atomic_store_explicit(&b->ds_start[i], c->c_ds_start[i], memory_order_relaxed);
		atomic_store_explicit(&b->ds_end[i], c->c_ds_end[i], memory_order_relaxed);
	}
	atomic_store_explicit(&b->dsack_n, c->c_dsack_n, memory_order_relaxed);
	atomic_store_explicit(&b->gen, g + 2, memory_order_release); /* [T6] */
}

/* Adds the SACKed range [s, e) to control's sorted, merged list. When the list is full the
 * highest range is dropped (the TX lcore already marked what it saw). */
static void
sb_insert(struct tcp_conn *c, uint32_t s, uint32_t e)
{
	uint32_t ns[TCP_SB_RANGES + 1], ne[TCP_SB_RANGES + 1], n = 0, i = 0;
	bool placed = false;

	while (i < c->c_sb_n || !placed) {
		uint32_t rs, re;
		if (!placed && (i == c->c_sb_n || SEQ_LT(s, c->c_sb_start[i]))) {
			rs = s;
			re = e;
			placed = true;
		} else {
			rs = c->c_sb_start[i];
			re = c->c_sb_end[i];
			i++;
		}
		if (n > 0 && SEQ_LEQ(rs, ne[n - 1])) { /* overlaps or touches the previous */
			if (SEQ_GT(re, ne[n - 1]))
				ne[n - 1] = re;
			continue;
		}
		if (n == TCP_SB_RANGES + 1)
			break;
		ns[n] = rs;
		ne[n] = re;
		n++;
	}
	if (n > TCP_SB_RANGES)
		n = TCP_SB_RANGES;
	memcpy(c->c_sb_start, ns, n * sizeof(ns[0]));
	memcpy(c->c_sb_end, ne, n * sizeof(ne[0]));
	c->c_sb_n = n;
}

/* Drops what snd_una covers. Returns true when the list changed. */
static bool
sb_trim(struct tcp_conn *c)
{
	uint32_t una = c->c_snd_una, k = 0;
	bool changed = false;

	for (uint32_t i = 0; i < c->c_sb_n; i++) {
		if (SEQ_LEQ(c->c_sb_end[i], una)) {
			changed = true;
			continue;
		}
		c->c_sb_start[k] = SEQ_LT(c->c_sb_start[i], una) ? una : c->c_sb_start[i];
		c->c_sb_end[k] = c->c_sb_end[i];
		changed |= c->c_sb_start[k] != c->c_sb_start[i] || k != i;
		k++;
	}
	c->c_sb_n = k;
	return changed;
}

/* Takes the SACK blocks of an acceptable ACK (snd_una already advanced to its ack):
 * a first block below the cumulative ACK, or inside the second block, is a DSACK (RFC
 * 2883 §4) and goes to the DSACK ring; other blocks must lie in (snd_una, snd_max]
 * (anything else is ignored: a forged or stale block never marks unsent data). */
void
tcp_sb_update(struct tcp_conn *c, const struct tcp_seg_info *si, uint32_t snd_max)
{
	bool changed = sb_trim(c);

	for (uint32_t i = 0; i < si->n_sack; i++) {
		uint32_t s = si->sack_start[i], e = si->sack_end[i];

		jw_ctr_add(&c->st_sack_blocks_in, 1);
		if (!SEQ_LT(s, e) || SEQ_DIFF(e, s) > (int32_t)(1u << 30))
			continue;
		if (i == 0 && (SEQ_LEQ(e, si->ack) ||
			       (si->n_sack > 1 && SEQ_LEQ(si->sack_start[1], s) &&
				SEQ_GEQ(si->sack_end[1], e)))) {
			uint32_t k = c->c_dsack_n % TCP_SB_DSACKS;
			c->c_ds_start[k] = s;
			c->c_ds_end[k] = e;
			c->c_dsack_n++;
			jw_ctr_add(&c->st_dsacks_in, 1);
			changed = true;
			continue;
		}
		if (SEQ_GT(e, snd_max) || SEQ_LEQ(e, c->c_snd_una))
			continue;
		if (SEQ_LT(s, c->c_snd_una))
			s = c->c_snd_una;
		sb_insert(c, s, e);
		changed = true;
	}
	if (changed)
		sb_publish(c);
}
