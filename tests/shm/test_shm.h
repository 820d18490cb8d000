/* Groups of the lib/shm test binary besides test_shm.c's own. */
#ifndef TEST_SHM_H
#define TEST_SHM_H

/* The backing-store group (test_shm_store.c): hugetlbfs, redirects. Returns failures. */
int run_store_tests(void);

#endif /* TEST_SHM_H */
