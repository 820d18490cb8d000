#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <rte_cfgfile.h>

#include "sendcfg.h"

#define MAX_SETS 64

static int
parse_size(const char *v, uint64_t *out)
{
	char *end;
	unsigned long long n = strtoull(v, &end, 10);

	if (end == v)
		return -1;
	switch (*end) {
	case 'k': case 'K': n <<= 10; end++; break;
	case 'm': case 'M': n <<= 20; end++; break;
	case 'g': case 'G': n <<= 30; end++; break;
	default: break;
	}
	if (*end != '\0')
		return -1;
	*out = n;
	return 0;
}

static int
parse_u32(const char *v, uint32_t *out)
{
	uint64_t n;

	if (parse_size(v, &n) != 0 || n > UINT32_MAX)
		return -1;
	*out = (uint32_t)n;
	return 0;
}

/* One key of the sections jwtcpsend uses; unknown keys of other sections are ignored
 * (the file is jetwire's). Returns 0, or -1 for a bad value. */
static int
set_key(struct send_cfg *c, const char *sec, const char *key, const char *v)
{
	if (strcmp(sec, "port") == 0) {
		if (strcmp(key, "vdev") == 0)
			return snprintf(c->vdev, sizeof(c->vdev), "%s", v) < (int)sizeof(c->vdev) ? 0 : -1;
		if (strcmp(key, "pci") == 0)
			return snprintf(c->pci, sizeof(c->pci), "%s", v) < (int)sizeof(c->pci) ? 0 : -1;
		if (strcmp(key, "mtu") == 0)
			return parse_u32(v, &c->mtu);
		if (strcmp(key, "mbufs") == 0)
			return parse_u32(v, &c->mbufs);
		if (strcmp(key, "checksum_offload") == 0) {
			c->cksum_offload = strcmp(v, "off") != 0;
			return 0;
		}
	} else if (strcmp(sec, "net") == 0 && strcmp(key, "addr") == 0) {
		char a[64], *slash;
		snprintf(a, sizeof(a), "%s", v);
		slash = strchr(a, '/');
		if (slash != NULL)
			*slash = '\0';
		return inet_pton(AF_INET, a, &c->local_ip_be) == 1 ? 0 : -1;
	} else if (strcmp(sec, "eal") == 0) {
		if (strcmp(key, "memory_mb") == 0)
			return parse_u32(v, &c->memory_mb);
		if (strcmp(key, "hugepages") == 0) {
			c->hugepages = strcmp(v, "on") == 0;
			return 0;
		}
	} else if (strcmp(sec, "tcp") == 0) {
		if (strcmp(key, "mss") == 0)
			return parse_u32(v, &c->tcp_mss);
		if (strcmp(key, "rcv_buf") == 0)
			return parse_u32(v, &c->rcv_buf);
		if (strcmp(key, "rto_min_ms") == 0)
			return parse_u32(v, &c->rto_min_ms);
		if (strcmp(key, "max_retries") == 0)
			return parse_u32(v, &c->max_retries);
		if (strcmp(key, "syn_retries") == 0)
			return parse_u32(v, &c->syn_retries);
	}
	return 0;
}

static int
load_file(struct send_cfg *c, char *err, size_t errlen)
{
	struct rte_cfgfile *f = rte_cfgfile_load(c->config_path, CFG_FLAG_EMPTY_VALUES);
	int nsec;


	if (f == NULL) {
		snprintf(err, errlen, "%s: cannot read the configuration", c->config_path);
		return -1;
	}
	{
		char *names[16];
		char store[16][CFG_NAME_LEN];
		for (int i = 0; i < 16; i++)
			names[i] = store[i];
		nsec = rte_cfgfile_sections(f, names, 16);
		for (int i = 0; i < nsec; i++) {
			struct rte_cfgfile_entry ent[64];
			int n = rte_cfgfile_section_entries(f, names[i], ent, 64);
			for (int k = 0; k < n; k++) {
				char *hash = strchr(ent[k].value, '#');
				if (hash != NULL)
					*hash = '\0';
				for (size_t e = strlen(ent[k].value); e > 0 && ent[k].value[e - 1] == ' '; e--)
					ent[k].value[e - 1] = '\0';
				if (set_key(c, names[i], ent[k].name, ent[k].value) != 0) {
					snprintf(err, errlen, "%s: [%s] %s = \"%s\": bad value",
						 c->config_path, names[i], ent[k].name, ent[k].value);
					rte_cfgfile_close(f);
					return -1;
				}
			}
		}
	}
	rte_cfgfile_close(f);
	return 0;
}

static void
usage(char *err, size_t errlen)
{
	snprintf(err, errlen, "usage: jwtcpsend -c CONFIG --dst IP:PORT --bytes N "
		 "[--set section.key=value ...] [--timeout S] [--quiet]");
}

