package jetwire

import (
	"os"
	"sync/atomic"
	"syscall"
	"time"
)

// Options of Open.
type Options struct {
	// Instance is the jetwire instance ([shm] instance); "" means "default".
	Instance string
	// TX is the preferred TX lcore index; -1 spreads (least loaded TX lcore first).
	// The zero value 0 asks for TX lcore 0.
	TX int
}

// Msg is a message for PublishMsg.
type Msg struct {
	Subject string
	// Header is a nats-style header (nats.Header converts implicitly): each value becomes a
	// "Name: value" line of a NATS/1.0 header block. nil or empty: no header block.
	Header map[string][]string
	// HeaderBlock is a ready-made header block "NATS/1.0\r\nName: value\r\n\r\n" (as in
	// C's jw_msg.hdr), used when Header is empty. Setting both is ErrInvalid.
	HeaderBlock []byte
	Data        []byte
}

// Producer is one claimed ring slot of a jetwire instance: the Go counterpart of a
// jw_producer, speaking the shared-memory protocol of lib/shm/shm-t.h natively (no cgo).
//
// A Producer is used by one goroutine at a time, like a jw_producer is used by one thread
// at a time; open one per publishing goroutine, or share an AsyncPublisher. One exception,
// on which AsyncPublisher relies: Publish/PublishMsg and Reports work on separate cursors
// (head and rep_tail), so one goroutine may call Reports while another publishes.
//
//	| call               | may run concurrently with (same Producer)              |
//	|--------------------|--------------------------------------------------------|
//	| Publish/PublishMsg | Reports (one goroutine each); nothing else             |
//	| Reports            | Publish/PublishMsg (one goroutine each); nothing else  |
//	| Flush, Outstanding | nothing                                                |
//	| Close              | nothing; every later call returns ErrClosed            |
//	| Slot, EAgain       | nothing (read producer-private state)                  |
//
// Against jetwire every call may run at any time (the table of lib/shm/shm-t.h). A Producer
// does not survive fork (Go programs do not fork without exec anyway).
//
// Memory ordering, the pairs [P1]..[P5] of lib/shm/shm-t.h: loads of the other side's cursors
// (released, rep_head) and the owner CAS use sync/atomic, which is sequentially consistent,
// hence at least the acquire and acq_rel of the C side; the publish path's release stores
// (commit word, head) use storeRelease64 (a plain store on amd64, whose stores are release
// stores by the hardware's ordering, in an assembly function the compiler cannot reorder
// around; sync/atomic elsewhere); rep_tail is stored with sync/atomic.
type Producer struct {
	// Hot: read or written by every Publish.
	ring      []byte
	state     *uint32 // hdr->state
	maxPay    *uint32 // hdr->max_payload
	overhead  *uint32 // hdr->msg_overhead
	ownerW    *uint64 // slot->owner
	headW     *uint64 // slot->head
	eagainW   *uint64 // slot->eagain
	releasedW *uint64 // slot->released
	owner     uint64  // our owner word: the slot is ours while it is unchanged
	head      uint64  // private copy of slot->head (we are its only writer)
	released  uint64  // cached slot->released, refreshed only when the ring looks full
	seq       uint64  // last seq handed out
	eagain    uint64
	ringBytes uint64
	maxRec    uint64 // largest record: half the ring, so that it always fits
	closed    bool

	// Reports (Reports may run beside Publish: nothing above is touched by it).
	reps     []byte
	repN     uint64
	repTailW *uint64
	repHeadW *uint64
	repTail  uint64 // private copy of slot->rep_tail
	reported uint64 // reports taken from the ring (buffered or returned)
	buf      []Report
	bufFirst int
	stream   string // last stream name seen: reused so that Reports does not allocate

	mem      []byte
	ringOff  uint64
	tx, slot uint32
}

// prefault maps every page of the ring writable now, so that no Publish pays a page fault
// on its first lap (they showed up as the burst's p99 in C): MADV_POPULATE_WRITE from the
// page the ring starts in, as jw_open. Kernels before 5.14 refuse the advice; then each page
// is touched with an atomic add of 0 (the ring is ours: head == released at Open). Returns
// madvise's error.
func (p *Producer) prefault() error {
	start := p.ringOff &^ 4095
	err := syscall.Madvise(p.mem[start:p.ringOff+p.ringBytes], madvPopulateWrite)
	if err != nil {
		for off := uint64(0); off < p.ringBytes; off += 4096 {
			atomic.AddUint64(u64(p.ring, off), 0)
		}
		atomic.AddUint64(u64(p.ring, p.ringBytes-8), 0)
	}
	return err
}

