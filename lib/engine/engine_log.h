/* The engine's rte_log type ("jetwire.engine"), level INFO by default; [eal] log_level
 * and --log-level=jetwire.engine:debug adjust it. */
#ifndef JW_ENGINE_LOG_H
#define JW_ENGINE_LOG_H

#include <rte_log.h>

extern int engine_logtype;

#define ENGINE_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_##level, engine_logtype, "jetwire: " fmt "\n", ##__VA_ARGS__)

#endif /* JW_ENGINE_LOG_H */
