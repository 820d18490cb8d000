/* Producer slots: claim and release by producers, reclamation of closed and dead
 * producers' slots by the control lcore, stats. Owner-word transitions ([P5] in shm-t.h):
 *
 *   FREE(gen) --claim (producer CAS)--> OWNED(pid, gen+1)
 *   OWNED --jw_close, records final (producer CAS)--> FREE(gen)
 *   OWNED --jw_close, records pending (producer CAS)--> CLOSED(pid, gen)
 *   OWNED --pid gone (control CAS)--> ORPHAN(pid, gen)
 *   CLOSED/ORPHAN --released == head (control CAS)--> FREE(gen)
 */
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "shm/shm.h"

static unsigned
tx_load(const struct jw_shm *shm, uint32_t tx)
{
	unsigned n = 0;

	for (uint32_t i = 0; i < shm->slots_per_tx; i++) {
		uint64_t o = __atomic_load_n(&jw_shm_slot(shm, tx, i)->owner, __ATOMIC_RELAXED);
		if (JW_OWNER_STATE(o) != JW_OWNER_FREE)
			n++;
	}
	return n;
}

static struct jw_shm_slot *
claim_in(const struct jw_shm *shm, uint32_t tx, int32_t pid)
{
	for (uint32_t i = 0; i < shm->slots_per_tx; i++) {
		struct jw_shm_slot *s = jw_shm_slot(shm, tx, i);
		uint64_t o = __atomic_load_n(&s->owner, __ATOMIC_ACQUIRE);
		uint64_t mine;

		if (JW_OWNER_STATE(o) != JW_OWNER_FREE)
			continue;
		mine = JW_OWNER_MAKE(pid, JW_OWNER_GEN(o) + 1, JW_OWNER_OWNED);
		/* [P5] acq_rel: acquires what the control lcore did before freeing the slot. */
		if (!__atomic_compare_exchange_n(&s->owner, &o, mine, 0, __ATOMIC_ACQ_REL,
						 __ATOMIC_RELAXED))
			continue;
		/* Reports left for an earlier owner are not ours: start after them. [P4] */
		__atomic_store_n(&s->rep_tail, __atomic_load_n(&s->rep_head, __ATOMIC_ACQUIRE),
				 __ATOMIC_RELEASE);
		return s;
	}
	return NULL;
}

struct jw_shm_slot *
jw_shm_claim(const struct jw_shm *shm, int prefer, int32_t pid)
{
	uint32_t n = shm->n_tx, start;
	struct jw_shm_slot *s;

	if (prefer >= (int)n || pid <= 0) {
		errno = EINVAL;
		return NULL;
	}
	if (prefer >= 0 && (s = claim_in(shm, (uint32_t)prefer, pid)) != NULL)
		return s;
	/* Least loaded first; ties go round robin so that producers spread. */
	start = __atomic_fetch_add(&shm->hdr->open_rr, 1, __ATOMIC_RELAXED) % n;
	for (uint32_t tries = 0; tries < n; tries++) {
		uint32_t best = n;
		unsigned best_load = ~0u;

		for (uint32_t k = 0; k < n; k++) {
			uint32_t tx = (start + k) % n;
			unsigned l = tx_load(shm, tx);
			if (l < best_load && l < shm->slots_per_tx) {
				best = tx;
				best_load = l;
			}
		}
		if (best == n)
			break;
		if ((s = claim_in(shm, best, pid)) != NULL)
			return s;
	}
	for (uint32_t tx = 0; tx < n; tx++)
		if ((s = claim_in(shm, tx, pid)) != NULL)
			return s;
	errno = EBUSY;
	return NULL;
}

int
jw_shm_unclaim(struct jw_shm_slot *s, uint64_t owner)
{
	uint64_t head = __atomic_load_n(&s->head, __ATOMIC_RELAXED); /* own cursor */
	uint64_t released = __atomic_load_n(&s->released, __ATOMIC_ACQUIRE);
	uint64_t next;

	if (released == head)
		next = JW_OWNER_MAKE(0, JW_OWNER_GEN(owner), JW_OWNER_FREE);
	else
		next = JW_OWNER_MAKE(JW_OWNER_PID(owner), JW_OWNER_GEN(owner), JW_OWNER_CLOSED);
	/* [P5] release: our last head is visible to whoever frees or claims the slot. */
	if (!__atomic_compare_exchange_n(&s->owner, &owner, next, 0, __ATOMIC_ACQ_REL,
					 __ATOMIC_RELAXED))
		return -ESTALE;
	return 0;
}