// Open maps a jetwire instance and claims a producer ring slot on one TX lcore (o.TX when
// it has a free slot, else the least loaded), as jw_open does. It checks the instance name
// (ErrInvalid), that the object exists (ErrNotRunning), may be mapped (ErrPerm) and has
// the layout this package speaks (magic, version, layout hash, sizes: ErrVersion, with
// the difference in the message), that its engine is alive (ErrNotRunning), o.TX
// (ErrInvalid when < -1 or beyond the instance's TX lcores) and that a slot is free
// (ErrBusy). The ring is pre-faulted. Returned errors wrap the Err values (errors.Is).
func Open(o Options) (*Producer, error) {
	inst := o.Instance
	if inst == "" {
		inst = "default"
	}
	if o.TX < -1 || !checkInstance(inst) {
		return nil, ErrInvalid
	}
	m, l, err := mapInstance(inst)
	if err != nil {
		return nil, err
	}
	fail := func(e error) (*Producer, error) {
		_ = syscall.Munmap(m)
		return nil, e
	}
	if !engineAlive(m) {
		return fail(wrapErr(ErrNotRunning, "instance "+inst+": no live jetwire"))
	}
	if o.TX >= int(l.nTX) {
		return fail(ErrInvalid)
	}
	pid := int32(os.Getpid())
	s, ok := claim(m, &l, o.TX, pid)
	if !ok {
		return fail(ErrBusy)
	}
	p := &Producer{mem: m}
	p.state = u32(m, hdrState)
	p.maxPay = u32(m, hdrMaxPayload)
	p.overhead = u32(m, hdrMsgOverhead)
	p.ownerW = u64(m, s+slotOwner)
	p.headW = u64(m, s+slotHead)
	p.eagainW = u64(m, s+slotEagain)
	p.releasedW = u64(m, s+slotReleased)
	p.repTailW = u64(m, s+slotRepTail)
	p.repHeadW = u64(m, s+slotRepHead)
	p.tx, p.slot = *u32(m, s+slotTX), *u32(m, s+slotIndex)
	repOff := s + slotSize
	ringOff := repOff + uint64(l.reportEntries)*repSize
	p.reps = m[repOff:ringOff:ringOff]
	p.repN = uint64(l.reportEntries)
	p.ring = m[ringOff : ringOff+uint64(l.ringBytes) : ringOff+uint64(l.ringBytes)]
	p.ringBytes = uint64(l.ringBytes)
	p.maxRec = uint64(l.ringBytes) / 2
	p.ringOff = ringOff
	_ = p.prefault()
	p.owner = atomic.LoadUint64(p.ownerW)
	p.repTail = atomic.LoadUint64(p.repTailW)
	// A free slot has every record final: head == released. Anything else is a corrupt
	// cursor left by an earlier owner; start clean at released.
	head := atomic.LoadUint64(p.headW)
	released := atomic.LoadUint64(p.releasedW)
	if head != released {
		head = released
		atomic.StoreUint64(p.headW, head)
	}
	p.head, p.released = head, released
	return p, nil
}

