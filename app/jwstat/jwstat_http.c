/* jwstat --prom --listen: a small HTTP/1.x server for Prometheus scrapes.
 *
 * One thread, poll(), non-blocking sockets, every connection closed after one response
 * ("Connection: close"), so a scraper reconnects each time (Prometheus does by default).
 *
 *   GET|HEAD /metrics   200, text exposition 0.0.4: jwstat_print_prom of one fresh sample
 *                       (one telemetry read per scrape) plus jetwire_up and this server's
 *                       own counters; jetwire_up 0 (and nothing else from jetwire) when the
 *                       instance cannot be read
 *   GET|HEAD /          200, a line pointing to /metrics
 *   other paths         404;  other methods 405 (Allow: GET, HEAD)
 *   malformed request   400;  request head over REQ_MAX bytes  431
 *
 * Bounds (hostile or broken clients cannot hold the server or grow its memory):
 *   MAX_CONNS connections at once; when all are taken, a new connection evicts the oldest
 *   one that has spent over EVICT_AGE_MS without completing its request (a scraper's
 *   request arrives within a millisecond of its connect, so trickling clients push out
 *   only each other); when there is none, the new one is answered 503 (in one of
 *   REJECT_SLOTS slots that only send that answer and linger; beyond those it is closed);
 *   a request head must arrive whole within REQ_TIMEOUT_MS of the accept (slowloris) and a
 *   response leave within RESP_TIMEOUT_MS, else the connection is closed; a request body
 *   is never read. Memory: REQ_MAX per connection plus the response being sent.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/jw_time.h"
#include "jwstat.h"
#include "jwstat_client.h"

#define MAX_CONNS        32
#define REJECT_SLOTS     64      /* connections being told 503 (they never read a request) */
#define ALL_SLOTS        (MAX_CONNS + REJECT_SLOTS)
#define REQ_MAX          8192
#define REQ_TIMEOUT_MS   5000
#define RESP_TIMEOUT_MS  10000
#define EVICT_AGE_MS     250
#define BACKLOG          64

#define LINGER_MS        1000
#define LINGER_MAX       (256 * 1024)

/* C_LINGER: the response is out and our side shut down for writing; what the client still
 * sends (the rest of an oversized request) is read and dropped until it closes, for at most
 * LINGER_MS / LINGER_MAX bytes, so closing with unread input does not reset the connection
 * before the client has read the response (the lingering close of HTTP servers). */
enum { C_FREE, C_READ, C_WRITE, C_LINGER };

struct hconn {
	int fd;
	int state;
	int64_t deadline_ms;
	int64_t accepted_ms;
	size_t in_len;
	char in[REQ_MAX];
	char *out;
	size_t out_len, out_off;
};

struct hsrv {
	const char *sock_path;
	const char *instance;
	struct jw_stats_client client;
	struct hconn conns[ALL_SLOTS];
	/* this server's counters, exported with the metrics */
	uint64_t req_by_code[6]; /* 200 400 404 405 431 503 */
	uint64_t scrapes, scrape_errors, timeouts, busy_rejects, evictions;
};

static const int codes[6] = { 200, 400, 404, 405, 431, 503 };

static int64_t
now_ms(void)
{
	return (int64_t)(jw_mono_ns() / 1000000);
}

/* "[ADDR:]PORT", "[v6]:PORT". 0 and the bound, listening socket in *fd, or -1 (printed). */
static int
listen_on(const char *spec, int *fd)
{
	char host[128] = "127.0.0.1", port[16];
	const char *colon = strrchr(spec, ':');
	struct addrinfo hints, *ai = NULL;
	int s, one = 1, rc;

	if (colon == NULL) {
		if (strlen(spec) >= sizeof(port))
			goto bad;
		strcpy(port, spec);
	} else {
		size_t hl = (size_t)(colon - spec);
		const char *h = spec;

		if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
			h++;
			hl -= 2;
		}
		if (hl == 0 || hl >= sizeof(host) || strlen(colon + 1) >= sizeof(port))
			goto bad;
		memcpy(host, h, hl);
		host[hl] = '\0';
		strcpy(port, colon + 1);
	}
	if (port[0] == '\0' || strspn(port, "0123456789") != strlen(port) || atoi(port) < 1 ||
	    atoi(port) > 65535)
		goto bad;
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	rc = getaddrinfo(host, port, &hints, &ai);
	if (rc != 0) {
		fprintf(stderr, "jwstat: --listen %s: %s (want a numeric address)\n", spec,
			gai_strerror(rc));
		return -1;
	}
	s = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s < 0 || setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(s, ai->ai_addr, ai->ai_addrlen) != 0 || listen(s, BACKLOG) != 0) {
		fprintf(stderr, "jwstat: --listen %s: %s\n", spec, strerror(errno));
		if (s >= 0)
			close(s);
		freeaddrinfo(ai);
		return -1;
	}
	freeaddrinfo(ai);
	*fd = s;
	return 0;
