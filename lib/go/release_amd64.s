#include "textflag.h"

// func storeRelease64(addr *uint64, v uint64)
// A plain MOVQ: on amd64 (x86-TSO) every store is a release store. Being an assembly
// function, the call is also a compiler barrier: Go does not move memory operations of the
// caller across it.
TEXT ·storeRelease64(SB), NOSPLIT, $0-16
	MOVQ addr+0(FP), AX
	MOVQ v+8(FP), BX
	MOVQ BX, 0(AX)
	RET

// func prefetchRecord(addr *byte)
// PREFETCHT0 of the four cache lines from addr: the place of the next record (what the C
// producer's __builtin_prefetch compiles to on x86-64; see release_amd64.go). A hint: never faults.
TEXT ·prefetchRecord(SB), NOSPLIT, $0-8
	MOVQ addr+0(FP), AX
	PREFETCHT0 0(AX)
	PREFETCHT0 64(AX)
	PREFETCHT0 128(AX)
	PREFETCHT0 192(AX)
	RET
