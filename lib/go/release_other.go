//go:build !amd64

package jetwire

import "sync/atomic"

// storeRelease64 stores v at addr with (at least) release semantics: sync/atomic's store,
// which is sequentially consistent.
func storeRelease64(addr *uint64, v uint64) { atomic.StoreUint64(addr, v) }

// prefetchRecord is a no-op here (no prefetch instruction without assembly).
func prefetchRecord(addr *byte) {}