bad:
	fprintf(stderr, "jwstat: --listen wants [ADDR:]PORT (PORT 1..65535), got '%s'\n", spec);
	return -1;
}

static void
conn_close(struct hconn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->out);
	c->out = NULL;
	c->fd = -1;
	c->state = C_FREE;
	c->in_len = c->out_len = c->out_off = 0;
}

static void
count_code(struct hsrv *s, int code)
{
	for (int i = 0; i < 6; i++)
		if (codes[i] == code)
			s->req_by_code[i]++;
}

static const char *
reason_of(int code)
{
	switch (code) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 431: return "Request Header Fields Too Large";
	default:  return "Service Unavailable";
	}
}

/* Server counters and jetwire_up, after jetwire's own families. */
static void
print_self(FILE *f, const struct hsrv *s, int up)
{
	fputs("# HELP jetwire_up Whether jwstat could read the jetwire instance for this scrape.\n"
	      "# TYPE jetwire_up gauge\n", f);
	fprintf(f, "jetwire_up %d\n", up);
	fputs("# HELP jetwire_exporter_http_requests_total Requests jwstat's HTTP server answered,"
	      " by status code.\n# TYPE jetwire_exporter_http_requests_total counter\n", f);
	for (int i = 0; i < 6; i++)
		fprintf(f, "jetwire_exporter_http_requests_total{code=\"%d\"} %llu\n", codes[i],
			(unsigned long long)s->req_by_code[i]);
	fputs("# HELP jetwire_exporter_scrape_errors_total Scrapes that could not read jetwire.\n"
	      "# TYPE jetwire_exporter_scrape_errors_total counter\n", f);
	fprintf(f, "jetwire_exporter_scrape_errors_total %llu\n",
		(unsigned long long)s->scrape_errors);
	fputs("# HELP jetwire_exporter_timeouts_total Connections closed for sending their request"
	      " or reading the response too slowly.\n"
	      "# TYPE jetwire_exporter_timeouts_total counter\n", f);
	fprintf(f, "jetwire_exporter_timeouts_total %llu\n", (unsigned long long)s->timeouts);
	fputs("# HELP jetwire_exporter_busy_rejects_total Connections refused with 503 because "
	      "every connection slot was taken.\n"
	      "# TYPE jetwire_exporter_busy_rejects_total counter\n", f);
	fprintf(f, "jetwire_exporter_busy_rejects_total %llu\n",
		(unsigned long long)s->busy_rejects);
	fputs("# HELP jetwire_exporter_evictions_total Unfinished requests closed to make room "
	      "for a new connection.\n# TYPE jetwire_exporter_evictions_total counter\n", f);
	fprintf(f, "jetwire_exporter_evictions_total %llu\n", (unsigned long long)s->evictions);
}

