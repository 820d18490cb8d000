/* jwtcpsend's options: command line plus the configuration file's [eal], [port], [net],
 * [tcp] (and, through the port layer, [fault]) sections. */
#ifndef JW_TCPSEND_CFG_H
#define JW_TCPSEND_CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tcp/tcp-t.h"

struct send_cfg {
	char config_path[256];
	char dst_str[64];
	uint32_t dst_ip_be;
	uint16_t dst_port;
	uint64_t bytes;
	uint32_t timeout_s;
	bool quiet;
	/* from the configuration */
	char vdev[256];
	char pci[64];
	uint32_t mtu;
	uint32_t mbufs;
	bool cksum_offload;
	uint32_t local_ip_be;
	uint32_t memory_mb;
	bool hugepages;
	uint32_t tcp_mss, rcv_buf, rto_min_ms, max_retries, syn_retries;
	/* storage for the EAL argument vector */
	char eal_store[8][300];
};

/* Parses the command line and loads the configuration. 0, or -1 with a message in err. */
int send_cfg_parse(int argc, char **argv, struct send_cfg *c, char *err, size_t errlen);
/* Builds EAL arguments (unique --file-prefix, --no-huge unless hugepages, two lcores that
 * share the CPUs, the port's --vdev or -a). Returns argc. */
int send_cfg_eal_argv(struct send_cfg *c, char **argv, int max);
/* Maps [tcp] onto lib/tcp parameters (clamped to what lib/tcp accepts). */
void send_cfg_tcp_params(const struct send_cfg *c, struct tcp_params *p);

#endif
