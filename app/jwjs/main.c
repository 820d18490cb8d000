/* jwjs: a small JetStream tool over cnats for jetwire's scripts and tests.
 *
 *   jwjs [-s URL] add NAME SUBJECT [--file]     (re)create a stream on SUBJECT (memory
 *                                               storage unless --file); an existing one
 *                                               of that name is deleted first;
 *                                               --replicas N for a clustered stream
 *   jwjs [-s URL] rm NAME                       delete a stream (absent is fine)
 *   jwjs [-s URL] info NAME                     "stream NAME: N messages, first F, last L"
 *                                               (", leader X" for a clustered stream)
 *   jwjs [-s URL] verify NAME N                 "verified: N messages stored" and exit 0
 *                                               when the stream holds exactly N, else 1
 *   jwjs [-s URL] check NAME PREFIX N [-H 'Name: value']...
 *                                               reads every message of the stream whose
 *                                               subject starts with PREFIX; the payload
 *                                               starts with jwpub's index i; checks that
 *                                               each i in 0..N-1 is stored exactly once,
 *                                               in increasing order, with each header;
 *                                               prints "checked: ..." and exits 0, else 1
 *
 * URL defaults to nats://198.18.0.1:4222 (the reference network: run it inside netns
 * jw-srv); URL may be a comma-separated list (a cluster). -C FILE connects with a .creds
 * file (user JWT + seed). TLS: JWJS_TLS_CA (CA file), JWJS_TLS_NAME, JWJS_TLS_CERT /
 * JWJS_TLS_KEY in the environment. Exit status 2 on usage or connection errors.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nats/nats.h>

#define MAX_HDRS 8

static void
usage(void)
{
	fprintf(stderr,
		"usage: jwjs [-s URL] [-C CREDS] add NAME SUBJECT [--file] [--replicas N]\n"
		"       jwjs [-s URL] rm NAME\n"
		"       jwjs [-s URL] info NAME\n"
		"       jwjs [-s URL] verify NAME N\n"
		"       jwjs [-s URL] check NAME PREFIX N [-H 'Name: value']...\n");
	exit(2);
}

static void
die_status(const char *what, natsStatus s, jsErrCode jerr)
{
	fprintf(stderr, "jwjs: %s: %s (%d)\n", what, natsStatus_GetText(s), (int)jerr);
	exit(2);
}

static int
cmd_add(jsCtx *js, const char *name, const char *subject, bool file, int replicas)
{
	jsStreamConfig cfg;
	jsStreamInfo *si = NULL;
	jsErrCode jerr = 0;
	const char *subjects[1] = { subject };
	natsStatus s;

	(void)js_DeleteStream(js, name, NULL, &jerr);
	jsStreamConfig_Init(&cfg);
	cfg.Name = name;
	cfg.Subjects = subjects;
	cfg.SubjectsLen = 1;
	cfg.Storage = file ? js_FileStorage : js_MemoryStorage;
	cfg.Replicas = replicas;
	s = js_AddStream(&si, js, &cfg, NULL, &jerr);
	if (s != NATS_OK)
		die_status("add stream", s, jerr);
	printf("stream %s on %s (%s storage, %d replica%s)\n", name, subject,
	       file ? "file" : "memory", replicas, replicas > 1 ? "s" : "");
	jsStreamInfo_Destroy(si);
	return 0;
}

static jsStreamInfo *
info_of(jsCtx *js, const char *name)
{
	jsStreamInfo *si = NULL;
	jsErrCode jerr = 0;
	natsStatus s = js_GetStreamInfo(&si, js, name, NULL, &jerr);

	if (s != NATS_OK)
		die_status("stream info", s, jerr);
	return si;
}

static int
cmd_info(jsCtx *js, const char *name)
{
	jsStreamInfo *si = info_of(js, name);

	printf("stream %s: %llu messages, first %llu, last %llu, %llu bytes", name,
	       (unsigned long long)si->State.Msgs, (unsigned long long)si->State.FirstSeq,
	       (unsigned long long)si->State.LastSeq, (unsigned long long)si->State.Bytes);
	if (si->Cluster != NULL && si->Cluster->Leader != NULL)
		printf(", leader %s", si->Cluster->Leader);
	printf("\n");
	jsStreamInfo_Destroy(si);
	return 0;
}

static int
cmd_verify(jsCtx *js, const char *name, uint64_t n)
{
	jsStreamInfo *si = info_of(js, name);
	uint64_t got = si->State.Msgs;

	jsStreamInfo_Destroy(si);
	if (got != n) {
		printf("NOT verified: stream %s holds %llu messages, expected %llu\n", name,
		       (unsigned long long)got, (unsigned long long)n);
		return 1;
	}
	printf("verified: %llu messages stored\n", (unsigned long long)got);
	return 0;
}

struct hdr_want {
	char name[128];
	char value[256];
};

static int
cmd_check(jsCtx *js, const char *name, const char *prefix, uint64_t n, const struct hdr_want *h,
	  int nh)
{
	jsStreamInfo *si = info_of(js, name);
	uint64_t total = si->State.Msgs, seen = 0, matched = 0, dup = 0, order = 0, bad = 0,
		 hdr_missing = 0;
	int64_t last = -1;
	uint8_t *got = calloc(n ? n : 1, 1);
	natsSubscription *sub = NULL;
	jsSubOptions so;
	jsErrCode jerr = 0;
	natsStatus s;
	size_t plen = strlen(prefix);

	jsStreamInfo_Destroy(si);
	if (got == NULL)
		exit(2);
	jsSubOptions_Init(&so);
	so.Stream = name;
	so.Ordered = true;
	s = js_SubscribeSync(&sub, js, ">", NULL, &so, &jerr);
	if (s != NATS_OK)
		die_status("subscribe", s, jerr);
	while (seen < total) {
		natsMsg *m = NULL;
		const char *subj, *data;
		int len;
		uint64_t idx = 0;
		int k;

		s = natsSubscription_NextMsg(&m, sub, 5000);
		if (s != NATS_OK)
			die_status("read back", s, 0);
		seen++;
		subj = natsMsg_GetSubject(m);
		if (strncmp(subj, prefix, plen) != 0) {
			natsMsg_Destroy(m);
			continue;
		}
		matched++;
		data = natsMsg_GetData(m);
		len = natsMsg_GetDataLength(m);
		for (k = 0; k < len && data[k] >= '0' && data[k] <= '9'; k++)
			idx = idx * 10 + (uint64_t)(data[k] - '0');
		if (k == 0 || k >= len || data[k] != ' ' || idx >= n) {
			bad++;
		} else {
			if (got[idx])
				dup++;
			got[idx] = 1;
			if ((int64_t)idx <= last)
				order++;
			last = (int64_t)idx;
		}
		for (int i = 0; i < nh; i++) {
			const char *v = NULL;

			if (natsMsgHeader_Get(m, h[i].name, &v) != NATS_OK || v == NULL ||
			    strcmp(v, h[i].value) != 0)
				hdr_missing++;
		}
		natsMsg_Destroy(m);
	}
	natsSubscription_Destroy(sub);
	uint64_t missing = 0;
	for (uint64_t i = 0; i < n; i++)
		missing += got[i] == 0;
	free(got);
	if (missing || dup || order || bad || hdr_missing || matched != n) {
		printf("NOT checked: %s: %llu messages under %s, expected %llu: %llu missing, "
		       "%llu duplicated, %llu out of order, %llu malformed, %llu without the "
		       "headers\n", name, (unsigned long long)matched, prefix,
		       (unsigned long long)n, (unsigned long long)missing, (unsigned long long)dup,
		       (unsigned long long)order, (unsigned long long)bad,
		       (unsigned long long)hdr_missing);
		return 1;
	}
	printf("checked: %llu messages under %s stored exactly once, in order%s\n",
	       (unsigned long long)n, prefix, nh ? ", with their headers" : "");
	return 0;
}

/* With JWJS_TLS_CA set: TLS verified against that CA file (and the name in JWJS_TLS_NAME, and
 * the client certificate JWJS_TLS_CERT + JWJS_TLS_KEY), for the TLS tests' servers. */
