/* jwshmhelper: the jetwire side of lib/shm, driven line by line from stdin, for lib/go's
 * unit tests (the Go producer against the real C consumer code, without DPDK or a server).
 * Built by the Makefile as build/tests/go/jwshmhelper.
 *
 *   jwshmhelper INSTANCE N_TX SLOTS_PER_TX RING_BYTES REPORT_ENTRIES
 *     creates the instance (jw_shm_create) and prints "ready PID"; then per command line
 *     one reply, the last line of which starts with "ok" or "err":
 *   drain STATUS REASON CODE ERRCODE DUP [q]
 *     every slot: jw_shm_peek, then per record a report (status etc. as given, stream
 *     "GOTEST", stream_seq counting from 1) and mark_sent + release; a full report ring stops
 *     that slot (the record stays for the next drain). Prints one line per record:
 *     "rec TX IDX SEQ REASON SUBJECT HDRHEX DATAHEX" ("-" for empty; none with q), then
 *     "ok N".
 *   subject HEX | header HEX      nats_subject_check | nats_hdr_check of the bytes: "ok RC"
 *   limits MAX_PAYLOAD OVERHEAD   jw_shm_set_limits
 *   slot TX IDX                   "ok state S pid P gen G head H released R eagain E rep_head H rep_tail T"
 *   reclaim                       jw_shm_reclaim: "ok FREED"
 *   heartbeat [stale]             jw_shm_heartbeat, or (stale) a heartbeat of 0: an engine that
 *                                 stopped beating, as seen from another pid namespace
 *   stop | restart | destroy      jw_shm_detach | jw_shm_create again | jw_shm_destroy
 *   quit                          destroys the instance (if any) and exits 0
 * EOF on stdin acts as quit. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nats/nats_validate.h"
#include "shm/shm.h"

static struct jw_shm *shm;
static struct jw_shm_params params;
static uint64_t stream_seq;

static void
hex(const void *p, uint32_t n)
{
	const uint8_t *b = p;

	if (n == 0) {
		fputs(" -", stdout);
		return;
	}
	putchar(' ');
	for (uint32_t i = 0; i < n; i++)
		printf("%02x", b[i]);
}

static void
drain(unsigned status, unsigned reason, unsigned code, unsigned err_code, unsigned dup, int quiet)
{
	struct jw_shm_view v[64];
	unsigned total = 0;

	for (uint32_t t = 0; t < shm->n_tx; t++)
		for (uint32_t i = 0; i < shm->slots_per_tx; i++) {
			struct jw_shm_slot *s = jw_shm_slot(shm, t, i);
			int full = 0;

			while (!full) {
				unsigned n = jw_shm_peek(shm, s, v, 64);

				if (n == 0)
					break;
				for (unsigned k = 0; k < n; k++) {
					struct jw_shm_report r;

					memset(&r, 0, sizeof(r));
					r.seq = v[k].seq;
					r.status = (uint8_t)status;
					r.reason = (uint16_t)(v[k].reason ? v[k].reason : reason);
					if (v[k].reason)
						r.status = 2;
					r.code = (uint16_t)code;
					r.err_code = err_code;
					r.duplicate = (uint8_t)dup;
					if (r.status != 2)
						r.stream_seq = ++stream_seq;
					snprintf(r.stream, sizeof(r.stream), "GOTEST");
					if (jw_shm_report(shm, s, &r) == -EAGAIN) {
						full = 1;
						break;
					}
					if (quiet)
						;
					else if (v[k].reason)
						printf("rec %u %u %llu %u -", t, i,
						       (unsigned long long)v[k].seq, v[k].reason);
					else
						printf("rec %u %u %llu 0 %.*s", t, i,
						       (unsigned long long)v[k].seq,
						       (int)v[k].subject_len, v[k].subject);
					if (!quiet) {
						hex(v[k].hdr, v[k].reason ? 0 : v[k].hdr_len);
						hex(v[k].payload, v[k].reason ? 0 : v[k].payload_len);
						putchar('\n');
					}
					if (jw_shm_mark_sent(shm, s, v[k].end) != 0 ||
					    jw_shm_release(shm, s, v[k].end) != 0) {
						printf("err cursor\n");
						return;
					}
					total++;
				}
			}
		}
	printf("ok %u\n", total);
}

/* Decodes hex text (up to a space or the line's end) into buf; returns the length. */
static size_t
unhex(const char *h, uint8_t *buf, size_t cap)
{
	size_t n = 0;
	unsigned x;

	while (n < cap && sscanf(h + 2 * n, "%2x", &x) == 1 && h[2 * n] != '\n' && h[2 * n] != ' ')
		buf[n++] = (uint8_t)x;
	return n;
}

