/* jetwire's service side (app/jetwire): signals, graceful drain, reload of the [flow]
 * tunables, and the systemd notification protocol (sd_notify, written by hand).
 *
 * Signals (handlers installed by main; they only set flags):
 *   SIGTERM, SIGINT  first: drain. The TX lcores take no new records (engine_drain); the
 *                    control lcore keeps acknowledging what was sent until nothing is
 *                    unfinished (engine_unfinished) or [engine] drain_timeout_s passed, then
 *                    sets the stop flag and jetwire exits 0. Records never sent, and any
 *                    still unacknowledged at the timeout, stay in the rings: the next start
 *                    sends them (same Nats-Msg-Id). drain_timeout_s = 0 stops at once.
 *                    second: stop at once.
 *   SIGHUP           re-read the configuration file (with the same --set overrides) and
 *                    apply its [flow] window_min/window_max (or window), ack_timeout_ms and
 *                    ack_target_us through jw_tunables_update, the validation /jetwire/set
 *                    uses; a bad file or set is logged and changes nothing. Other keys need
 *                    a restart (a changed [flow] dedupe/burst/max_retries is logged).
 *
 * systemd (Type=notify), when NOTIFY_SOCKET is set: datagrams on that AF_UNIX socket
 * (a leading '@' names an abstract address):
 *   READY=1           once every connection's NATS session is up (first time only)
 *   WATCHDOG=1        every WATCHDOG_USEC/2, sent by the control lcore itself, so a stuck
 *                     control loop gets the service restarted
 *   STATUS=...        every second: acked/s, connections up, in flight
 *   RELOADING=1 / READY=1 around a SIGHUP reload; STOPPING=1 when the drain starts
 *
 * Threads: jw_supervise_poll runs on the control lcore only (from its poll hook, after
 * engine_ctl_poll, i.e. while the thread is an offline QSBR reader, so the reload may wait
 * for a grace period). jw_supervise_signal is async-signal-safe. Nothing else is shared.
 */
#ifndef JW_APP_SUPERVISE_H
#define JW_APP_SUPERVISE_H

#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "config/config-t.h"
#include "engine/engine-t.h"

struct jw_supervise {
	/* set before the control lcore starts */
	const char *path;                 /* the configuration file, re-read on SIGHUP */
	const char *const *overrides;     /* the --set overrides, applied again */
	int n_overrides;
	const struct jw_config *cfg;      /* the configuration jetwire started with */
	struct engine *e;
	atomic_bool *stop;                /* set when the drain ends: the loops return */

	/* control lcore private */
	int notify_fd;                    /* -1: no NOTIFY_SOCKET */
	struct sockaddr_un notify_addr;
	socklen_t notify_len;
	uint64_t watchdog_ns;             /* 0: no watchdog asked for */
	uint64_t next_watchdog_ns, next_status_ns, status_t0_ns, status_acked0;
	bool ready_sent, draining;
	uint64_t drain_start_ns, drain_deadline_ns, next_drain_check_ns;
	uint32_t term_seen, hup_seen;
	uint64_t notify_errors;
};

/* Reads NOTIFY_SOCKET and WATCHDOG_USEC/WATCHDOG_PID from the environment and opens the
 * notification socket. Main thread, before the control lcore starts. Returns 0, or a
 * negative errno when NOTIFY_SOCKET is set but unusable (too long, socket() failed); the
 * service then runs without notifications. */
int jw_supervise_init(struct jw_supervise *s, const char *path, const char *const *overrides,
		      int n_overrides, const struct jw_config *cfg, struct engine *e,
		      atomic_bool *stop);

/* Signal handler body: counts SIGTERM/SIGINT and SIGHUP; a second SIGTERM/SIGINT sets the
 * stop flag at once. Async-signal-safe. */
void jw_supervise_signal(int sig);

/* Control lcore, once per loop iteration: starts and finishes a drain, reloads on SIGHUP,
 * sends READY/WATCHDOG/STATUS. Cheap when nothing is due (a few loads and compares). */
void jw_supervise_poll(struct jw_supervise *s, uint64_t now_ns);

/* Sends one notification ("KEY=value\n..."), if NOTIFY_SOCKET was given. Returns 0, or a
 * negative errno (counted in notify_errors). Any thread (sendto on a datagram socket). */
int jw_supervise_notify(struct jw_supervise *s, const char *msg);

/* Closes the notification socket. */
void jw_supervise_fini(struct jw_supervise *s);

#endif /* JW_APP_SUPERVISE_H */
