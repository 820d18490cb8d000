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
