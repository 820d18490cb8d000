/* jetwire's engine wiring (app/jetwire): from the loaded configuration, the open port and
 * the control lcore state to running TX lcores and engine hooks on the control loop.
 *
 * main():  jw_engine_start(&run, &cfg, port, &ctl, err, n)   after jw_ctl_init, before the
 *                                                           control loop starts
 *          ... the control loop runs until the stop flag ...
 *          jw_engine_finish(&run)                           after the control loop returned
 *                                                           (from the main lcore)
 */
#ifndef JW_APP_ENGINE_RUN_H
#define JW_APP_ENGINE_RUN_H

#include <stdbool.h>
#include <stddef.h>

#include "auth/auth-t.h"
#include "config/config-t.h"
#include "ctl.h"
#include "engine/engine-t.h"
#include "port/port-t.h"
#include "shm/shm-t.h"

struct jw_supervise;
struct tls_ctx;

struct jw_engine_run {
	const struct jw_config *cfg;
	struct jw_ctl *ctl;
	struct jw_port *port;
	struct jw_shm *shm;
	struct engine *e;
	int stats_started;
	unsigned launched;                /* TX lcores running engine_tx_main */
	struct jw_supervise *sup;         /* drain, reload, notifications: set by main before
					   * the control loop starts (may stay NULL) */
	const struct jw_creds *creds;     /* NKey / .creds credentials, or NULL */
	char fatal_msg[256];              /* engine_fatal's message, kept after finish */
	struct tls_ctx *tls;              /* [nats] tls != off: the client's SSL_CTX */
	/* What each TX lcore starts with: written by the main thread before it launches the
	 * lcore (rte_eal_remote_launch orders the stores before the lcore's start), read-only
	 * after. */
	struct jw_tx_launch {
		struct engine_conn *conn;
		enum jw_tristate sched_batch; /* [cores] sched_batch */
	} tx_launch[JW_CONFIG_MAX_TX];
	/* sched_batch = auto on the control lcore (ctl_follow_bursts; that lcore only): whether
	 * it follows the producers' bursts, and whether it runs SCHED_BATCH now */
	bool ctl_sched_auto;
	bool ctl_batch;
};

/* Creates the instance's shared memory ([shm]), starts the stats socket, builds the engine
 * ([nats], [flow], [tcp]), registers its hooks on ctl and launches engine_tx_main on every
 * [cores] tx lcore. Returns 0, or a negative errno with a one-line reason in err (nothing
 * is left running then). */
int jw_engine_start(struct jw_engine_run *r, const struct jw_config *cfg, struct jw_port *port,
		    struct jw_ctl *ctl, const struct jw_creds *creds, char *err, size_t errlen);

/* The start-up failure to exit on with status 2 (every server refused the credentials), or
 * NULL. Also stops the control loop when it is set. */
const char *jw_engine_fatal(const struct jw_engine_run *r);

/* After the control loop returned: resets the connections (on the control lcore's thread),
 * stops and joins the TX lcores, logs a summary, frees the engine and detaches the shared
 * memory (unacknowledged records stay in the rings for the next start). */
void jw_engine_finish(struct jw_engine_run *r);

#endif /* JW_APP_ENGINE_RUN_H */
