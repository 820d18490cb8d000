/* jetwire stats: per-lcore counter blocks (registration and readers). */
#include <errno.h>
#include <pthread.h>
#include <unistd.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "stats/stats.h"

_Static_assert(JW_STATS_FAIL__COUNT == JW_R_MAX, "one failure counter per JW_R_* reason");

/* Written under lcore_lock, read without it (release/acquire pair below). */
static struct jw_stats_lcore *_Atomic lcore_blocks[JW_STATS_MAX_LCORES];
static pthread_mutex_t lcore_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const fail_names[JW_STATS_FAIL__COUNT] = {
	[JW_STATS_FAIL_OTHER] = "other",
	[JW_R_NO_STREAM] = "no_stream",
	[JW_R_JS_ERROR] = "js_error",
	[JW_R_TIMEOUT] = "timeout",
	[JW_R_BAD_SUBJECT] = "bad_subject",
	[JW_R_BAD_HEADER] = "bad_header",
	[JW_R_TOO_BIG] = "too_big",
	[JW_R_CORRUPT] = "corrupt",
	[JW_R_SERVER_ERR] = "server_err",
	[JW_R_SHUTDOWN] = "shutdown",
};

static const char *const role_names[JW_STATS_ROLE__COUNT] = {
	[JW_STATS_ROLE_TX] = "tx",
	[JW_STATS_ROLE_CONTROL] = "control",
	[JW_STATS_ROLE_OTHER] = "other",
};

const char *
jw_stats_fail_reason_name(unsigned reason)
{
	return reason < JW_STATS_FAIL__COUNT && fail_names[reason] ? fail_names[reason] : "other";
}

const char *
jw_stats_role_name(unsigned role)
{
	return role < JW_STATS_ROLE__COUNT ? role_names[role] : "unknown";
}

struct jw_stats_lcore *
jw_stats_lcore_register(unsigned lcore_id, enum jw_stats_lcore_role role)
{
	struct jw_stats_lcore *b;

	if (lcore_id >= JW_STATS_MAX_LCORES || (unsigned)role >= JW_STATS_ROLE__COUNT) {
		errno = EINVAL;
		return NULL;
	}
	pthread_mutex_lock(&lcore_lock);
	b = atomic_load_explicit(&lcore_blocks[lcore_id], memory_order_relaxed); /* lock held */
	if (b == NULL) {
		b = aligned_alloc(JW_CACHE_LINE, sizeof(*b));
		if (b == NULL) {
			pthread_mutex_unlock(&lcore_lock);
			errno = ENOMEM;
			return NULL;
		}
		memset(b, 0, sizeof(*b));
		b->lcore_id = lcore_id;
		jw_hist_init(&b->ack_latency_ns);
		jw_hist_init(&b->ring_wait_ns);
	}
	__atomic_store_n(&b->role, (uint32_t)role, __ATOMIC_RELAXED);
	__atomic_store_n(&b->tid, (int32_t)gettid(), __ATOMIC_RELAXED);
	/* release: pairs with the acquire load in jw_stats_lcore_get() */
	atomic_store_explicit(&lcore_blocks[lcore_id], b, memory_order_release);
	pthread_mutex_unlock(&lcore_lock);
	return b;
}

const struct jw_stats_lcore *
jw_stats_lcore_get(unsigned lcore_id)
{
	if (lcore_id >= JW_STATS_MAX_LCORES)
		return NULL;
	/* acquire: pairs with the release store in jw_stats_lcore_register() */
	return atomic_load_explicit(&lcore_blocks[lcore_id], memory_order_acquire);
}

