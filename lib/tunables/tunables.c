/* lib/tunables: runtime tunables published through RCU. */
#include <errno.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <urcu-qsbr.h>

#include "common/jw_err.h"
#include "common/jw_common.h"
#include "tunables/tunables.h"

struct jw_tunables *jw_tunables_rcu_ptr;

static pthread_mutex_t update_lock = PTHREAD_MUTEX_INITIALIZER;
static uint32_t window_cap;
static _Atomic uint64_t n_applied, n_rejected; /* any updater thread: RMW, relaxed */

int
jw_tunables_init(const struct jw_tunables *initial, uint32_t cap, char *err, size_t errlen)
{
	struct jw_tunables *t;
	int rc;

	if (cap == 0) {
		jw_errf(err, errlen, "window capacity must be at least 1");
		return -EINVAL;
	}
	rc = jw_tunables_validate(initial, cap, err, errlen);
	if (rc)
		return rc;
	t = malloc(sizeof(*t));
	if (t == NULL)
		return -ENOMEM;
	*t = *initial;
	t->generation = 1;
	pthread_mutex_lock(&update_lock);
	if (jw_tunables_rcu_ptr != NULL) {
		pthread_mutex_unlock(&update_lock);
		free(t);
		jw_errf(err, errlen, "tunables already initialised");
		return -EALREADY;
	}
	window_cap = cap;
	rcu_assign_pointer(jw_tunables_rcu_ptr, t);
	pthread_mutex_unlock(&update_lock);
	return 0;
}

int
jw_tunables_update(const char *params, struct jw_tunables *applied, char *err, size_t errlen)
{
	struct jw_tunables *nt, *old;
	int rc;

	nt = malloc(sizeof(*nt));
	if (nt == NULL)
		return -ENOMEM;
	pthread_mutex_lock(&update_lock);
	/* Updaters are serialised by update_lock, so the pointer cannot change under us. */
	old = jw_tunables_rcu_ptr;
	if (old == NULL) {
		pthread_mutex_unlock(&update_lock);
		free(nt);
		jw_errf(err, errlen, "tunables not initialised");
		return -ENOENT;
	}
	*nt = *old;
	rc = jw_tunables_parse(params, nt, err, errlen);
	if (rc == 0)
		rc = jw_tunables_validate(nt, window_cap, err, errlen);
	if (rc) {
		atomic_fetch_add_explicit(&n_rejected, 1, memory_order_relaxed);
		pthread_mutex_unlock(&update_lock);
		free(nt);
		return rc;
	}
	nt->generation = old->generation + 1;
	old = rcu_xchg_pointer(&jw_tunables_rcu_ptr, nt);
	atomic_fetch_add_explicit(&n_applied, 1, memory_order_relaxed);
	if (applied)
		*applied = *nt;
	pthread_mutex_unlock(&update_lock);
	/* Every reader that could still hold `old` passes a quiescent state before this returns
	 * (a thread calling this while online is taken offline for the wait by liburcu). */
	synchronize_rcu();
	free(old);
	return 0;
}

int
jw_tunables_snapshot(struct jw_tunables *out)
{
	int rc = -ENOENT;

	/* Holding update_lock keeps the current set from being replaced and freed. */
	pthread_mutex_lock(&update_lock);
	if (jw_tunables_rcu_ptr != NULL) {
		*out = *jw_tunables_rcu_ptr;
		rc = 0;
	}
	pthread_mutex_unlock(&update_lock);
	return rc;
}

uint32_t
jw_tunables_window_cap(void)
{
	uint32_t c;

	pthread_mutex_lock(&update_lock);
	c = window_cap;
	pthread_mutex_unlock(&update_lock);
	return c;
}

uint64_t
jw_tunables_updates_applied(void)
{
	return atomic_load_explicit(&n_applied, memory_order_relaxed);
}

uint64_t
jw_tunables_updates_rejected(void)
{
	return atomic_load_explicit(&n_rejected, memory_order_relaxed);
}

void
jw_tunables_fini(void)
{
	struct jw_tunables *old;

	pthread_mutex_lock(&update_lock);
	old = rcu_xchg_pointer(&jw_tunables_rcu_ptr, NULL);
	window_cap = 0;
	pthread_mutex_unlock(&update_lock);
	synchronize_rcu();
	free(old);
}