int
send_cfg_parse(int argc, char **argv, struct send_cfg *c, char *err, size_t errlen)
{
	static const struct option lo[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "dst", required_argument, NULL, 'd' },
		{ "bytes", required_argument, NULL, 'b' },
		{ "set", required_argument, NULL, 's' },
		{ "timeout", required_argument, NULL, 't' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sets[MAX_SETS];
	int nsets = 0, opt;
	bool have_bytes = false;

	memset(c, 0, sizeof(*c));
	c->mtu = 1500;
	c->mbufs = 16383;
	c->cksum_offload = true;
	c->memory_mb = 256;
	c->rcv_buf = 1u << 20;
	c->rto_min_ms = 200;
	c->max_retries = 15;
	c->syn_retries = 6;
	c->timeout_s = 600;
	while ((opt = getopt_long(argc, argv, "c:d:b:s:t:qh", lo, NULL)) != -1) {
		switch (opt) {
		case 'c':
			snprintf(c->config_path, sizeof(c->config_path), "%s", optarg);
			break;
		case 'd': {
			char ip[64], *colon;
			snprintf(c->dst_str, sizeof(c->dst_str), "%s", optarg);
			snprintf(ip, sizeof(ip), "%s", optarg);
			colon = strrchr(ip, ':');
			if (colon == NULL || (*colon = '\0', inet_pton(AF_INET, ip, &c->dst_ip_be) != 1) ||
			    atoi(colon + 1) <= 0 || atoi(colon + 1) > 65535) {
				snprintf(err, errlen, "--dst %s: want IPv4:PORT", optarg);
				return -1;
			}
			c->dst_port = (uint16_t)atoi(colon + 1);
			break;
		}
		case 'b':
			if (parse_size(optarg, &c->bytes) != 0) {
				snprintf(err, errlen, "--bytes %s: not a size", optarg);
				return -1;
			}
			have_bytes = true;
			break;
		case 's':
			if (nsets == MAX_SETS) {
				snprintf(err, errlen, "too many --set");
				return -1;
			}
			sets[nsets++] = optarg;
			break;
		case 't':
			c->timeout_s = (uint32_t)atoi(optarg);
			break;
		case 'q':
			c->quiet = true;
			break;
		default:
			usage(err, errlen);
			return -1;
		}
	}
	if (c->config_path[0] == '\0' || c->dst_port == 0 || !have_bytes) {
		usage(err, errlen);
		return -1;
	}
	if (load_file(c, err, errlen) != 0)
		return -1;
	for (int i = 0; i < nsets; i++) {
		char sec[64], *dot, *eq;
		snprintf(sec, sizeof(sec), "%s", sets[i]);
		dot = strchr(sec, '.');
		eq = strchr(sec, '=');
		if (dot == NULL || eq == NULL || eq < dot) {
			snprintf(err, errlen, "--set %s: want section.key=value", sets[i]);
			return -1;
		}
		*dot = '\0';
		*eq = '\0';
		if (set_key(c, sec, dot + 1, eq + 1) != 0) {
			snprintf(err, errlen, "--set %s: bad value", sets[i]);
			return -1;
		}
	}
	if (c->local_ip_be == 0) {
		snprintf(err, errlen, "%s: [net] addr is required", c->config_path);
		return -1;
	}
	if (c->vdev[0] == '\0' && c->pci[0] == '\0') {
		snprintf(err, errlen, "%s: [port] vdev or pci is required", c->config_path);
		return -1;
	}
	return 0;
}

int
send_cfg_eal_argv(struct send_cfg *c, char **argv, int max)
{
	int n = 0;

	(void)max;
	argv[n++] = (char *)(uintptr_t)"jwtcpsend";
	if (!c->hugepages)
		argv[n++] = (char *)(uintptr_t)"--no-huge";
	snprintf(c->eal_store[0], sizeof(c->eal_store[0]), "-m%u", c->memory_mb);
	argv[n++] = c->eal_store[0];
	snprintf(c->eal_store[1], sizeof(c->eal_store[1]), "--file-prefix=jw-tcpsend-%d",
		 (int)getpid());
	argv[n++] = c->eal_store[1];
	/* lcore 0 = control (main), lcore 1 = TX; both may run on either CPU. */
	argv[n++] = (char *)(uintptr_t)"--lcores=0@(0-1),1@(0-1)";
	argv[n++] = (char *)(uintptr_t)"--log-level=warning";
	if (c->vdev[0] != '\0') {
		snprintf(c->eal_store[2], sizeof(c->eal_store[2]), "--vdev=%s", c->vdev);
		argv[n++] = c->eal_store[2];
		argv[n++] = (char *)(uintptr_t)"--no-pci";
	} else {
		snprintf(c->eal_store[2], sizeof(c->eal_store[2]), "-a%s", c->pci);
		argv[n++] = c->eal_store[2];
	}
	argv[n] = NULL;
	return n;
}

void
send_cfg_tcp_params(const struct send_cfg *c, struct tcp_params *p)
{
	uint32_t mss = c->tcp_mss != 0 ? c->tcp_mss : c->mtu - 40;

	p->mss = (uint16_t)(mss < 536 ? 536 : mss > 9000 ? 9000 : mss);
	p->rcv_buf = c->rcv_buf < p->mss ? p->mss : c->rcv_buf;
	p->rto_min_ms = c->rto_min_ms;
	if (p->rto_init_ms < p->rto_min_ms)
		p->rto_init_ms = p->rto_min_ms;
	if (p->rto_max_ms < p->rto_init_ms)
		p->rto_max_ms = p->rto_init_ms;
	p->max_retries = (uint8_t)(c->max_retries > 255 ? 255 : c->max_retries);
	p->syn_retries = (uint8_t)(c->syn_retries > 255 ? 255 : c->syn_retries);
}