/* The body of /metrics: one sample, read now. malloc'd, length in *len; NULL on ENOMEM. */
static char *
metrics_body(struct hsrv *s, size_t *len)
{
	struct jwstat_sample smp;
	char err[256], *buf = NULL;
	FILE *f;
	int up = 0;

	s->scrapes++;
	f = open_memstream(&buf, len);
	if (f == NULL)
		return NULL;
	/* A kept connection may be stale (jetwire restarted since the last scrape): one more
	 * try on a fresh connection, so the first scrape after a restart is already up. */
	for (int attempt = 0; attempt < 2 && !up; attempt++) {
		bool fresh = s->client.fd < 0;

		if (fresh && jw_stats_client_open(&s->client, s->sock_path, 2000, err,
						  sizeof(err)) != 0) {
			fprintf(stderr, "jwstat: %s\n", err);
			break;
		}
		if (jwstat_sample_take(&s->client, &smp) == 0) {
			jwstat_print_prom(f, &smp, s->instance);
			jwstat_sample_free(&smp);
			up = 1;
		} else {
			jw_stats_client_close(&s->client);
			if (fresh)
				break; /* a fresh connection failed too: jetwire is not answering */
		}
	}
	if (!up)
		s->scrape_errors++;
	print_self(f, s, up);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* Sets c's response: status line, headers, body (may be NULL; not sent for HEAD). */
static void
respond(struct hsrv *s, struct hconn *c, int code, const char *ctype, char *body,
	size_t body_len, int head)
{
	char hdr[512];
	int n;

	count_code(s, code);
	n = snprintf(hdr, sizeof(hdr),
		     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
		     "Connection: close\r\n%s\r\n",
		     code, reason_of(code), ctype, body_len,
		     code == 405 ? "Allow: GET, HEAD\r\n" : "");
	c->out_len = (size_t)n + (head ? 0 : body_len);
	c->out = malloc(c->out_len);
	if (c->out == NULL) {
		free(body);
		conn_close(c);
		return;
	}
	memcpy(c->out, hdr, (size_t)n);
	if (!head && body_len > 0)
		memcpy(c->out + n, body, body_len);
	free(body);
	c->out_off = 0;
	c->state = C_WRITE;
	c->deadline_ms = now_ms() + RESP_TIMEOUT_MS;
}

static void
respond_text(struct hsrv *s, struct hconn *c, int code, const char *text, int head)
{
	size_t n = strlen(text);
	char *b = malloc(n + 1);

	if (b == NULL) {
		conn_close(c);
		return;
	}
	memcpy(b, text, n + 1);
	respond(s, c, code, "text/plain; charset=utf-8", b, n, head);
}

/* A complete request head is in c->in (terminated): parse the request line and answer. */
static void
handle_request(struct hsrv *s, struct hconn *c)
{
	char *line = c->in, *eol = strpbrk(line, "\r\n"), *sp1, *sp2, *target, *ver;
	size_t mlen, tlen;
	int head;

	if (eol == NULL)
		goto bad;
	*eol = '\0';
	sp1 = strchr(line, ' ');
	if (sp1 == NULL)
		goto bad;
	sp2 = strchr(sp1 + 1, ' ');
	if (sp2 == NULL)
		goto bad;
	mlen = (size_t)(sp1 - line);
	target = sp1 + 1;
	tlen = (size_t)(sp2 - target);
	ver = sp2 + 1;
	if (mlen == 0 || tlen == 0 || target[0] != '/' || strchr(ver, ' ') != NULL ||
	    (strcmp(ver, "HTTP/1.0") != 0 && strcmp(ver, "HTTP/1.1") != 0))
		goto bad;
	for (size_t i = 0; i < mlen; i++)
		if (line[i] < 'A' || line[i] > 'Z')
			goto bad;
	for (size_t i = 0; i < tlen; i++)
		if ((unsigned char)target[i] <= ' ' || (unsigned char)target[i] >= 0x7f)
			goto bad;
	head = mlen == 4 && memcmp(line, "HEAD", 4) == 0;
	if (!head && !(mlen == 3 && memcmp(line, "GET", 3) == 0)) {
		respond_text(s, c, 405, "only GET and HEAD\n", 0);
		return;
	}
	*sp2 = '\0';
	if (strchr(target, '?') != NULL)
		*strchr(target, '?') = '\0'; /* a query string is ignored */
	if (strcmp(target, "/metrics") == 0) {
		size_t len = 0;
		char *body = metrics_body(s, &len);

		if (body == NULL) {
			respond_text(s, c, 503, "out of memory\n", head);
			return;
		}
		respond(s, c, 200, "text/plain; version=0.0.4; charset=utf-8", body, len, head);
	} else if (strcmp(target, "/") == 0) {
		respond_text(s, c, 200, "jwstat: jetwire metrics at /metrics\n", head);
	} else {
		respond_text(s, c, 404, "not found: try /metrics\n", head);
	}
	return;
bad:
	respond_text(s, c, 400, "bad request\n", 0);
}

static void
on_readable(struct hsrv *s, struct hconn *c)
{
	for (;;) {
		ssize_t n = recv(c->fd, c->in + c->in_len, REQ_MAX - 1 - c->in_len, 0);

		if (n == 0) {
			conn_close(c); /* the client left before finishing its request */
			return;
		}
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				conn_close(c);
			return;
		}
		c->in_len += (size_t)n;
		c->in[c->in_len] = '\0';
		if (memchr(c->in, '\0', c->in_len) != NULL) {
			respond_text(s, c, 400, "bad request\n", 0);
			return;
		}
		if (strstr(c->in, "\r\n\r\n") != NULL || strstr(c->in, "\n\n") != NULL) {
			handle_request(s, c);
			return;
		}
		if (c->in_len >= REQ_MAX - 1) {
			respond_text(s, c, 431, "request head too large\n", 0);
			return;
		}
	}
}

static void
on_writable(struct hconn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL);

		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				conn_close(c);
			return;
		}
		c->out_off += (size_t)n;
	}
	free(c->out);
	c->out = NULL;
	shutdown(c->fd, SHUT_WR);
	c->state = C_LINGER;
	c->in_len = 0; /* counts the bytes dropped from here on */
	c->deadline_ms = now_ms() + LINGER_MS;
}