// claim is jw_shm_claim: tx prefer first (if >= 0), then the least-loaded TX lcore (ties
// round robin through open_rr), then any. Returns the slot's offset in m.
func claim(m []byte, l *layout, prefer int, pid int32) (uint64, bool) {
	slotOff := func(tx, i uint32) uint64 {
		return l.slotsOffset + (uint64(tx)*uint64(l.slotsPerTX)+uint64(i))*l.stride
	}
	claimIn := func(tx uint32) (uint64, bool) {
		for i := uint32(0); i < l.slotsPerTX; i++ {
			s := slotOff(tx, i)
			ow := u64(m, s+slotOwner)
			o := atomic.LoadUint64(ow)
			if ownerState(o) != ownerFree {
				continue
			}
			// [P5] CAS: acquires what the control lcore did before freeing the slot.
			if !atomic.CompareAndSwapUint64(ow, o, ownerMake(pid, ownerGen(o)+1, ownerOwned)) {
				continue
			}
			// Reports left for an earlier owner are not ours: start after them. [P4]
			atomic.StoreUint64(u64(m, s+slotRepTail), atomic.LoadUint64(u64(m, s+slotRepHead)))
			return s, true
		}
		return 0, false
	}
	load := func(tx uint32) uint32 {
		n := uint32(0)
		for i := uint32(0); i < l.slotsPerTX; i++ {
			if ownerState(atomic.LoadUint64(u64(m, slotOff(tx, i)+slotOwner))) != ownerFree {
				n++
			}
		}
		return n
	}
	n := l.nTX
	if prefer >= 0 {
		if s, ok := claimIn(uint32(prefer)); ok {
			return s, true
		}
	}
	start := (atomic.AddUint32(u32(m, hdrOpenRR), 1) - 1) % n
	for tries := uint32(0); tries < n; tries++ {
		best, bestLoad := n, ^uint32(0)
		for k := uint32(0); k < n; k++ {
			tx := (start + k) % n
			if ld := load(tx); ld < bestLoad && ld < l.slotsPerTX {
				best, bestLoad = tx, ld
			}
		}
		if best == n {
			break
		}
		if s, ok := claimIn(best); ok {
			return s, true
		}
	}
	for tx := uint32(0); tx < n; tx++ {
		if s, ok := claimIn(tx); ok {
			return s, true
		}
	}
	return 0, false
}

// Publish appends one message without a header block and returns its sequence number
// (1, 2, ... per Producer). It never blocks, makes no system call and allocates nothing.
// It accepts a subject of dot-separated tokens of printable bytes (no space, tab, CR, LF,
// control byte, empty token or "*"/">" token, at most 512 bytes) and data of any length
// up to the server's max_payload (less jetwire's own header bytes; while jetwire has not
// learnt max_payload, up to half the ring). It returns ErrAgain when the ring is full
// (nothing queued; counted), ErrInvalid (subject), ErrTooBig, ErrNotRunning (jetwire
// stopped cleanly) or ErrClosed (Close was called, the instance was destroyed or the slot
// taken back; ErrInvalid for a nil Producer). data is copied before Publish returns: the
// caller may reuse it at once.
func (p *Producer) Publish(subject string, data []byte) (uint64, error) {
	return p.append(subject, nil, nil, data)
}

// PublishMsg is Publish with an optional header block, built from m.Header (names: printable
// ASCII without ':' or space; values without CR, LF or NUL) or taken from m.HeaderBlock
// (checked as nats_hdr_check does: NATS/1.0 line, no status, Name: value lines, blank
// line). Either way at most 4096 bytes; anything else is ErrInvalid, as a nil m is. The
// header bytes count against max_payload. Allocates nothing.
func (p *Producer) PublishMsg(m *Msg) (uint64, error) {
	if m == nil || (len(m.Header) != 0 && len(m.HeaderBlock) != 0) {
		return 0, ErrInvalid
	}
	return p.append(m.Subject, m.Header, m.HeaderBlock, m.Data)
}

