package jetwire

// storeRelease64 stores v at addr with release semantics: every store the caller made
// before it is visible to a thread that observes v (with an acquire load, as jetwire's
// load-acquire of head and of the commit word). On amd64 that is a plain store (x86-TSO),
// without the full barrier (XCHG) of sync/atomic's sequentially consistent store, which has
// to wait for the record's freshly written cache lines; see release_amd64.s.
//
//go:noescape
func storeRelease64(addr *uint64, v uint64)

// prefetchRecord asks for the four cache lines from addr (PREFETCHT0, a hint that never
// faults): the place of the next record, last written a lap of the ring ago, so that a
// producer which pauses between calls does not wait for memory, or for a page walk, in its
// next call. The C producer does the same with __builtin_prefetch (PREFETCH_LINES), which
// the x86-64 baseline compiles to the same instruction.
//
//go:noescape
func prefetchRecord(addr *byte)