static int
pid_gone(int32_t pid)
{
	return pid <= 0 || (kill(pid, 0) == -1 && errno == ESRCH);
}

unsigned
jw_shm_reclaim(const struct jw_shm *shm)
{
	unsigned freed = 0;

	for (uint32_t t = 0; t < shm->n_tx; t++)
		for (uint32_t i = 0; i < shm->slots_per_tx; i++) {
			struct jw_shm_slot *s = jw_shm_slot(shm, t, i);
			uint64_t o = __atomic_load_n(&s->owner, __ATOMIC_ACQUIRE);
			unsigned st = JW_OWNER_STATE(o);
			uint64_t head, sent, released, next;

			if (st == JW_OWNER_OWNED) {
				if (!pid_gone(JW_OWNER_PID(o)))
					continue;
				next = JW_OWNER_MAKE(JW_OWNER_PID(o), JW_OWNER_GEN(o), JW_OWNER_ORPHAN);
				if (!__atomic_compare_exchange_n(&s->owner, &o, next, 0,
								 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
					continue;
				o = next;
				st = JW_OWNER_ORPHAN;
			}
			if (st != JW_OWNER_ORPHAN && st != JW_OWNER_CLOSED)
				continue;
			/* No producer writes head any more: what it says is final. */
			head = __atomic_load_n(&s->head, __ATOMIC_ACQUIRE);
			sent = __atomic_load_n(&s->sent, __ATOMIC_ACQUIRE);
			released = __atomic_load_n(&s->released, __ATOMIC_RELAXED);
			if ((head & 7) != 0 || head < sent || head - released > shm->ring_bytes) {
				/* Corrupt head of a departed producer: keep what was sent, drop the rest. */
				__atomic_store_n(&s->head, sent, __ATOMIC_RELEASE);
				head = sent;
			}
			if (released != head)
				continue;
			next = JW_OWNER_MAKE(0, JW_OWNER_GEN(o), JW_OWNER_FREE);
			if (__atomic_compare_exchange_n(&s->owner, &o, next, 0, __ATOMIC_ACQ_REL,
							__ATOMIC_RELAXED)) {
				__atomic_store_n(&s->reclaims, s->reclaims + 1, __ATOMIC_RELAXED);
				freed++;
			}
		}
	return freed;
}

int
jw_shm_slot_stats(const struct jw_shm *shm, uint32_t tx, uint32_t index,
		  struct jw_shm_slot_stats *st)
{
	const struct jw_shm_slot *s = jw_shm_slot(shm, tx, index);
	uint64_t o;

	if (s == NULL || st == NULL)
		return -EINVAL;
	o = __atomic_load_n(&s->owner, __ATOMIC_RELAXED);
	st->tx = tx;
	st->index = index;
	st->gen = JW_OWNER_GEN(o);
	st->state = JW_OWNER_STATE(o);
	st->pid = JW_OWNER_PID(o);
	st->head = __atomic_load_n(&s->head, __ATOMIC_RELAXED);
	st->sent = __atomic_load_n(&s->sent, __ATOMIC_RELAXED);
	st->released = __atomic_load_n(&s->released, __ATOMIC_RELAXED);
	st->rep_head = __atomic_load_n(&s->rep_head, __ATOMIC_RELAXED);
	st->rep_tail = __atomic_load_n(&s->rep_tail, __ATOMIC_RELAXED);
	st->eagain = __atomic_load_n(&s->eagain, __ATOMIC_RELAXED);
	st->bad_records = __atomic_load_n(&s->bad_records, __ATOMIC_RELAXED);
	st->bad_cursor = __atomic_load_n(&s->bad_cursor, __ATOMIC_RELAXED);
	st->reports_dropped = __atomic_load_n(&s->reports_dropped, __ATOMIC_RELAXED);
	st->reclaims = __atomic_load_n(&s->reclaims, __ATOMIC_RELAXED);
	return 0;
}