// append is libjetwire's append(): the checks in the same order, then the record.
func (p *Producer) append(subject string, h map[string][]string, hb []byte, data []byte) (uint64, error) {
	if p == nil {
		return 0, ErrInvalid
	}
	if p.closed {
		return 0, ErrClosed
	}
	if st := atomic.LoadUint32(p.state); st != stateRunning {
		if st == stateDestroyed {
			return 0, ErrClosed
		}
		return 0, ErrNotRunning
	}
	if atomic.LoadUint64(p.ownerW) != p.owner {
		return 0, ErrClosed
	}
	if !checkSubject(subject) {
		return 0, ErrInvalid
	}
	hlen := 0
	if len(h) != 0 {
		if hlen = headerLen(h); hlen < 0 {
			return 0, ErrInvalid
		}
	} else if len(hb) != 0 {
		if !checkHeaderBlock(hb) {
			return 0, ErrInvalid
		}
		hlen = len(hb)
	}
	dlen := uint64(len(data))
	if mp := atomic.LoadUint32(p.maxPay); mp != 0 &&
		uint64(hlen)+dlen+uint64(atomic.LoadUint32(p.overhead)) > uint64(mp) {
		return 0, ErrTooBig
	}
	if dlen > 0xffffffff {
		return 0, ErrTooBig
	}
	slen := uint64(len(subject))
	n := recLen(slen, uint64(hlen), dlen)
	if n > p.maxRec {
		return 0, ErrTooBig
	}

	size := p.ringBytes
	head := p.head
	off := head & (size - 1)
	pad := uint64(0)
	if off+n > size {
		pad = size - off // wrap marker up to the end, record at offset 0
	}
	if head+pad+n-p.released > size {
		// [P2] acquire: jetwire finished reading what lies below released.
		p.released = atomic.LoadUint64(p.releasedW)
		if head+pad+n-p.released > size {
			p.eagain++
			atomic.StoreUint64(p.eagainW, p.eagain)
			return 0, ErrAgain
		}
	}
	ring := p.ring
	if pad != 0 {
		storeRelease64(u64(ring, off), recCommitWord(pad, head, true))
		head += pad
		off = 0
	}
	seq := p.seq + 1
	*u64(ring, off+recSeq) = seq
	*u32(ring, off+recPayloadLen) = uint32(dlen)
	*u16(ring, off+recSubjectLen) = uint16(slen)
	*u16(ring, off+recHdrLen) = uint16(hlen)
	dst := off + recSize
	copy(ring[dst:], subject)
	dst += slen
	if hlen != 0 {
		if len(h) != 0 {
			writeHeader(ring[dst:dst+uint64(hlen)], h)
		} else {
			copy(ring[dst:], hb)
		}
		dst += uint64(hlen)
	}
	copy(ring[dst:], data)
	// [P1] release: the record's bytes before its commit word, the commit word before head
	// (storeRelease64: release stores, as the C side's __atomic_store_n RELEASE). A
	// producer that dies before these two stores exposes nothing.
	storeRelease64(u64(ring, off+recCommit), recCommitWord(n, head, false))
	p.head = head + n
	storeRelease64(p.headW, p.head)
	p.seq = seq
	// The next record's first lines, fetched for writing now (C: PREFETCH_LINES): on 4 KiB
	// pages a call that met an unmapped TLB entry or a cold line took ~350 ns (the p99 of a
	// burst on tmpfs rings) where the C producer's took 50. Not across the ring's end: the
	// wrap comes once a lap.
	if next := p.head & (size - 1); next+prefetchBytes <= size {
		prefetchRecord(&ring[next])
	}
	return seq, nil
}

// takeReports reads up to len(out) reports from the shared report ring.
func (p *Producer) takeReports(out []Report) int {
	// [P4] acquire rep_head: the entries below it are written.
	h := atomic.LoadUint64(p.repHeadW)
	t := p.repTail
	avail := h - t
	if avail > p.repN { // impossible unless jetwire's cursor is corrupt
		return 0
	}
	n := uint64(len(out))
	if avail < n {
		n = avail
	}
	for i := uint64(0); i < n; i++ {
		e := p.reps[((t+i)&(p.repN-1))*repSize:]
		r := &out[i]
		r.Seq = *u64(e, repSeq)
		r.StreamSeq = *u64(e, repStreamSeq)
		r.ErrCode = int(*u32(e, repErrCode))
		r.Reason = Reason(*u16(e, repReason))
		r.Code = int(*u16(e, repCode))
		r.Status = Status(e[repStatus])
		r.Duplicate = e[repDuplicate] != 0
		s := e[repStream : repStream+streamMax]
		l := 0
		for l < streamMax && s[l] != 0 {
			l++
		}
		if string(s[:l]) != p.stream { // compared without allocating
			p.stream = string(s[:l])
		}
		r.Stream = p.stream
	}
	if n != 0 {
		p.repTail = t + n
		// [P4] release: our reads of the entries happen before jetwire reuses them.
		atomic.StoreUint64(p.repTailW, p.repTail)
		p.reported += n
	}
	return int(n)
}