void
jw_stats_lcore_read(const struct jw_stats_lcore *b, struct jw_stats_totals *out)
{
	unsigned i;

	out->msg.accepted = jw_stat_read(&b->msg.accepted);
	out->msg.sent = jw_stat_read(&b->msg.sent);
	out->msg.acked = jw_stat_read(&b->msg.acked);
	out->msg.duplicate = jw_stat_read(&b->msg.duplicate);
	for (i = 0; i < JW_STATS_FAIL__COUNT; i++)
		out->msg.failed[i] = jw_stat_read(&b->msg.failed[i]);
	out->msg.bytes = jw_stat_read(&b->msg.bytes);
	out->msg.wire_bytes = jw_stat_read(&b->msg.wire_bytes);
	out->msg.resends = jw_stat_read(&b->msg.resends);
	out->msg.reconnects = jw_stat_read(&b->msg.reconnects);
	out->loop.loops = jw_stat_read(&b->loop.loops);
	out->loop.busy_cycles = jw_stat_read(&b->loop.busy_cycles);
	out->loop.idle_cycles = jw_stat_read(&b->loop.idle_cycles);
	out->loop.bursts = jw_stat_read(&b->loop.bursts);
	out->loop.mbufs_in_flight = jw_stat_read(&b->loop.mbufs_in_flight);
}

static void
totals_add(struct jw_stats_totals *dst, const struct jw_stats_totals *src)
{
	unsigned i;

	dst->msg.accepted += src->msg.accepted;
	dst->msg.sent += src->msg.sent;
	dst->msg.acked += src->msg.acked;
	dst->msg.duplicate += src->msg.duplicate;
	for (i = 0; i < JW_STATS_FAIL__COUNT; i++)
		dst->msg.failed[i] += src->msg.failed[i];
	dst->msg.bytes += src->msg.bytes;
	dst->msg.wire_bytes += src->msg.wire_bytes;
	dst->msg.resends += src->msg.resends;
	dst->msg.reconnects += src->msg.reconnects;
	dst->loop.loops += src->loop.loops;
	dst->loop.busy_cycles += src->loop.busy_cycles;
	dst->loop.idle_cycles += src->loop.idle_cycles;
	dst->loop.bursts += src->loop.bursts;
	dst->loop.mbufs_in_flight += src->loop.mbufs_in_flight;
}

int
jw_stats_lcore_sum(struct jw_stats_totals *out)
{
	struct jw_stats_totals one;
	const struct jw_stats_lcore *b;
	unsigned id;
	int n = 0;

	memset(out, 0, sizeof(*out));
	for (id = 0; id < JW_STATS_MAX_LCORES; id++) {
		b = jw_stats_lcore_get(id);
		if (b == NULL)
			continue;
		jw_stats_lcore_read(b, &one);
		totals_add(out, &one);
		n++;
	}
	return n;
}

int
jw_stats_latency_read(struct jw_hist_snap *ack_latency, struct jw_hist_snap *ring_wait)
{
	struct jw_hist_snap *one;
	const struct jw_stats_lcore *b;
	unsigned id;
	int n = 0;

	if (ack_latency)
		jw_hist_snap_init(ack_latency);
	if (ring_wait)
		jw_hist_snap_init(ring_wait);
	one = malloc(sizeof(*one));
	if (one == NULL)
		return -ENOMEM;
	for (id = 0; id < JW_STATS_MAX_LCORES; id++) {
		b = jw_stats_lcore_get(id);
		if (b == NULL)
			continue;
		if (ack_latency) {
			jw_hist_read(&b->ack_latency_ns, one);
			jw_hist_merge(ack_latency, one);
		}
		if (ring_wait) {
			jw_hist_read(&b->ring_wait_ns, one);
			jw_hist_merge(ring_wait, one);
		}
		n++;
	}
	free(one);
	return n;
}

void
jw_stats_lcore_release_all(void)
{
	unsigned id;

	pthread_mutex_lock(&lcore_lock);
	for (id = 0; id < JW_STATS_MAX_LCORES; id++) {
		free(atomic_load_explicit(&lcore_blocks[id], memory_order_relaxed));
		atomic_store_explicit(&lcore_blocks[id], NULL, memory_order_release);
	}
	pthread_mutex_unlock(&lcore_lock);
}
