/* jetwire configuration: the typed result of loading an INI file (rte_cfgfile).
 *
 * Every key of every section is listed in lib/config/config_schema.c with its type, range,
 * default and meaning; docs/README "Configuration and the reference network" shows a file.
 * A loaded struct jw_config is fully validated: every field holds a legal value, defaults
 * are filled in, and derived values (tcp.mss from port.mtu, eal.file_prefix from
 * shm.instance, the set of EAL lcores) are computed.
 *
 * Byte orders: IPv4 addresses are kept in network byte order (fields named *_be), TCP ports
 * in host order.
 */
#ifndef JW_CONFIG_T_H
#define JW_CONFIG_T_H

#include <stdbool.h>
#include <stdint.h>

#define JW_CONFIG_STR_MAX     256 /* longest string value, incl. NUL (rte_cfgfile's limit) */
#define JW_CONFIG_NAME_MAX    64  /* names: file prefix, instance, group, client name */
#define JW_CONFIG_MAX_SERVERS 8
#define JW_CONFIG_MAX_LCORES  128 /* = RTE_MAX_LCORE of Debian's DPDK 22.11 build */
#define JW_CONFIG_MAX_TX      32  /* TX lcores */

/* auto | on | off. "auto" means: use it if the host/device offers it. */
enum jw_tristate {
	JW_AUTO = 0,
	JW_ON = 1,
	JW_OFF = 2,
};

enum jw_dedupe {
	JW_DEDUPE_MSGID = 0, /* a Nats-Msg-Id header on every publish (the delivery promise) */
	JW_DEDUPE_OFF = 1,   /* no header; resends may store duplicates */
};

struct jw_ipv4_prefix {
	uint32_t addr_be;  /* host address, network byte order */
	uint8_t len;       /* prefix length 1..32 */
};

struct jw_nats_server {
	uint32_t ip_be;    /* IPv4 literal, network byte order */
	uint16_t port;     /* host order */
	bool tls;          /* tls:// URL: TLS required with this server */
};

/* [nats] tls: off (never; a server requiring TLS is refused), required (always; a server
 * offering none is refused), auto (when the server's INFO says tls_required or
 * tls_available). */
enum jw_tls_mode {
	JW_TLS_AUTO = 0,
	JW_TLS_REQUIRED = 1,
	JW_TLS_OFF = 2,
};

struct jw_lcore_list {
	uint32_t n;
	uint16_t ids[JW_CONFIG_MAX_TX];
};

struct jw_eal_config {
	char lcores[JW_CONFIG_STR_MAX];  /* EAL --lcores value */
	enum jw_tristate hugepages;      /* auto: hugepages if the host has free ones */
	uint32_t memory_mb;              /* EAL -m */
	char file_prefix[JW_CONFIG_NAME_MAX]; /* EAL --file-prefix; default jetwire-<instance> */
	uint32_t log_level;              /* rte_log level 1 (emergency) .. 8 (debug) */
	char extra[JW_CONFIG_STR_MAX];   /* extra EAL arguments, split on blanks */
	/* derived: the lcore ids named by lcores, and the main lcore (the lowest id) */
	uint64_t lcore_mask[JW_CONFIG_MAX_LCORES / 64];
	uint32_t main_lcore;
};

struct jw_port_config {
	char vdev[JW_CONFIG_STR_MAX];    /* EAL --vdev argument, or "" */
	char pci[JW_CONFIG_NAME_MAX];    /* PCI address for EAL -a, or "" (exactly one is set) */
	uint32_t rx_queues;
	uint32_t tx_queues;              /* TX lcores use 0..n_tx-1; the control lcore uses n_tx */
	uint32_t rx_desc;
	uint32_t tx_desc;
	uint32_t mtu;                    /* IP MTU */
	uint32_t mbufs;                  /* mbuf pool size */
	enum jw_tristate checksum_offload;
	enum jw_tristate tso;
};

struct jw_net_config {
	struct jw_ipv4_prefix addr;      /* our address and on-link prefix */
	uint32_t gateway_be;             /* 0 = none: every server must be on-link */
};

