/* jwstat: telemetry v2 socket client. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/jw_err.h"
#include "jwstat_client.h"

#define GREETING_MAX  4096
#define REQUEST_MAX   1000
#define OUTPUT_MAX    (1u << 20) /* refuse a server asking for more than 1 MiB replies */

int
jw_stats_socket_path(const char *instance, const char *prefix, char *out, size_t len)
{
	const char *run = "/var/run";
	char pfx[256];
	int n;

	if (out == NULL || (instance == NULL && prefix == NULL))
		return -EINVAL;
	if (geteuid() != 0) {
		run = getenv("XDG_RUNTIME_DIR");
		if (run == NULL || run[0] == '\0')
			run = "/tmp";
	}
	if (prefix != NULL)
		n = snprintf(pfx, sizeof(pfx), "%s", prefix);
	else
		n = snprintf(pfx, sizeof(pfx), "jetwire-%s", instance);
	if (n < 0 || (size_t)n >= sizeof(pfx) || strchr(pfx, '/') != NULL)
		return -EINVAL;
	n = snprintf(out, len, "%s/dpdk/%s/dpdk_telemetry.v2", run, pfx);
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return 0;
}

int
jw_stats_client_open(struct jw_stats_client *c, const char *path, int timeout_ms, char *err,
		     size_t errlen)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000 };
	struct jw_json *g;
	char greet[GREETING_MAX + 1];
	ssize_t n;
	uint64_t max_out;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		jw_errf(err, errlen, "socket path too long: %s", path);
		return -ENAMETOOLONG;
	}
	strcpy(sun.sun_path, path);
	c->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		int e = errno;
		jw_errf(err, errlen, "socket: %s", strerror(e));
		return -e;
	}
	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		int e = errno;
		jw_errf(err, errlen, "connect %s: %s", path, strerror(e));
		jw_stats_client_close(c);
		return -e;
	}
	n = recv(c->fd, greet, GREETING_MAX, 0);
	if (n <= 0) {
		int e = n == 0 ? ECONNRESET : errno;
		jw_errf(err, errlen, "no greeting from %s: %s (too many clients?)", path,
			n == 0 ? "connection closed" : strerror(e));
		jw_stats_client_close(c);
		return -e;
	}
	greet[n] = '\0';
	g = jw_json_parse(greet, (size_t)n, err, errlen);
	if (g == NULL) {
		jw_stats_client_close(c);
		return -EPROTO;
	}
	max_out = jw_json_u64(jw_json_get(g, "max_output_len"), 16384);
	c->server_pid = (int)jw_json_u64(jw_json_get(g, "pid"), 0);
	jw_json_free(g);
	if (max_out < 64 || max_out > OUTPUT_MAX) {
		jw_errf(err, errlen, "server announces max_output_len %llu", (unsigned long long)max_out);
		jw_stats_client_close(c);
		return -EPROTO;
	}
	c->max_output_len = (size_t)max_out;
	c->buf = malloc(c->max_output_len + 1);
	if (c->buf == NULL) {
		jw_stats_client_close(c);
		return -ENOMEM;
	}
	return 0;
}

long
jw_stats_client_raw(struct jw_stats_client *c, const void *req, size_t len, char *reply,
		    size_t reply_len)
{
	ssize_t n;

	if (send(c->fd, req, len, MSG_NOSIGNAL) < 0)
		return -errno;
	n = recv(c->fd, reply, reply_len, 0);
	if (n < 0)
		return -errno;
	return (long)n;
}

int
jw_stats_client_query(struct jw_stats_client *c, const char *request, struct jw_json **root,
		      const struct jw_json **value, char *err, size_t errlen)
{
	const char *comma;
	size_t cmdlen;
	long n;

	*root = NULL;
	*value = NULL;
	if (strlen(request) > REQUEST_MAX) {
		jw_errf(err, errlen, "request longer than %d bytes", REQUEST_MAX);
		return -E2BIG;
	}
	n = jw_stats_client_raw(c, request, strlen(request), c->buf, c->max_output_len);
	if (n < 0) {
		jw_errf(err, errlen, "%s: %s", request, strerror((int)-n));
		return (int)n;
	}
	if (n == 0) {
		jw_errf(err, errlen, "%s: connection closed by jetwire", request);
		return -ECONNRESET;
	}
	c->buf[n] = '\0';
	*root = jw_json_parse(c->buf, (size_t)n, err, errlen);
	if (*root == NULL)
		return -EPROTO;
	comma = strchr(request, ',');
	cmdlen = comma ? (size_t)(comma - request) : strlen(request);
	if ((*root)->type == JW_JSON_OBJECT && (*root)->child != NULL &&
	    strlen((*root)->child->key) == cmdlen &&
	    memcmp((*root)->child->key, request, cmdlen) == 0) {
		*value = (*root)->child;
		return 0;
	}
	jw_errf(err, errlen, "unexpected reply to %.*s", (int)(cmdlen < 60 ? cmdlen : 60), request);
	jw_json_free(*root);
	*root = NULL;
	return -EPROTO;
}

void
jw_stats_client_close(struct jw_stats_client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->buf);
	c->buf = NULL;
}