static int
create(void)
{
	char err[256] = "";

	shm = jw_shm_create(&params, err, sizeof(err));
	if (shm == NULL) {
		printf("err create: %s\n", err);
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static char line[20000];
	static uint8_t bytes[8192];

	if (argc != 6) {
		fprintf(stderr, "usage: jwshmhelper INSTANCE N_TX SLOTS RING_BYTES REPORTS\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	params.instance = argv[1];
	params.n_tx = (uint32_t)strtoul(argv[2], NULL, 0);
	params.slots_per_tx = (uint32_t)strtoul(argv[3], NULL, 0);
	params.ring_bytes = (uint32_t)strtoul(argv[4], NULL, 0);
	params.report_entries = (uint32_t)strtoul(argv[5], NULL, 0);
	params.mode = 0600;
	if (create() != 0)
		return 1;
	printf("ready %d\n", (int)getpid());
	while (fgets(line, sizeof(line), stdin) != NULL) {
		unsigned a, b, c, d, e;
		char q[4] = "";

		if (shm == NULL && strncmp(line, "restart", 7) != 0 && strncmp(line, "quit", 4) != 0) {
			printf("err no instance\n");
			continue;
		}
		if (strncmp(line, "subject ", 8) == 0) {
			size_t n = strcmp(line + 8, "-\n") == 0 ? 0 : unhex(line + 8, bytes, sizeof(bytes));
			printf("ok %d\n", nats_subject_check((const char *)bytes, n));
		} else if (strncmp(line, "header ", 7) == 0) {
			size_t n = strcmp(line + 7, "-\n") == 0 ? 0 : unhex(line + 7, bytes, sizeof(bytes));
			printf("ok %d\n", nats_hdr_check((const char *)bytes, n));
		} else if (sscanf(line, "drain %u %u %u %u %u %3s", &a, &b, &c, &d, &e, q) >= 5) {
			drain(a, b, c, d, e, q[0] == 'q');
		} else if (sscanf(line, "limits %u %u", &a, &b) == 2) {
			jw_shm_set_limits(shm, a, b);
			printf("ok\n");
		} else if (sscanf(line, "slot %u %u", &a, &b) == 2) {
			struct jw_shm_slot_stats st;

			if (jw_shm_slot_stats(shm, a, b, &st) != 0) {
				printf("err slot\n");
				continue;
			}
			printf("ok state %u pid %d gen %u head %llu released %llu eagain %llu "
			       "rep_head %llu rep_tail %llu\n", st.state, st.pid, st.gen,
			       (unsigned long long)st.head, (unsigned long long)st.released,
			       (unsigned long long)st.eagain, (unsigned long long)st.rep_head,
			       (unsigned long long)st.rep_tail);
		} else if (strncmp(line, "heartbeat", 9) == 0) {
			if (strstr(line, "stale"))
				__atomic_store_n(&shm->hdr->heartbeat_ns, 0, __ATOMIC_RELAXED);
			else
				jw_shm_heartbeat(shm);
			printf("ok\n");
		} else if (strncmp(line, "reclaim", 7) == 0) {
			printf("ok %u\n", jw_shm_reclaim(shm));
		} else if (strncmp(line, "stop", 4) == 0) {
			jw_shm_detach(shm);
			shm = NULL;
			printf("ok\n");
		} else if (strncmp(line, "restart", 7) == 0) {
			if (shm == NULL && create() != 0)
				continue;
			printf("ok\n");
		} else if (strncmp(line, "destroy", 7) == 0) {
			jw_shm_destroy(shm);
			shm = NULL;
			printf("ok\n");
		} else if (strncmp(line, "quit", 4) == 0) {
			break;
		} else {
			printf("err unknown command\n");
		}
	}
	if (shm != NULL)
		jw_shm_destroy(shm);
	return 0;
}
