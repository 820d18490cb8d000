/* jetwire's service side: drain on SIGTERM, [flow] reload on SIGHUP, sd_notify by hand.
 * The contract is in supervise.h. The notification protocol is systemd's documented one
 * (sd_notify(3)): one datagram of newline-separated KEY=VALUE assignments to the AF_UNIX
 * socket named by $NOTIFY_SOCKET; no libsystemd is needed for it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/jw_time.h"
#include "config/config.h"
#include "engine/engine.h"
#include "flow/flow.h"
#include "log.h"
#include "session/session.h"
#include "tunables/tunables.h"
#include "supervise.h"

#define STATUS_PERIOD_NS   1000000000ull
#define DRAIN_CHECK_NS     10000000ull     /* look at the unfinished count every 10 ms */

/* Written by the signal handler, read by the control lcore. */
static volatile sig_atomic_t sig_term, sig_hup;
static atomic_bool *sig_stop;

void
jw_supervise_signal(int sig)
{
	if (sig == SIGHUP) {
		sig_hup++;
		return;
	}
	sig_term++;
	if (sig_term >= 2 && sig_stop != NULL)
		/* a second request: stop without waiting */
		atomic_store_explicit(sig_stop, true, memory_order_seq_cst);
}

int
jw_supervise_notify(struct jw_supervise *s, const char *msg)
{
	ssize_t n;

	if (s->notify_fd < 0)
		return 0;
	n = sendto(s->notify_fd, msg, strlen(msg), MSG_NOSIGNAL,
		   (const struct sockaddr *)&s->notify_addr, s->notify_len);
	if (n < 0) {
		s->notify_errors++;
		return -errno;
	}
	return 0;
}

int
jw_supervise_init(struct jw_supervise *s, const char *path, const char *const *overrides,
		  int n_overrides, const struct jw_config *cfg, struct engine *e,
		  atomic_bool *stop)
{
	const char *ns = getenv("NOTIFY_SOCKET");
	const char *wd = getenv("WATCHDOG_USEC");
	const char *wp = getenv("WATCHDOG_PID");
	size_t len;

	memset(s, 0, sizeof(*s));
	s->path = path;
	s->overrides = overrides;
	s->n_overrides = n_overrides;
	s->cfg = cfg;
	s->e = e;
	s->stop = stop;
	s->notify_fd = -1;
	s->status_t0_ns = jw_mono_ns();
	sig_stop = stop;
	if (wd != NULL && (wp == NULL || strtol(wp, NULL, 10) == (long)getpid())) {
		char *end;
		unsigned long long us = strtoull(wd, &end, 10);

		if (*end == '\0' && us > 0)
			s->watchdog_ns = us * 1000ull;
	}
	if (ns == NULL || ns[0] == '\0')
		return 0;
	len = strlen(ns);
	if ((ns[0] != '/' && ns[0] != '@') || len >= sizeof(s->notify_addr.sun_path)) {
		JW_LOG(WARNING, "NOTIFY_SOCKET '%.100s' is not a usable AF_UNIX path: no "
		       "notifications", ns);
		return -EINVAL;
	}
	s->notify_addr.sun_family = AF_UNIX;
	memcpy(s->notify_addr.sun_path, ns, len);
	if (ns[0] == '@')
		s->notify_addr.sun_path[0] = '\0'; /* abstract namespace */
	s->notify_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
	s->notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s->notify_fd < 0) {
		JW_LOG(WARNING, "NOTIFY_SOCKET: socket: %s: no notifications", strerror(errno));
		return -errno;
	}
	JW_LOG(INFO, "notifying the service manager at %s%s", ns,
	       s->watchdog_ns ? " (watchdog kept by the control lcore)" : "");
	return 0;
}

void
jw_supervise_fini(struct jw_supervise *s)
{
	if (s->notify_fd >= 0)
		close(s->notify_fd);
	s->notify_fd = -1;
	sig_stop = NULL;
}

/* --- SIGHUP: the [flow] tunables from the file ------------------------------------------ */

static void
reload(struct jw_supervise *s)
{
	struct jw_config *nc = malloc(sizeof(*nc));
	const struct jw_flow_config *of = &s->cfg->flow, *f;
	struct jw_tunables applied;
	char err[512], params[160];
	int rc;

	(void)jw_supervise_notify(s, "RELOADING=1\nSTATUS=reloading [flow]");
	if (nc == NULL) {
		JW_LOG(ERR, "SIGHUP: no memory to reload %s", s->path);
		goto out;
	}
	rc = jw_config_load(s->path, s->overrides, s->n_overrides, nc,
			    err, sizeof(err));
	if (rc < 0) {
		JW_LOG(ERR, "SIGHUP: %s; nothing changed", err);
		goto out;
	}
	f = &nc->flow;
	/* the same mapping as the start (jw_tunables_from_config): a fixed window is min = max */
	snprintf(params, sizeof(params),
		 "window_min=%u,window_max=%u,ack_timeout_ms=%u,ack_target_us=%u",
		 f->window ? f->window : f->window_min, f->window ? f->window : f->window_max,
		 f->ack_timeout_ms, f->ack_target_us);
	rc = jw_tunables_update(params, &applied, err, sizeof(err));
	if (rc < 0)
		JW_LOG(ERR, "SIGHUP: %s [flow]: %s; nothing changed", s->path,
		       rc == -EINVAL ? err : strerror(-rc));
	else
		JW_LOG(NOTICE, "SIGHUP: %s [flow] applied: window %u..%u, ack_timeout_ms %u, "
		       "ack_target_us %u (tunables generation %lu)", s->path, applied.window_min,
		       applied.window_max, applied.ack_timeout_ms, applied.ack_target_us,
		       (unsigned long)applied.generation);
	if (f->dedupe != of->dedupe || f->burst != of->burst || f->max_retries != of->max_retries ||
	    f->window_start != of->window_start || f->coalesce_us != of->coalesce_us)
		JW_LOG(WARNING, "SIGHUP: [flow] dedupe, burst, max_retries, window_start and "
		       "coalesce_us take effect at the next start only");
out:
	free(nc);
	(void)jw_supervise_notify(s, "READY=1\nSTATUS=reloaded");
}

