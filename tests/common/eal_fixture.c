/* EAL fixtures (fixtures.h). */
#include <stdio.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_mbuf.h>

#include "../common/fixtures.h"

int
jwt_eal_setup(const char *name, unsigned n, struct rte_mempool **pool)
{
	static char a1[] = "--no-huge", a2[] = "--no-pci", a3[] = "-m", a4[] = "64",
		    a6[] = "--log-level=error", a7[] = "--no-shconf", a8[] = "--no-telemetry";
	char a0[64], pfx[64];
	char *argv[] = { a0, a1, a2, a3, a4, pfx, a6, a7, a8, NULL };

	snprintf(a0, sizeof(a0), "test_%s", name);
	snprintf(pfx, sizeof(pfx), "--file-prefix=jwtest-%s-%d", name, (int)getpid());
	if (rte_eal_init(9, argv) < 0)
		return -1;
	*pool = rte_pktmbuf_pool_create(name, n, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	return *pool ? 0 : -1;
}

int
jwt_eal_teardown(struct rte_mempool *pool)
{
	rte_mempool_free(pool);
	rte_eal_cleanup();
	return 0;
}
