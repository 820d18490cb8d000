/* jwstat: client of the DPDK telemetry v2 socket (used by jwstat; DPDK-free).
 *
 * The socket is SOCK_SEQPACKET: on connect the server sends one JSON message
 * {"version": ..., "pid": ..., "max_output_len": N}; then every request "cmd[,params]" gets
 * exactly one reply {"cmd": value} of at most N bytes.
 * One client per thread; not shared.
 */
#ifndef JWSTAT_CLIENT_H
#define JWSTAT_CLIENT_H

#include <stddef.h>

#include "json/json_tree.h"

struct jw_stats_client {
	int fd;
	size_t max_output_len; /* from the server's greeting */
	char *buf;             /* receive buffer, max_output_len + 1 bytes */
	int server_pid;
};

/* Socket path of an instance: <runtime>/dpdk/<prefix>/dpdk_telemetry.v2 where runtime is
 * /var/run for root, else $XDG_RUNTIME_DIR or /tmp (as EAL does), and prefix is `prefix`
 * when not NULL, else "jetwire-<instance>". 0, or -ENAMETOOLONG / -EINVAL. */
int jw_stats_socket_path(const char *instance, const char *prefix, char *out, size_t len);

/* Connect and read the greeting. Timeouts of timeout_ms on every send and receive.
 * 0, or a negative errno with the reason in err. */
int jw_stats_client_open(struct jw_stats_client *c, const char *path, int timeout_ms,
			 char *err, size_t errlen);

/* Send one request and parse the reply. On 0, *value is the reply's value for the command
 * (caller frees *root with jw_json_free; *value points inside it). Rejects requests longer
 * than 1000 bytes (-E2BIG); -EPROTO for an unparsable reply; negative errno on I/O. */
int jw_stats_client_query(struct jw_stats_client *c, const char *request, struct jw_json **root,
			  const struct jw_json **value, char *err, size_t errlen);

/* Send raw bytes and return the raw reply length (or negative errno); for tests. */
long jw_stats_client_raw(struct jw_stats_client *c, const void *req, size_t len, char *reply,
			 size_t reply_len);

void jw_stats_client_close(struct jw_stats_client *c);

#endif /* JWSTAT_CLIENT_H */