/* --- notifications ----------------------------------------------------------------------- */

static uint32_t
conns_ready(const struct engine *e)
{
	uint32_t n = 0;

	for (uint32_t k = 0; k < e->p.n_conns; k++)
		n += session_state(&e->conns[k].sess) == SESSION_READY;
	return n;
}

static void
status(struct jw_supervise *s, uint64_t now_ns, const char *extra)
{
	struct flow_counters fc;
	char msg[256];
	double dt, rate;

	engine_flow_totals(s->e, &fc);
	dt = (double)(now_ns - s->status_t0_ns) / 1e9;
	rate = dt > 0 && fc.ctl.acked >= s->status_acked0 ?
	       (double)(fc.ctl.acked - s->status_acked0) / dt : 0;
	s->status_t0_ns = now_ns;
	s->status_acked0 = fc.ctl.acked;
	snprintf(msg, sizeof(msg), "%sSTATUS=%s%.0f acked/s, %u/%u connections up, %lu in "
		 "flight, %lu acked in all", extra, s->draining ? "draining: " : "", rate,
		 conns_ready(s->e), s->e->p.n_conns, (unsigned long)fc.outstanding,
		 (unsigned long)fc.ctl.acked);
	(void)jw_supervise_notify(s, msg);
}

/* --- drain ------------------------------------------------------------------------------- */

static void
drain_begin(struct jw_supervise *s, uint64_t now_ns)
{
	uint32_t t = s->cfg->engine.drain_timeout_s;

	s->draining = true;
	s->drain_start_ns = now_ns;
	s->drain_deadline_ns = now_ns + (uint64_t)t * 1000000000ull;
	s->next_drain_check_ns = now_ns;
	engine_drain(s->e);
	(void)jw_supervise_notify(s, "STOPPING=1\nSTATUS=draining");
	JW_LOG(NOTICE, "stop requested: draining (no new records; up to %u s for %lu "
	       "unfinished publishes)", t, (unsigned long)engine_unfinished(s->e));
}

static void
drain_check(struct jw_supervise *s, uint64_t now_ns)
{
	uint64_t left;

	if (now_ns < s->next_drain_check_ns)
		return;
	s->next_drain_check_ns = now_ns + DRAIN_CHECK_NS;
	left = engine_unfinished(s->e);
	if (left == 0) {
		JW_LOG(NOTICE, "drain: every sent publish has its outcome after %.1f ms; stopping",
		       (double)(now_ns - s->drain_start_ns) / 1e6);
	} else if (now_ns >= s->drain_deadline_ns) {
		JW_LOG(WARNING, "drain: %lu publishes still unfinished after %u s; stopping (they "
		       "stay in the rings and are sent again at the next start)",
		       (unsigned long)left, s->cfg->engine.drain_timeout_s);
	} else {
		return;
	}
	atomic_store_explicit(s->stop, true, memory_order_seq_cst);
}

void
jw_supervise_poll(struct jw_supervise *s, uint64_t now_ns)
{
	if (s->hup_seen != (uint32_t)sig_hup) {
		s->hup_seen = (uint32_t)sig_hup;
		if (!s->draining)
			reload(s);
	}
	if (s->term_seen != (uint32_t)sig_term) {
		s->term_seen = (uint32_t)sig_term;
		if (!s->draining)
			drain_begin(s, now_ns);
	}
	if (s->draining)
		drain_check(s, now_ns);
	if (s->notify_fd < 0)
		return;
	if (!s->ready_sent && !s->draining && conns_ready(s->e) == s->e->p.n_conns) {
		s->ready_sent = true;
		JW_LOG(INFO, "every NATS connection is up: READY=1 to the service manager");
		status(s, now_ns, "READY=1\n");
		s->next_status_ns = now_ns + STATUS_PERIOD_NS;
	}
	if (s->watchdog_ns && now_ns >= s->next_watchdog_ns) {
		s->next_watchdog_ns = now_ns + s->watchdog_ns / 2;
		(void)jw_supervise_notify(s, "WATCHDOG=1");
	}
	if (now_ns >= s->next_status_ns) {
		s->next_status_ns = now_ns + STATUS_PERIOD_NS;
		status(s, now_ns, "");
	}
}
