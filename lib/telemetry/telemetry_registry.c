/* lib/telemetry: registry of views, identity and info lines. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <urcu-qsbr.h>

#include "common/jw_time.h"
#include "jetwire.h"
#include "telemetry/telemetry_registry.h"

struct view {
	void (*fn)(void); /* the typed callback, cast back by its reader */
	void *ctx;
};

enum { VIEW_CONNS, VIEW_PRODUCERS, VIEW_CONFIG, VIEW_SERVERS, VIEW__COUNT };

static struct view *views[VIEW__COUNT];      /* RCU-published */
static pthread_mutex_t views_lock = PTHREAD_MUTEX_INITIALIZER; /* serialises updaters */

static pthread_mutex_t ident_lock = PTHREAD_MUTEX_INITIALIZER;
static struct jw_stats_identity ident = { .instance = "default", .version = "unknown" };
static uint64_t start_ns;
static int start_time_set;
struct reject_name {
	int code;
	char name[32];
};
static struct reject_name reject_names[32] = {
	{ JW_EAGAIN, "EAGAIN" },         { JW_EINVAL, "EINVAL" },
	{ JW_E2BIG, "E2BIG" },           { JW_ENOTRUNNING, "ENOTRUNNING" },
	{ JW_ECLOSED, "ECLOSED" },       { JW_ETIMEDOUT, "ETIMEDOUT" },
	{ JW_ENOMEM, "ENOMEM" },         { JW_EBUSY, "EBUSY" },
	{ JW_EVERSION, "EVERSION" },     { JW_EPERM, "EPERM" },
};
static int n_reject_names = 10;

static int
view_set(int which, void (*fn)(void), void *ctx)
{
	struct view *nv = NULL, *old;

	if (fn != NULL) {
		nv = malloc(sizeof(*nv));
		if (nv == NULL)
			return -ENOMEM;
		nv->fn = fn;
		nv->ctx = ctx;
	}
	pthread_mutex_lock(&views_lock);
	old = rcu_xchg_pointer(&views[which], nv);
	pthread_mutex_unlock(&views_lock);
	/* Readers that found `old` finish their read-side section before this returns. */
	synchronize_rcu();
	free(old);
	return 0;
}

int
jw_stats_register_conns(jw_stats_conns_fn fn, void *ctx)
{
	return view_set(VIEW_CONNS, (void (*)(void))fn, ctx);
}

int
jw_stats_register_producers(jw_stats_producers_fn fn, void *ctx)
{
	return view_set(VIEW_PRODUCERS, (void (*)(void))fn, ctx);
}

int
jw_stats_register_servers(jw_stats_servers_fn fn, void *ctx)
{
	return view_set(VIEW_SERVERS, (void (*)(void))fn, ctx);
}

int
jw_stats_register_config(jw_stats_config_fn fn, void *ctx)
{
	return view_set(VIEW_CONFIG, (void (*)(void))fn, ctx);
}

static int
valid_key(const char *k, size_t max)
{
	size_t n = 0;

	if (k == NULL || *k == '\0')
		return 0;
	for (; *k; k++, n++) {
		char c = *k;
		if (n >= max)
			return 0;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_'))
			return 0;
	}
	return 1;
}

int
jw_stats_set_identity(const char *instance, const char *version)
{
	if (instance == NULL || version == NULL || strlen(instance) >= sizeof(ident.instance) ||
	    strlen(version) >= sizeof(ident.version))
		return -EINVAL;
	pthread_mutex_lock(&ident_lock);
	snprintf(ident.instance, sizeof(ident.instance), "%s", instance);
	snprintf(ident.version, sizeof(ident.version), "%s", version);
	start_ns = jw_mono_ns();
	start_time_set = 1;
	pthread_mutex_unlock(&ident_lock);
	return 0;
}

int
jw_stats_set_info(const char *key, const char *value)
{
	int i, rc = 0;

	if (!valid_key(key, sizeof(ident.info[0].key) - 1) || value == NULL ||
	    strlen(value) >= sizeof(ident.info[0].value))
		return -EINVAL;
	pthread_mutex_lock(&ident_lock);
	for (i = 0; i < ident.n_info; i++)
		if (strcmp(ident.info[i].key, key) == 0)
			break;
	if (i == ident.n_info) {
		if (ident.n_info == (int)JW_ARRAY_SIZE(ident.info))
			rc = -ENOSPC;
		else
			ident.n_info++;
	}
	if (rc == 0) {
		snprintf(ident.info[i].key, sizeof(ident.info[i].key), "%s", key);
		snprintf(ident.info[i].value, sizeof(ident.info[i].value), "%s", value);
	}
	pthread_mutex_unlock(&ident_lock);
	return rc;
}