static void
on_linger(struct hconn *c)
{
	for (;;) {
		ssize_t n = recv(c->fd, c->in, sizeof(c->in), 0);

		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return;
		if (n <= 0) {
			conn_close(c);
			return;
		}
		c->in_len += (size_t)n;
		if (c->in_len > LINGER_MAX) {
			conn_close(c);
			return;
		}
	}
}

static void
accept_all(struct hsrv *s, int lfd)
{
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct hconn *c = NULL;

		if (fd < 0)
			return; /* EAGAIN, or a transient error (EMFILE, ECONNABORTED): next poll */
		for (int i = 0; i < MAX_CONNS; i++)
			if (s->conns[i].state == C_FREE) {
				c = &s->conns[i];
				break;
			}
		if (c == NULL) { /* the oldest request that is taking too long */
			struct hconn *o = NULL;
			int64_t t = now_ms();

			for (int i = 0; i < MAX_CONNS; i++)
				if (s->conns[i].state == C_READ &&
				    t - s->conns[i].accepted_ms >= EVICT_AGE_MS &&
				    (o == NULL || s->conns[i].accepted_ms < o->accepted_ms))
					o = &s->conns[i];
			if (o != NULL) {
				s->evictions++;
				conn_close(o);
				c = o;
			}
		}
		if (c == NULL) {
			s->busy_rejects++;
			for (int i = MAX_CONNS; i < ALL_SLOTS; i++)
				if (s->conns[i].state == C_FREE) {
					c = &s->conns[i];
					break;
				}
			if (c == NULL) {
				count_code(s, 503);
				close(fd);
				continue;
			}
			c->fd = fd;
			c->accepted_ms = now_ms();
			respond_text(s, c, 503, "busy: too many connections\n", 0);
			if (c->state == C_WRITE)
				on_writable(c);
			continue;
		}
		c->fd = fd;
		c->state = C_READ;
		c->in_len = 0;
		c->accepted_ms = now_ms();
		c->deadline_ms = c->accepted_ms + REQ_TIMEOUT_MS;
	}
}

int
jwstat_serve_http(const char *listen_spec, const char *sock_path, const char *instance,
		  volatile sig_atomic_t *stop)
{
	static struct hsrv s;
	struct pollfd pfd[ALL_SLOTS + 1];
	struct hconn *who[ALL_SLOTS + 1];
	int lfd;

	memset(&s, 0, sizeof(s));
	s.sock_path = sock_path;
	s.instance = instance;
	s.client.fd = -1;
	for (int i = 0; i < ALL_SLOTS; i++)
		s.conns[i].fd = -1;
	if (listen_on(listen_spec, &lfd) != 0)
		return 1;
	fprintf(stderr, "jwstat: serving http://%s/metrics for %s\n", listen_spec, sock_path);
	while (!*stop) {
		int n = 0, timeout = 1000, rc;
		int64_t now = now_ms();

		pfd[n].fd = lfd;
		pfd[n].events = POLLIN;
		who[n++] = NULL;
		for (int i = 0; i < ALL_SLOTS; i++) {
			struct hconn *c = &s.conns[i];

			if (c->state == C_FREE)
				continue;
			if (now >= c->deadline_ms) {
				if (c->state != C_LINGER)
					s.timeouts++;
				conn_close(c);
				continue;
			}
			if (c->deadline_ms - now < timeout)
				timeout = (int)(c->deadline_ms - now);
			pfd[n].fd = c->fd;
			pfd[n].events = c->state == C_WRITE ? POLLOUT : POLLIN;
			who[n++] = c;
		}
		rc = poll(pfd, (nfds_t)n, timeout);
		if (rc < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "jwstat: poll: %s\n", strerror(errno));
			break;
		}
		for (int i = 1; i < n; i++) {
			struct hconn *c = who[i];

			if (pfd[i].revents == 0 || c->state == C_FREE)
				continue;
			if (c->state == C_LINGER) {
				on_linger(c);
				continue;
			}
			if (c->state == C_READ)
				on_readable(&s, c);
			else if (pfd[i].revents & (POLLERR | POLLNVAL))
				conn_close(c);
			if (c->state == C_WRITE)
				on_writable(c); /* try at once: most responses fit the socket buffer */
		}
		if (pfd[0].revents & POLLIN)
			accept_all(&s, lfd);
	}
	for (int i = 0; i < ALL_SLOTS; i++)
		if (s.conns[i].state != C_FREE)
			conn_close(&s.conns[i]);
	close(lfd);
	if (s.client.fd >= 0)
		jw_stats_client_close(&s.client);
	return 0;
}