static natsStatus
tls_options(natsOptions *o)
{
	const char *ca = getenv("JWJS_TLS_CA"), *name = getenv("JWJS_TLS_NAME");
	const char *cert = getenv("JWJS_TLS_CERT"), *key = getenv("JWJS_TLS_KEY");
	natsStatus s;

	if (ca == NULL || ca[0] == '\0')
		return NATS_OK;
	s = natsOptions_SetSecure(o, true);
	if (s == NATS_OK)
		s = natsOptions_LoadCATrustedCertificates(o, ca);
	if (s == NATS_OK && name != NULL && name[0] != '\0')
		s = natsOptions_SetExpectedHostname(o, name);
	if (s == NATS_OK && cert != NULL && cert[0] != '\0')
		s = natsOptions_LoadCertificatesChain(o, cert, key);
	return s;
}

int
main(int argc, char **argv)
{
	const char *url = "nats://198.18.0.1:4222", *creds = NULL;
	natsOptions *opts = NULL;
	struct hdr_want hdrs[MAX_HDRS];
	int nh = 0, i = 1, rc = 2;
	bool file = false;
	int replicas = 1;
	const char *args[8];
	int na = 0;
	natsConnection *nc = NULL;
	jsCtx *js = NULL;
	natsStatus s;

	for (; i < argc; i++) {
		if (strcmp(argv[i], "-s") == 0 && i + 1 < argc) {
			url = argv[++i];
		} else if (strcmp(argv[i], "-C") == 0 && i + 1 < argc) {
			creds = argv[++i];
		} else if (strcmp(argv[i], "--file") == 0) {
			file = true;
		} else if (strcmp(argv[i], "--replicas") == 0 && i + 1 < argc) {
			replicas = atoi(argv[++i]);
			if (replicas < 1 || replicas > 5)
				usage();
		} else if (strcmp(argv[i], "-H") == 0 && i + 1 < argc) {
			const char *v = argv[++i], *colon = strchr(v, ':');

			if (colon == NULL || nh == MAX_HDRS || colon - v >= 127)
				usage();
			snprintf(hdrs[nh].name, sizeof(hdrs[nh].name), "%.*s", (int)(colon - v), v);
			colon++;
			while (*colon == ' ')
				colon++;
			snprintf(hdrs[nh].value, sizeof(hdrs[nh].value), "%s", colon);
			nh++;
		} else if (na < 8) {
			args[na++] = argv[i];
		} else {
			usage();
		}
	}
	if (na < 2)
		usage();
	s = natsOptions_Create(&opts);
	if (s == NATS_OK) {
		/* a comma-separated list is a cluster: every URL a server to try */
		static char list[1024];
		const char *urls[8];
		int nu = 0;
		char *save = NULL, *tok;

		snprintf(list, sizeof(list), "%s", url);
		for (tok = strtok_r(list, ",", &save); tok != NULL && nu < 8;
		     tok = strtok_r(NULL, ",", &save))
			urls[nu++] = tok;
		s = natsOptions_SetServers(opts, urls, nu);
	}
	if (s == NATS_OK && creds != NULL)
		s = natsOptions_SetUserCredentialsFromFiles(opts, creds, NULL);
	if (s == NATS_OK)
		s = tls_options(opts);
	if (s == NATS_OK)
		s = natsConnection_Connect(&nc, opts);
	if (s != NATS_OK)
		die_status("connect", s, 0);
	s = natsConnection_JetStream(&js, nc, NULL);
	if (s != NATS_OK)
		die_status("jetstream", s, 0);
	if (strcmp(args[0], "add") == 0 && na == 3)
		rc = cmd_add(js, args[1], args[2], file, replicas);
	else if (strcmp(args[0], "rm") == 0 && na == 2) {
		jsErrCode jerr = 0;

		(void)js_DeleteStream(js, args[1], NULL, &jerr);
		rc = 0;
	} else if (strcmp(args[0], "info") == 0 && na == 2)
		rc = cmd_info(js, args[1]);
	else if (strcmp(args[0], "verify") == 0 && na == 3)
		rc = cmd_verify(js, args[1], strtoull(args[2], NULL, 10));
	else if (strcmp(args[0], "check") == 0 && na == 4)
		rc = cmd_check(js, args[1], args[2], strtoull(args[3], NULL, 10), hdrs, nh);
	else
		usage();
	jsCtx_Destroy(js);
	natsConnection_Destroy(nc);
	natsOptions_Destroy(opts);
	nats_Close();
	return rc;
}