// Reports moves up to len(out) delivery reports into out (those Flush buffered first, then
// new ones) and returns how many; 0 when there are none or the Producer is closed. It never
// blocks and allocates nothing while the stream name stays the same. Read reports
// regularly: while the report ring is full jetwire cannot free ring space. Every message
// Publish accepted gets exactly one report (a jetwire restart in the middle of an ack may
// repeat one: match by Seq).
func (p *Producer) Reports(out []Report) int {
	if p == nil || p.closed {
		return 0
	}
	n := 0
	for n < len(out) && p.bufFirst < len(p.buf) {
		out[n] = p.buf[p.bufFirst]
		p.bufFirst++
		n++
	}
	if p.bufFirst == len(p.buf) {
		p.buf, p.bufFirst = p.buf[:0], 0
	}
	if n < len(out) {
		n += p.takeReports(out[n:])
	}
	return n
}

// bufferReports moves every available report into the private FIFO.
func (p *Producer) bufferReports() {
	for {
		if len(p.buf) == cap(p.buf) {
			if p.bufFirst > 0 {
				k := copy(p.buf, p.buf[p.bufFirst:])
				p.buf, p.bufFirst = p.buf[:k], 0
			} else {
				nb := make([]Report, len(p.buf), 2*cap(p.buf)+256)
				copy(nb, p.buf)
				p.buf = nb
			}
			continue
		}
		room := p.buf[len(p.buf):cap(p.buf)]
		k := p.takeReports(room)
		p.buf = p.buf[:len(p.buf)+k]
		if k < len(room) {
			return
		}
	}
}

// Outstanding is the number of messages published whose report has not been received yet.
func (p *Producer) Outstanding() uint64 { return p.seq - p.reported }

// EAgain is the number of Publish calls refused with ErrAgain.
func (p *Producer) EAgain() uint64 { return p.eagain }

// Slot returns the TX lcore and slot index this Producer claimed and its slot generation.
func (p *Producer) Slot() (tx, index, gen uint32) { return p.tx, p.slot, ownerGen(p.owner) }

func (p *Producer) stillUsable() error {
	if atomic.LoadUint32(p.state) == stateDestroyed || atomic.LoadUint64(p.ownerW) != p.owner {
		return ErrClosed
	}
	return nil
}

// Flush waits until a report exists for every message published (they stay available to
// Reports), up to timeout (negative: forever), sleeping 16 µs growing to 1 ms between
// looks. Returns nil, ErrTimeout, ErrClosed (closed, instance destroyed, slot taken
// back), or ErrInvalid for a nil Producer.
func (p *Producer) Flush(timeout time.Duration) error {
	if p == nil {
		return ErrInvalid
	}
	if p.closed {
		return ErrClosed
	}
	start := time.Now()
	for step := uint(0); ; step++ {
		p.bufferReports()
		if p.reported >= p.seq {
			return nil
		}
		if err := p.stillUsable(); err != nil {
			return err
		}
		if timeout >= 0 && time.Since(start) >= timeout {
			return ErrTimeout
		}
		backoff(step)
	}
}

func backoff(step uint) {
	if step > 6 {
		step = 6
	}
	time.Sleep((16 * time.Microsecond) << step)
}

// Close gives the slot back (free at once when every record is final, else closed, and
// jetwire frees it once they are) and unmaps the instance. Messages already published are
// still delivered; their reports (and unread ones) are discarded: Flush first to see them.
// Returns nil, ErrClosed when already closed, or ErrInvalid for a nil Producer.
func (p *Producer) Close() error {
	if p == nil {
		return ErrInvalid
	}
	if p.closed {
		return ErrClosed
	}
	p.closed = true
	// jw_shm_unclaim: our head is our own cursor.
	head := atomic.LoadUint64(p.headW)
	released := atomic.LoadUint64(p.releasedW)
	next := ownerMake(ownerPid(p.owner), ownerGen(p.owner), ownerClosed)
	if released == head {
		next = ownerMake(0, ownerGen(p.owner), ownerFree)
	}
	// [P5] CAS: our last head is visible to whoever frees or claims the slot. A failed CAS
	// means the slot was taken back already: nothing to do.
	atomic.CompareAndSwapUint64(p.ownerW, p.owner, next)
	err := syscall.Munmap(p.mem)
	p.mem, p.ring, p.reps, p.buf = nil, nil, nil, nil
	if err != nil {
		return wrapErr(ErrInvalid, "munmap: "+err.Error())
	}
	return nil
}