struct jw_nats_config {
	struct jw_nats_server servers[JW_CONFIG_MAX_SERVERS];
	uint32_t n_servers;              /* 0 when the file names none */
	char token[JW_CONFIG_STR_MAX];
	char user[JW_CONFIG_STR_MAX];
	char password[JW_CONFIG_STR_MAX];
	char nkey_seed_file[JW_CONFIG_STR_MAX]; /* file holding an NKey user seed (SU...) */
	char creds_file[JW_CONFIG_STR_MAX];     /* .creds file: user JWT + seed */
	bool discover;                   /* add the servers of INFO connect_urls */
	char name[JW_CONFIG_NAME_MAX];   /* client name sent in CONNECT */
	uint32_t connect_timeout_ms;
	uint32_t ping_interval_s;
	/* TLS (lib/tls) */
	enum jw_tls_mode tls;
	char tls_ca_file[JW_CONFIG_STR_MAX];     /* "" = the system's CA paths */
	char tls_server_name[JW_CONFIG_STR_MAX]; /* "" = the server's address */
	char tls_cert_file[JW_CONFIG_STR_MAX];   /* client certificate (PEM), "" = none */
	char tls_key_file[JW_CONFIG_STR_MAX];
	uint32_t tls_min_version;        /* 0x0303 (1.2) or 0x0304 (1.3) */
	uint32_t tls_key_update_records; /* TLS 1.3: records per send key before a KeyUpdate */
	uint32_t liveness_timeout_ms; /* a liveness probe unanswered this long: reconnect */
};

struct jw_cores_config {
	struct jw_lcore_list tx;         /* TX lcores; tx.ids[k] owns TX queue k */
	uint32_t control;                /* control lcore (may be the main lcore) */
	enum jw_tristate sched_batch;    /* TX and control lcores run SCHED_BATCH (on), or
	                                  * only while their producers burst (auto) */
};

struct jw_flow_config {
	enum jw_dedupe dedupe;
	uint32_t window;                 /* 0 = adaptive, else fixed window */
	uint32_t window_min;
	uint32_t window_max;
	uint32_t window_start;           /* adaptive: the startup's first W (clamped to the
	                                  * bounds); 0 = window_min */
	uint32_t ack_target_us;
	uint32_t ack_timeout_ms;
	uint32_t max_retries;
	uint32_t burst;
	uint32_t coalesce_us;            /* how long a few records may wait in the rings for
	                                  * the next ones (0: framed at once) */
	bool shared_replies;             /* first sends may share their subject's reply */
};

struct jw_shm_config {
	char instance[JW_CONFIG_NAME_MAX]; /* [A-Za-z0-9_-], names the shm files */
	char group[JW_CONFIG_NAME_MAX];    /* "" = the process's group */
	uint32_t mode;                   /* permission bits of the shm files */
	uint32_t slots;                  /* producer slots per TX lcore */
	uint32_t ring_bytes;             /* record ring per slot, power of two */
	uint32_t report_entries;         /* report ring per slot, power of two */
	enum jw_tristate hugepages;      /* rings on hugetlbfs: auto (when mounted), on, off */
	char hugepage_dir[JW_CONFIG_STR_MAX]; /* "" = the first hugetlbfs in /proc/mounts */
};

struct jw_fault_config {
	double tx_drop, rx_drop;         /* probabilities 0..1 */
	double tx_dup, rx_dup;
	double tx_reorder, rx_reorder;
	uint64_t seed;
};

struct jw_stats_config {
	bool enabled;
	uint32_t socket_mode;
	char socket_group[JW_CONFIG_NAME_MAX];
};

struct jw_tcp_config {
	uint32_t mss;                    /* default: port.mtu - 40 */
	uint32_t rcv_buf;                /* bytes */
	uint32_t rto_min_ms;
	uint32_t max_retries;
	uint32_t syn_retries;
	bool sack;                       /* offer SACK-permitted (RFC 2018) */
	uint32_t delack_ms;              /* delayed-ACK timer, 0 = ACK every segment */
	uint32_t pacing_gain;            /* percent of cwnd/SRTT, 0 = no pacing */
	uint32_t pacing_burst;           /* segments per paced burst */
	uint32_t beta;                   /* percent of the flight kept after a loss */
};

/* How jetwire stops (app/jetwire). */
struct jw_engine_config {
	uint32_t drain_timeout_s;        /* SIGTERM: wait this long for outstanding acks */
};

struct jw_config {
	char path[JW_CONFIG_STR_MAX];    /* the file it was loaded from */
	struct jw_eal_config eal;
	struct jw_port_config port;
	struct jw_net_config net;
	struct jw_nats_config nats;
	struct jw_cores_config cores;
	struct jw_flow_config flow;
	struct jw_shm_config shm;
	struct jw_fault_config fault;
	struct jw_stats_config stats;
	struct jw_tcp_config tcp;
	struct jw_engine_config engine;
};

/* Called by jw_config_foreach() once per key, in schema order. Return non-zero to stop. */
typedef int (*jw_config_visit_fn)(const char *section, const char *key, const char *value,
				  void *arg);

#endif /* JW_CONFIG_T_H */
