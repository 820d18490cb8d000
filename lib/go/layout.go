package jetwire

// The shared-memory layout of lib/shm/shm-t.h, version 1. There is one definition of the
// layout, the C header; these constants mirror it and layout_test.go checks every one of
// them against the values a C program compiled from shm-t.h prints (build/tests/go/jwlayout).
// Open refuses an instance whose magic, version, layout hash or sizes differ (ErrVersion).

const (
	shmMagic       = 0x3145524957544a4a // "JJTWIRE1" little-endian
	shmVersion     = 1
	shmNamePrefix  = "/dev/shm/jetwire."
	shmInstanceMax = 32 // instance name: 1..31 of [A-Za-z0-9_.-], not starting with '.'
	shmHdrBytes    = 4096
	shmPathMax     = 256 // path of the object's file behind a redirect

	// struct jw_shm_redirect: /dev/shm/jetwire.<instance> when the rings live on hugetlbfs
	shmRedirectMagic = 0x315249444557544a // "JTWEDIR1" little-endian
	redirMagic       = 0
	redirVersion     = 8
	redirPageBytes   = 12
	redirPath        = 16
	redirSize        = 272
	hugetlbfsMagic   = 0x958458f6
	shmMaxTX         = 64
	shmMaxSlots      = 1024
	shmMinRingBytes  = 4096
	shmMaxRingBytes  = 1 << 30
	shmMinReports    = 16
	shmMaxReports    = 1 << 20
	shmMaxTotal      = 64 << 30
	heartbeatFresh   = 3 * 1000000000 // ns: proof of life across pid namespaces

	stateInit      = 0
	stateRunning   = 1
	stateStopped   = 2
	stateDestroyed = 3

	// struct jw_shm_hdr
	hdrMagic         = 0
	hdrVersion       = 8
	hdrLayoutHash    = 12
	hdrNTX           = 16
	hdrSlotsPerTX    = 20
	hdrRingBytes     = 24
	hdrReportEntries = 28
	hdrSlotStride    = 32
	hdrSlotsOffset   = 40
	hdrTotalSize     = 48
	hdrNonce         = 56
	hdrState         = 64
	hdrEnginePid     = 68
	hdrGeneration    = 72
	hdrMaxPayload    = 76
	hdrMsgOverhead   = 80
	hdrEnginePidns   = 88
	hdrInstance      = 96
	hdrHeartbeat     = 128
	hdrOpenRR        = 192
	hdrSize          = 256

	// struct jw_shm_slot
	slotOwner          = 0
	slotTX             = 8
	slotIndex          = 12
	slotHead           = 64
	slotEagain         = 72
	slotRepTail        = 128
	slotSent           = 192
	slotBadRecords     = 200
	slotBadCursor      = 208
	slotReleased       = 256
	slotRepHead        = 264
	slotReportsDropped = 272
	slotReclaims       = 280
	slotSize           = 320

	// struct jw_shm_rec
	recCommit     = 0
	recSeq        = 8
	recPayloadLen = 16
	recSubjectLen = 20
	recHdrLen     = 22
	recSize       = 24 // JW_REC_HDR_BYTES

	recWrap = 1 << 63 // JW_REC_WRAP

	prefetchBytes = 4 * 64 // what prefetchRecord asks for: PREFETCH_LINES cache lines

	// struct jw_shm_report
	repSeq       = 0
	repStreamSeq = 8
	repErrCode   = 16
	repReason    = 20
	repCode      = 22
	repStatus    = 24
	repDuplicate = 25
	repStream    = 32
	repSize      = 64
	streamMax    = 32 // JW_SHM_STREAM_MAX

	// Owner word: pid (bits 0..31), slot generation (32..61), state (62..63).
	ownerFree   = 0
	ownerOwned  = 1
	ownerClosed = 2
	ownerOrphan = 3

	// lib/nats/nats_validate.h
	subjectMax = 512  // NATS_SUBJECT_MAX
	hdrMax     = 4096 // NATS_HDR_MAX
)

func ownerMake(pid int32, gen uint32, st uint64) uint64 {
	return uint64(uint32(pid)) | uint64(gen&0x3fffffff)<<32 | st<<62
}
func ownerPid(o uint64) int32    { return int32(uint32(o)) }
func ownerGen(o uint64) uint32   { return uint32(o>>32) & 0x3fffffff }
func ownerState(o uint64) uint64 { return o >> 62 }

// recTag is JW_REC_TAG: the position / 8, 31 bits.
func recTag(pos uint64) uint64 { return (pos >> 3) & 0x7fffffff }

// recCommitWord is JW_REC_COMMIT(len, pos, wrap).
func recCommitWord(n, pos uint64, wrap bool) uint64 {
	c := uint64(uint32(n)) | recTag(pos)<<32
	if wrap {
		c |= recWrap
	}
	return c
}

// recLen is JW_REC_SIZE: header + parts rounded up to 8.
func recLen(slen, hlen, plen uint64) uint64 { return (recSize + slen + hlen + plen + 7) &^ 7 }

func fnv1a(h uint32, v uint64) uint32 {
	for i := 0; i < 8; i++ {
		h ^= uint32(v & 0xff)
		h *= 16777619
		v >>= 8
	}
	return h
}

// layoutHash is jw_shm_layout_hash: the version, the struct sizes and the parameters.
func layoutHash(nTX, slotsPerTX, ringBytes, reportEntries uint32) uint32 {
	h := uint32(2166136261)
	for _, v := range []uint64{shmVersion, hdrSize, slotSize, recSize, repSize,
		uint64(nTX), uint64(slotsPerTX), uint64(ringBytes), uint64(reportEntries)} {
		h = fnv1a(h, v)
	}
	return h
}

func isPow2(v uint32) bool { return v != 0 && v&(v-1) == 0 }

// slotStride is the bytes of one slot: control lines, report entries, ring, rounded to 4096.
func slotStride(ringBytes, reportEntries uint32) uint64 {
	b := uint64(slotSize) + uint64(reportEntries)*repSize + uint64(ringBytes)
	return (b + 4095) &^ 4095
}