int
jw_stats_set_reject_name(int code, const char *name)
{
	int i, rc = 0;

	if (!valid_key(name, sizeof(reject_names[0].name) - 1))
		return -EINVAL;
	pthread_mutex_lock(&ident_lock);
	for (i = 0; i < n_reject_names; i++)
		if (reject_names[i].code == code)
			break;
	if (i == n_reject_names) {
		if (n_reject_names == (int)JW_ARRAY_SIZE(reject_names))
			rc = -ENOSPC;
		else
			n_reject_names++;
	}
	if (rc == 0) {
		reject_names[i].code = code;
		snprintf(reject_names[i].name, sizeof(reject_names[i].name), "%s", name);
	}
	pthread_mutex_unlock(&ident_lock);
	return rc;
}

void
jw_stats_reject_name(int code, char *buf, unsigned len)
{
	int i;

	pthread_mutex_lock(&ident_lock);
	for (i = 0; i < n_reject_names; i++)
		if (reject_names[i].code == code)
			break;
	if (i < n_reject_names)
		snprintf(buf, len, "%s", reject_names[i].name);
	else
		snprintf(buf, len, "code_%lld", code < 0 ? -(long long)code : (long long)code);
	pthread_mutex_unlock(&ident_lock);
}

void
jw_stats_read_identity(struct jw_stats_identity *out)
{
	pthread_mutex_lock(&ident_lock);
	*out = ident;
	if (!start_time_set) {
		start_ns = jw_mono_ns();
		start_time_set = 1;
	}
	out->uptime_ns = jw_mono_ns() - start_ns;
	pthread_mutex_unlock(&ident_lock);
}

void
jw_stats_reader_enter(void)
{
	rcu_register_thread();
	rcu_read_lock();
}

void
jw_stats_reader_exit(void)
{
	rcu_read_unlock();
	rcu_unregister_thread(); /* goes offline: never delays a grace period while idle */
}

int
jw_stats_read_conns(struct jw_stats_conn *out, int max)
{
	struct view *v;
	int n = -ENOENT;

	if (out == NULL || max < 0)
		return -EINVAL;
	jw_stats_reader_enter();
	v = rcu_dereference(views[VIEW_CONNS]);
	if (v != NULL) {
		n = ((jw_stats_conns_fn)v->fn)(v->ctx, out, max);
		n = n < 0 ? 0 : JW_MIN(n, max);
	}
	jw_stats_reader_exit();
	return n;
}

int
jw_stats_read_servers(struct jw_stats_server *out, int max)
{
	struct view *v;
	int n = -ENOENT;

	if (out == NULL || max < 0)
		return -EINVAL;
	jw_stats_reader_enter();
	v = rcu_dereference(views[VIEW_SERVERS]);
	if (v != NULL) {
		n = ((jw_stats_servers_fn)v->fn)(v->ctx, out, max);
		n = n < 0 ? 0 : JW_MIN(n, max);
	}
	jw_stats_reader_exit();
	return n;
}

int
jw_stats_read_producers(struct jw_stats_producer *out, int max)
{
	struct view *v;
	int n = -ENOENT;

	if (out == NULL || max < 0)
		return -EINVAL;
	jw_stats_reader_enter();
	v = rcu_dereference(views[VIEW_PRODUCERS]);
	if (v != NULL) {
		n = ((jw_stats_producers_fn)v->fn)(v->ctx, out, max);
		n = n < 0 ? 0 : JW_MIN(n, max);
	}
	jw_stats_reader_exit();
	return n;
}

int
jw_stats_read_config(jw_stats_kv_emit_fn emit, void *ectx)
{
	struct view *v;
	int rc = -ENOENT;

	if (emit == NULL)
		return -EINVAL;
	jw_stats_reader_enter();
	v = rcu_dereference(views[VIEW_CONFIG]);
	if (v != NULL)
		rc = ((jw_stats_config_fn)v->fn)(v->ctx, emit, ectx);
	jw_stats_reader_exit();
	return rc;
}

void
jw_stats_registry_fini(void)
{
	int i;

	for (i = 0; i < VIEW__COUNT; i++)
		view_set(i, NULL, NULL);
}
