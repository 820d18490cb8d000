/* Derived values and validation across keys (jw_config_finish). */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"

#define FAIL(...) do { \
		int off_ = snprintf(err, errlen, "%s: ", source); \
		if (off_ >= 0 && (size_t)off_ < errlen) \
			snprintf(err + off_, errlen - (size_t)off_, __VA_ARGS__); \
		return -EINVAL; \
	} while (0)

static const char *
ip_str(uint32_t ip_be, char *buf, size_t len)
{
	struct in_addr a = { .s_addr = ip_be };

	return inet_ntop(AF_INET, &a, buf, (socklen_t)len) ? buf : "?";
}

static uint32_t
prefix_mask(unsigned int len)
{
	return len == 0 ? 0 : htonl(~0u << (32 - len));
}

/* PCI address: [DDDD:]BB:DD.F in hex. */
static int
pci_ok(const char *s)
{
	unsigned int colons = 0, dots = 0;

	for (const char *p = s; *p; p++) {
		if (*p == ':')
			colons++;
		else if (*p == '.')
			dots++;
		else if (!isxdigit((unsigned char)*p))
			return 0;
	}
	return (colons == 1 || colons == 2) && dots == 1;
}

static int
check_eal(struct jw_config *c, const char *source, char *err, size_t errlen)
{
	char why[192];
	long ncpus = sysconf(_SC_NPROCESSORS_CONF);

	if (ncpus < 1)
		ncpus = 1;
	if (jw_config_parse_lcores(c->eal.lcores, (unsigned int)ncpus, c->eal.lcore_mask, why,
				   sizeof(why)) < 0)
		FAIL("[eal] lcores = \"%s\": %s", c->eal.lcores, why);
	for (unsigned int i = 0; i < JW_CONFIG_MAX_LCORES; i++)
		if (jw_config_has_lcore(c, i)) {
			c->eal.main_lcore = i;
			break;
		}
	if (c->eal.file_prefix[0] == '\0') {
		if (snprintf(c->eal.file_prefix, sizeof(c->eal.file_prefix), "jetwire-%s",
			     c->shm.instance) >= (int)sizeof(c->eal.file_prefix))
			FAIL("[eal] file_prefix: jetwire-<shm.instance> is too long");
	}
	return 0;
}

static int
check_port(struct jw_config *c, const char *source, char *err, size_t errlen)
{
	int has_vdev = c->port.vdev[0] != '\0', has_pci = c->port.pci[0] != '\0';

	if (!has_vdev && !has_pci)
		FAIL("[port] needs vdev or pci");
	if (has_vdev && has_pci)
		FAIL("[port] vdev and pci are both set; choose one");
	if (has_pci && !pci_ok(c->port.pci))
		FAIL("[port] pci = \"%s\": not a PCI address such as 0000:3b:00.0", c->port.pci);
	if (has_vdev && strchr(c->port.vdev, ' '))
		FAIL("[port] vdev = \"%s\": must not contain blanks", c->port.vdev);
	return 0;
}

static int
check_net(struct jw_config *c, const char *source, char *err, size_t errlen)
{
	const struct jw_ipv4_prefix *a = &c->net.addr;
	uint32_t mask, host;
	char b1[16], b2[16];

	if (a->len == 0)
		FAIL("[net] addr is required (e.g. addr = 198.18.0.2/24)");
	mask = prefix_mask(a->len);
	host = ntohl(a->addr_be);
	if ((host >> 24) == 0 || (host >> 24) == 127 || (host >> 28) >= 14)
		FAIL("[net] addr = %s/%u: not a unicast host address",
		     ip_str(a->addr_be, b1, sizeof(b1)), a->len);
	if (a->len <= 30 && ((a->addr_be & ~mask) == 0 || (a->addr_be | mask) == 0xffffffffu))
		FAIL("[net] addr = %s/%u: is the network or broadcast address of its prefix",
		     ip_str(a->addr_be, b1, sizeof(b1)), a->len);
	if (c->net.gateway_be) {
		if ((c->net.gateway_be & mask) != (a->addr_be & mask))
			FAIL("[net] gateway = %s: not inside [net] addr %s/%u",
			     ip_str(c->net.gateway_be, b1, sizeof(b1)),
			     ip_str(a->addr_be, b2, sizeof(b2)), a->len);
		if (c->net.gateway_be == a->addr_be)
			FAIL("[net] gateway = %s: is our own address",
			     ip_str(c->net.gateway_be, b1, sizeof(b1)));
	}
	for (uint32_t i = 0; i < c->nats.n_servers; i++) {
		uint32_t ip = c->nats.servers[i].ip_be;

		if (ip == a->addr_be)
			FAIL("[nats] servers: %s is our own address", ip_str(ip, b1, sizeof(b1)));
		if ((ip & mask) != (a->addr_be & mask) && !c->net.gateway_be)
			FAIL("[nats] servers: %s is not in %s/%u and [net] gateway is not set",
			     ip_str(ip, b1, sizeof(b1)), ip_str(a->addr_be, b2, sizeof(b2)),
			     a->len);
		if (c->nats.servers[i].tls && c->nats.tls == JW_TLS_OFF)
			FAIL("[nats] servers: tls://%s needs TLS but [nats] tls = off",
			     ip_str(ip, b1, sizeof(b1)));
	}
	/* TLS files are opened at start-up (lib/tls); here only their pairing */
	if ((c->nats.tls_cert_file[0] != '\0') != (c->nats.tls_key_file[0] != '\0'))
		FAIL("[nats] tls_cert_file and tls_key_file: set both or neither");
	return 0;
}

