/* The table of every configuration key: section, name, type, range and default.
 * This is the one place a key is defined; the loader, the dump and the tests use it. */
#include <stddef.h>
#include <string.h>

#include "config/config_schema.h"

#define FIELD(sec, f) offsetof(struct jw_config, sec.f), sizeof(((struct jw_config *)0)->sec.f)
#define KEY(sec, name, type, mn, mx, flags, def) \
	{ #sec, #name, type, FIELD(sec, name), mn, mx, flags, def }

#define MiB (1024u * 1024u)

const char *const jw_cfg_sections[] = {
	"eal", "port", "net", "nats", "cores", "flow", "shm", "fault", "stats", "tcp",
	"engine",
};
const size_t jw_cfg_nsections = sizeof(jw_cfg_sections) / sizeof(jw_cfg_sections[0]);

const struct jw_cfg_key jw_cfg_keys[] = {
	/* [eal] */
	KEY(eal, lcores, JW_CFG_STR, 0, 0, 0, "(0-2)@(0-1)"),
	KEY(eal, hugepages, JW_CFG_TRI, 0, 0, 0, "auto"),
	KEY(eal, memory_mb, JW_CFG_U32, 16, 1u << 20, 0, "256"),
	KEY(eal, file_prefix, JW_CFG_NAME, 0, 0, 0, NULL),       /* jetwire-<shm.instance> */
	KEY(eal, log_level, JW_CFG_LOGLEVEL, 0, 0, 0, "info"),
	KEY(eal, extra, JW_CFG_STR, 0, 0, 0, NULL),
	/* [port] */
	KEY(port, vdev, JW_CFG_STR, 0, 0, 0, NULL),
	KEY(port, pci, JW_CFG_STR, 0, 0, 0, NULL),
	KEY(port, rx_queues, JW_CFG_U32, 1, 64, 0, "1"),
	KEY(port, tx_queues, JW_CFG_U32, 2, 64, 0, "2"),
	KEY(port, rx_desc, JW_CFG_U32, 32, 32768, 0, "1024"),
	KEY(port, tx_desc, JW_CFG_U32, 32, 32768, 0, "1024"),
	KEY(port, mtu, JW_CFG_U32, 576, 9000, 0, "1500"),
	KEY(port, mbufs, JW_CFG_U32, 1023, 1u << 24, 0, "16383"),
	KEY(port, checksum_offload, JW_CFG_TRI, 0, 0, 0, "auto"),
	KEY(port, tso, JW_CFG_TRI, 0, 0, 0, "auto"),
	/* [net] */
	KEY(net, addr, JW_CFG_PREFIX, 0, 0, 0, NULL),
	{ "net", "gateway", JW_CFG_IPV4, FIELD(net, gateway_be), 0, 0, 0, NULL },
	/* [nats] */
	{ "nats", "servers", JW_CFG_SERVERS, offsetof(struct jw_config, nats),
	  sizeof(struct jw_nats_config), 0, 0, 0, NULL },
	KEY(nats, token, JW_CFG_STR, 0, 0, JW_CFG_F_SECRET, NULL),
	KEY(nats, user, JW_CFG_STR, 0, 0, 0, NULL),
	KEY(nats, password, JW_CFG_STR, 0, 0, JW_CFG_F_SECRET, NULL),
	KEY(nats, nkey_seed_file, JW_CFG_STR, 0, 0, 0, NULL),
	KEY(nats, creds_file, JW_CFG_STR, 0, 0, 0, NULL),
	KEY(nats, discover, JW_CFG_BOOL, 0, 0, 0, "yes"),
	KEY(nats, name, JW_CFG_STR, 0, 0, 0, "jetwire"),
	KEY(nats, connect_timeout_ms, JW_CFG_U32, 10, 600000, 0, "2000"),
	KEY(nats, ping_interval_s, JW_CFG_U32, 1, 3600, 0, "30"),
	KEY(nats, tls, JW_CFG_TLSMODE, 0, 0, 0, "auto"),
	KEY(nats, tls_ca_file, JW_CFG_STR, 0, 0, 0, NULL),
	KEY(nats, tls_server_name, JW_CFG_STR, 0, 0, 0, NULL),
	KEY(nats, tls_cert_file, JW_CFG_STR, 0, 0, 0, NULL),
	KEY(nats, tls_key_file, JW_CFG_STR, 0, 0, 0, NULL),
	KEY(nats, tls_min_version, JW_CFG_TLSVER, 0, 0, 0, "1.2"),
	KEY(nats, tls_key_update_records, JW_CFG_U32, 16, 1u << 23, 0, "8388608"),
	KEY(nats, liveness_timeout_ms, JW_CFG_U32, 100, 3600000, 0, "10000"),
	/* [cores] */
	KEY(cores, tx, JW_CFG_LCORES, 0, 0, 0, "2"),
	KEY(cores, control, JW_CFG_U32, 0, JW_CONFIG_MAX_LCORES - 1, 0, "1"),
	KEY(cores, sched_batch, JW_CFG_TRI, 0, 0, 0, "auto"),
	/* [flow] */
	KEY(flow, dedupe, JW_CFG_DEDUPE, 0, 0, 0, "msgid"),
	KEY(flow, window, JW_CFG_WINDOW, 1, 1u << 20, 0, "adaptive"),
	KEY(flow, window_min, JW_CFG_U32, 1, 1u << 20, 0, "1024"),
	KEY(flow, window_max, JW_CFG_U32, 1, 1u << 20, 0, "16384"),
	KEY(flow, window_start, JW_CFG_U32, 0, 1u << 20, 0, "0"),
	KEY(flow, ack_target_us, JW_CFG_U32, 0, 10000000, 0, "0"),
	KEY(flow, ack_timeout_ms, JW_CFG_U32, 10, 600000, 0, "2000"),
	KEY(flow, max_retries, JW_CFG_U32, 0, 1000, 0, "5"),
	KEY(flow, burst, JW_CFG_U32, 1, 512, 0, "32"),
	KEY(flow, coalesce_us, JW_CFG_U32, 0, 10000, 0, "300"),
	KEY(flow, shared_replies, JW_CFG_BOOL, 0, 0, 0, "yes"),
	/* [shm] */
	KEY(shm, instance, JW_CFG_NAME, 0, 0, 0, "default"),
	KEY(shm, group, JW_CFG_NAME, 0, 0, 0, NULL),
	KEY(shm, mode, JW_CFG_OCTAL, 0, 0777, 0, "0660"),
	KEY(shm, slots, JW_CFG_U32, 1, 256, 0, "8"),
	KEY(shm, ring_bytes, JW_CFG_SIZE, 64u * 1024, 1024u * MiB, JW_CFG_F_POW2, "32M"),
	KEY(shm, report_entries, JW_CFG_SIZE, 64, 16u * MiB, JW_CFG_F_POW2, "65536"),
	KEY(shm, hugepages, JW_CFG_TRI, 0, 0, 0, "auto"),
	KEY(shm, hugepage_dir, JW_CFG_STR, 0, 0, 0, NULL),
	/* [fault] */
	KEY(fault, tx_drop, JW_CFG_PROB, 0, 0, 0, "0"),
	KEY(fault, rx_drop, JW_CFG_PROB, 0, 0, 0, "0"),
	KEY(fault, tx_dup, JW_CFG_PROB, 0, 0, 0, "0"),
	KEY(fault, rx_dup, JW_CFG_PROB, 0, 0, 0, "0"),
	KEY(fault, tx_reorder, JW_CFG_PROB, 0, 0, 0, "0"),
	KEY(fault, rx_reorder, JW_CFG_PROB, 0, 0, 0, "0"),
	KEY(fault, seed, JW_CFG_U64, 0, 0, 0, "1"),
	/* [stats] */
	KEY(stats, enabled, JW_CFG_BOOL, 0, 0, 0, "yes"),
	KEY(stats, socket_mode, JW_CFG_OCTAL, 0, 0777, 0, "0660"),
	KEY(stats, socket_group, JW_CFG_NAME, 0, 0, 0, NULL),
	/* [tcp] */
	KEY(tcp, mss, JW_CFG_U32, 0, 65495, 0, "0"),             /* 0: port.mtu - 40 */
	KEY(tcp, rcv_buf, JW_CFG_SIZE, 16u * 1024, 256u * MiB, 0, "1M"),
	KEY(tcp, rto_min_ms, JW_CFG_U32, 1, 60000, 0, "200"),
	KEY(tcp, max_retries, JW_CFG_U32, 1, 100, 0, "15"),
	KEY(tcp, syn_retries, JW_CFG_U32, 1, 50, 0, "6"),
	KEY(tcp, sack, JW_CFG_BOOL, 0, 0, 0, "yes"),
	KEY(tcp, delack_ms, JW_CFG_U32, 0, 500, 0, "2"),
	KEY(tcp, pacing_gain, JW_CFG_U32, 0, 1000, 0, "0"),
	KEY(tcp, pacing_burst, JW_CFG_U32, 1, 64, 0, "4"),
	KEY(tcp, beta, JW_CFG_U32, 50, 90, 0, "70"),           /* % of the flight kept on loss */
	/* [engine] */
	KEY(engine, drain_timeout_s, JW_CFG_U32, 0, 3600, 0, "10"), /* 0: stop without draining */
};
const size_t jw_cfg_nkeys = sizeof(jw_cfg_keys) / sizeof(jw_cfg_keys[0]);

const struct jw_cfg_key *
jw_cfg_key_find(const char *section, const char *key)
{
	for (size_t i = 0; i < jw_cfg_nkeys; i++)
		if (strcmp(jw_cfg_keys[i].section, section) == 0 &&
		    strcmp(jw_cfg_keys[i].key, key) == 0)
			return &jw_cfg_keys[i];
	return NULL;
}

int
jw_cfg_section_known(const char *section)
{
	for (size_t i = 0; i < jw_cfg_nsections; i++)
		if (strcmp(jw_cfg_sections[i], section) == 0)
			return 1;
	return 0;
}