static int
check_cores(struct jw_config *c, const char *source, char *err, size_t errlen)
{
	const struct jw_cores_config *k = &c->cores;

	if (!jw_config_has_lcore(c, k->control))
		FAIL("[cores] control = %u: not an lcore of [eal] lcores = \"%s\"", k->control,
		     c->eal.lcores);
	for (uint32_t i = 0; i < k->tx.n; i++) {
		if (!jw_config_has_lcore(c, k->tx.ids[i]))
			FAIL("[cores] tx: lcore %u is not an lcore of [eal] lcores = \"%s\"",
			     k->tx.ids[i], c->eal.lcores);
		if (k->tx.ids[i] == k->control)
			FAIL("[cores] tx: lcore %u is also [cores] control", k->tx.ids[i]);
	}
	if (k->tx.n + 1 > c->port.tx_queues)
		FAIL("[cores] tx: %u TX lcores need %u TX queues (one each plus one for the "
		     "control lcore) but [port] tx_queues = %u", k->tx.n, k->tx.n + 1,
		     c->port.tx_queues);
	return 0;
}

static int
check_flow_tcp(struct jw_config *c, const char *source, char *err, size_t errlen)
{
	if (c->flow.window_min > c->flow.window_max)
		FAIL("[flow] window_min = %u is above window_max = %u", c->flow.window_min,
		     c->flow.window_max);
	if (c->tcp.mss == 0)
		c->tcp.mss = c->port.mtu - 40;
	else if (c->tcp.mss < 88 || c->tcp.mss > c->port.mtu - 40)
		FAIL("[tcp] mss = %u: must be 88..%u ([port] mtu - 40)", c->tcp.mss,
		     c->port.mtu - 40);
	if (c->shm.instance[0] == '\0')
		FAIL("[shm] instance must not be empty");
	return 0;
}

/* At most one kind of credentials; a password belongs to a user. (The secret files are read
 * and checked at start-up by lib/auth: --check does not need them.) */
static int
check_auth(struct jw_config *c, const char *source, char *err, size_t errlen)
{
	const struct jw_nats_config *n = &c->nats;
	int kinds = (n->token[0] != '\0') + (n->user[0] != '\0') +
		    (n->nkey_seed_file[0] != '\0') + (n->creds_file[0] != '\0');

	if (kinds > 1)
		FAIL("[nats] token, user, nkey_seed_file and creds_file: set at most one kind of "
		     "credentials");
	if (n->password[0] != '\0' && n->user[0] == '\0')
		FAIL("[nats] password is set but user is not");
	return 0;
}

int
jw_config_finish(struct jw_config *c, const char *source, char *err, size_t errlen)
{
	int r;

	if (!source)
		source = "config";
	if ((r = check_eal(c, source, err, errlen)) < 0 ||
	    (r = check_port(c, source, err, errlen)) < 0 ||
	    (r = check_net(c, source, err, errlen)) < 0 ||
	    (r = check_cores(c, source, err, errlen)) < 0 ||
	    (r = check_flow_tcp(c, source, err, errlen)) < 0 ||
	    (r = check_auth(c, source, err, errlen)) < 0)
		return r;
	return 0;
}
