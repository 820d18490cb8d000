package jetwire

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestOpenErrors(t *testing.T) {
	e := startEngine(t, 2, 2, 4096, 16)
	for _, c := range []struct {
		o    Options
		want error
	}{
		{Options{Instance: "no-such-instance-" + e.name[6:], TX: -1}, ErrNotRunning},
		{Options{Instance: "bad name", TX: -1}, ErrInvalid},
		{Options{Instance: ".hidden", TX: -1}, ErrInvalid},
		{Options{Instance: strings.Repeat("x", 32), TX: -1}, ErrInvalid},
		{Options{Instance: e.name, TX: -2}, ErrInvalid},
		{Options{Instance: e.name, TX: 2}, ErrInvalid},
	} {
		if p, err := Open(c.o); !errors.Is(err, c.want) || p != nil {
			t.Errorf("Open(%+v) = %v, want %v", c.o, err, c.want)
		}
	}
	// Four slots: the fifth Open finds none (ErrBusy); tx -1 spreads over both TX lcores.
	per := map[uint32]int{}
	for i := 0; i < 4; i++ {
		p := openT(t, e, -1)
		tx, _, gen := p.Slot()
		per[tx]++
		if gen != 1 {
			t.Errorf("slot generation %d, want 1", gen)
		}
	}
	if per[0] != 2 || per[1] != 2 {
		t.Errorf("slots per TX lcore %v, want 2 and 2", per)
	}
	if _, err := Open(Options{Instance: e.name, TX: 1}); !errors.Is(err, ErrBusy) {
		t.Errorf("fifth Open: %v, want ErrBusy", err)
	}
	e.do("stop")
	if _, err := Open(Options{Instance: e.name, TX: -1}); !errors.Is(err, ErrNotRunning) {
		t.Errorf("Open of a stopped instance: %v, want ErrNotRunning", err)
	}
}

// copyInstance copies e's shm object to a new name, with patch applied to its header page.
func copyInstance(t *testing.T, e *engine, suffix string, patch func(h []byte)) string {
	b, err := os.ReadFile(shmNamePrefix + e.name)
	if err != nil {
		t.Fatal(err)
	}
	patch(b)
	name := e.name + suffix
	if err := os.WriteFile(shmNamePrefix+name, b, 0600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(shmNamePrefix + name) })
	return name
}

func TestOpenRefusesOtherLayouts(t *testing.T) {
	e := startEngine(t, 1, 1, 4096, 16)
	for _, c := range []struct {
		what, msg string
		patch     func(h []byte)
	}{
		{"version", "layout version 2, this package speaks version 1",
			func(h []byte) { *u32(h, hdrVersion) = 2 }},
		{"magic", "bad magic", func(h []byte) { *u64(h, hdrMagic) = 0x1234 }},
		{"hash", "layout hash differs", func(h []byte) { *u32(h, hdrLayoutHash) ^= 1 }},
		{"ring", "layout hash differs", func(h []byte) { *u32(h, hdrRingBytes) = 8192 }},
		{"range", "out of range", func(h []byte) { *u32(h, hdrRingBytes) = 1000 }},
		{"stride", "stride", func(h []byte) { *u64(h, hdrSlotStride) += 4096 }},
	} {
		name := copyInstance(t, e, c.what, c.patch)
		p, err := Open(Options{Instance: name, TX: -1})
		if !errors.Is(err, ErrVersion) || p != nil || !strings.Contains(err.Error(), c.msg) ||
			!strings.Contains(err.Error(), ErrVersion.Error()) {
			t.Errorf("%s: Open = %v, want ErrVersion saying %q", c.what, err, c.msg)
		}
	}
	// A file shorter than the layout says.
	name := copyInstance(t, e, "short", func([]byte) {})
	if err := os.Truncate(shmNamePrefix+name, 8192); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(Options{Instance: name, TX: -1}); !errors.Is(err, ErrVersion) {
		t.Errorf("short file: %v, want ErrVersion", err)
	}
	// An untouched copy is a valid layout whose engine is the helper: it opens.
	name = copyInstance(t, e, "same", func([]byte) {})
	p, err := Open(Options{Instance: name, TX: -1})
	if err != nil {
		t.Fatalf("valid copy: %v", err)
	}
	p.Close()
}

// Subjects and header blocks: the Go checks agree with nats_subject_check / nats_hdr_check.
func TestValidationMatchesC(t *testing.T) {
	e := startEngine(t, 1, 1, 4096, 16)
	subjects := []string{"a", "a.b", "orders.new", "a..b", ".a", "a.", "", "*", ">", "a.*",
		"a.>", "a.*b", "a.>b", "**", "a b", "a\tb", "a\rb", "a\nb", "a\x7fb", "a\x01b",
		"\xff\xfe", "é.ü", strings.Repeat("x", 512), strings.Repeat("x", 513), "x.-_$!"}
	rng := rand.New(rand.NewSource(1))
	alphabet := "ab.*> \t\r\n\x00\x7f\x80."
	for i := 0; i < 300; i++ {
		b := make([]byte, 1+rng.Intn(8))
		for k := range b {
			b[k] = alphabet[rng.Intn(len(alphabet))]
		}
		subjects = append(subjects, string(b))
	}
	for _, s := range subjects {
		if got, c := checkSubject(s), e.cCheck("subject", []byte(s)) == 0; got != c {
			t.Errorf("subject %q: Go %v, C %v", s, got, c)
		}
	}
	blocks := []string{"", "NATS/1.0\r\n\r\n", "NATS/1.0\r\nA: b\r\n\r\n",
		"NATS/1.0\r\nA:\r\n\r\n", "NATS/1.0\r\nA: b\r\nC: d e\r\n\r\n", "NATS/1.0\r\n",
		"NATS/1.0 503\r\n\r\n", "NATS/1.1\r\n\r\n", "NATS/1.0\r\nA b: c\r\n\r\n",
		"NATS/1.0\r\n: b\r\n\r\n", "NATS/1.0\r\nA: b\nc\r\n\r\n", "NATS/1.0\r\nA: b\r\n",
		"NATS/1.0\r\nA: b\x00\r\n\r\n", "NATS/1.0\r\nA: b\r\n\r\nX", "NATS/1.0\r\nA\r\n\r\n",
		"NATS/1.0\r\n" + strings.Repeat("K: vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv\r\n", 100) + "\r\n"}
	halpha := "NATS/1.0\r\n: ab\x00\x7f"
	for i := 0; i < 300; i++ {
		b := []byte("NATS/1.0\r\n")
		for k := rng.Intn(12); k > 0; k-- {
			b = append(b, halpha[rng.Intn(len(halpha))])
		}
		if rng.Intn(2) == 0 {
			b = append(b, "\r\n"...)
		}
		blocks = append(blocks, string(b))
	}
	for _, h := range blocks {
		if got, c := checkHeaderBlock([]byte(h)), e.cCheck("header", []byte(h)) == 0; got != c {
			t.Errorf("header block %q: Go %v, C %v", h, got, c)
		}
	}
	// Encoded maps: what headerLen accepts, writeHeader writes, and C accepts it.
	// Refused: names that are not one token (space, ':', empty), values that would inject
	// lines (CR, LF, NUL), blocks over 4096 bytes.
	maps := []struct {
		h  map[string][]string
		ok bool
	}{
		{map[string][]string{"A": {"b"}}, true},
		{map[string][]string{"Nats-Msg-Id": {"x1"}, "K": {"1", "2"}}, true},
		{map[string][]string{"E": {""}}, true}, {map[string][]string{"K": {}}, true},
		{map[string][]string{"Bad Name": {"v"}}, false},
		{map[string][]string{"K": {"a\r\nX: y"}}, false},
		{map[string][]string{"K": {"a\x00"}}, false},
		{map[string][]string{"": {"v"}}, false}, {map[string][]string{"K:": {"v"}}, false},
		{map[string][]string{"K": {strings.Repeat("v", 5000)}}, false},
	}
	for _, c := range maps {
		m := c.h
		n := headerLen(m)
		if (n >= 0) != c.ok {
			t.Errorf("header %q: headerLen %d", m, n)
		}
		if n < 0 {
			continue
		}
		buf := make([]byte, n)
		writeHeader(buf, m)
		if e.cCheck("header", buf) != 0 || !checkHeaderBlock(buf) {
			t.Errorf("header %v encoded as %q: refused", m, buf)
		}
	}
}

func TestPublishRecordsAndReports(t *testing.T) {
	e := startEngine(t, 1, 1, 1<<16, 64)
	p := openT(t, e, 0)
	type m struct {
		subject string
		hdr     map[string][]string
		block   string
		data    string
	}
	msgs := []m{
		{"a.b", nil, "", "hello"},
		{"x", nil, "", ""},
		{"hdr.map", map[string][]string{"K": {"v"}}, "", "with header"},
		{"hdr.block", nil, "NATS/1.0\r\nA: b\r\n\r\n", "block"},
		{"big", nil, "", strings.Repeat("z", 1000)},
	}
	for i, x := range msgs {
		var seq uint64
		var err error
		if x.hdr == nil && x.block == "" {
			seq, err = p.Publish(x.subject, []byte(x.data))
		} else {
			seq, err = p.PublishMsg(&Msg{Subject: x.subject, Header: x.hdr,
				HeaderBlock: []byte(x.block), Data: []byte(x.data)})
		}
		if err != nil || seq != uint64(i+1) {
			t.Fatalf("publish %d: seq %d, %v", i, seq, err)
		}
	}
	if p.Outstanding() != 5 {
		t.Errorf("outstanding %d, want 5", p.Outstanding())
	}
	rs := e.ack()
	if len(rs) != len(msgs) {
		t.Fatalf("helper drained %d records, want %d", len(rs), len(msgs))
	}
	for i, r := range rs {
		x := msgs[i]
		wantHdr := x.block
		if x.hdr != nil {
			wantHdr = "NATS/1.0\r\nK: v\r\n\r\n"
		}
		if r.seq != uint64(i+1) || r.reason != 0 || r.subject != x.subject ||
			string(r.hdr) != wantHdr || string(r.data) != x.data {
			t.Errorf("record %d: %+v, want %+v", i, r, x)
		}
	}
	out := make([]Report, 8)
	n := p.Reports(out)
	if n != 5 {
		t.Fatalf("%d reports, want 5", n)
	}
	for i, r := range out[:n] {
		if r.Seq != uint64(i+1) || r.Status != Acked || r.Stream != "GOTEST" ||
			r.StreamSeq != uint64(i+1) || r.Reason != ReasonNone {
			t.Errorf("report %d: %+v", i, r)
		}
	}
	if p.Outstanding() != 0 || p.Reports(out) != 0 {
		t.Errorf("reports left")
	}
	// Failed and duplicate reports carry what jetwire wrote.
	p.Publish("f.a", nil)
	e.drain(Failed, ReasonJSError, 503, 10060, false)
	p.Publish("f.b", nil)
	e.drain(Acked, ReasonNone, 0, 0, true)
	if p.Flush(time.Second) != nil || p.Reports(out) != 2 {
		t.Fatalf("flush or reports")
	}
	if r := out[0]; r.Seq != 6 || r.Status != Failed || r.Reason != ReasonJSError ||
		r.Code != 503 || r.ErrCode != 10060 || r.StreamSeq != 0 {
		t.Errorf("failed report %+v", r)
	}
	if r := out[1]; r.Seq != 7 || r.Status != Acked || !r.Duplicate {
		t.Errorf("duplicate report %+v", r)
	}
}

func TestPublishRejects(t *testing.T) {
	e := startEngine(t, 1, 1, 8192, 16)
	p := openT(t, e, -1)
	for _, c := range []struct {
		subject string
		data    int
		want    error
	}{
		{"", 1, ErrInvalid}, {"a..b", 1, ErrInvalid}, {"a.*", 1, ErrInvalid},
		{"a b", 1, ErrInvalid}, {strings.Repeat("s", 513), 1, ErrInvalid},
		{"ok", 4096, ErrTooBig},              // over half the ring
		{"ok", 4096 - 24 - 2 + 1, ErrTooBig}, // 4097 B record: over 4096 = half the ring
		{"ok", 4096 - 24 - 2, nil},
	} {
		if _, err := p.Publish(c.subject, make([]byte, c.data)); err != c.want {
			t.Errorf("Publish(%.20q, %d B) = %v, want %v", c.subject, c.data, err, c.want)
		}
	}
	for _, m := range []*Msg{nil, {Subject: "a", Header: map[string][]string{"A B": {"v"}}},
		{Subject: "a", Header: map[string][]string{"A": {"v\r\n"}}},
		{Subject: "a", HeaderBlock: []byte("NATS/1.0 503\r\n\r\n")},
		{Subject: "a", Header: map[string][]string{"A": {"v"}},
			HeaderBlock: []byte("NATS/1.0\r\n\r\n")}} {
		if _, err := p.PublishMsg(m); err != ErrInvalid {
			t.Errorf("PublishMsg(%+v) = %v, want ErrInvalid", m, err)
		}
	}
	if got := e.drainQuiet(); got != 1 {
		t.Errorf("%d records stored, want 1", got)
	}
	// max_payload from the shared memory: header + data + overhead over it is refused.
	e.do("limits 100 20")
	for _, c := range []struct {
		hdr  map[string][]string
		data int
		want error
	}{
		{nil, 80, nil}, {nil, 81, ErrTooBig},
		{map[string][]string{"K": {"v"}}, 80 - 18, nil}, // "NATS/1.0\r\nK: v\r\n\r\n" = 18
		{map[string][]string{"K": {"v"}}, 80 - 17, ErrTooBig},
	} {
		if _, err := p.PublishMsg(&Msg{Subject: "mp", Header: c.hdr, Data: make([]byte, c.data)}); err != c.want {
			t.Errorf("max_payload 100: %v + %d B: %v, want %v", c.hdr, c.data, err, c.want)
		}
	}
	if got := len(e.ack()); got != 2 {
		t.Errorf("%d records stored, want the 2 accepted", got)
	}
	if p.EAgain() != 0 || p.Outstanding() != 3 {
		t.Errorf("eagain %d outstanding %d", p.EAgain(), p.Outstanding())
	}
}

// Many laps over a small ring with records of varying sizes: every record arrives intact
// and in order, wrap markers included (the C consumer validates each one).
func TestWrapAround(t *testing.T) {
	e := startEngine(t, 1, 1, 4096, 1024)
	p := openT(t, e, 0)
	rng := rand.New(rand.NewSource(7))
	out := make([]Report, 1024)
	var seq uint64
	for round := 0; round < 200; round++ {
		var want [][]byte
		for k := rng.Intn(12) + 1; k > 0; k-- {
			d := make([]byte, rng.Intn(300))
			rng.Read(d)
			s, err := p.Publish(fmt.Sprintf("wrap.%d", seq%7), d)
			if err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
			seq++
			if s != seq {
				t.Fatalf("seq %d, want %d", s, seq)
			}
			want = append(want, d)
		}
		rs := e.ack()
		if len(rs) != len(want) {
			t.Fatalf("round %d: %d records, want %d", round, len(rs), len(want))
		}
		for i, r := range rs {
			if r.reason != 0 || !bytes.Equal(r.data, want[i]) || r.seq != seq-uint64(len(want)-1-i) {
				t.Fatalf("round %d record %d: reason %d seq %d", round, i, r.reason, r.seq)
			}
		}
		if n := p.Reports(out); n != len(want) {
			t.Fatalf("round %d: %d reports", round, n)
		}
	}
	st := e.slot(0, 0)
	if st["head"] < 8*4096 || st["head"] != st["released"] {
		t.Errorf("slot after the laps: %v (want several laps, all released)", st)
	}
}

// A full ring refuses at once with ErrAgain (counted in the slot, no seq used up) and takes
// records again once jetwire released space.
func TestFullRing(t *testing.T) {
	e := startEngine(t, 1, 1, 4096, 64)
	p := openT(t, e, 0)
	data := make([]byte, 100)
	n := 0
	for ; n < 1000; n++ {
		if _, err := p.Publish("full", data); err != nil {
			if err != ErrAgain {
				t.Fatalf("publish %d: %v", n, err)
			}
			break
		}
	}
	if uint64(n) != 4096/recLen(4, 0, 100) {
		t.Errorf("ring took %d records of %d B, want %d", n, recLen(4, 0, 100), 4096/recLen(4, 0, 100))
	}
	for i := 0; i < 3; i++ {
		if _, err := p.Publish("full", data); err != ErrAgain {
			t.Fatalf("still full: %v", err)
		}
	}
	if p.EAgain() != 4 || e.slot(0, 0)["eagain"] != 4 {
		t.Errorf("eagain: producer %d, slot %v", p.EAgain(), e.slot(0, 0))
	}
	if got := e.drainQuiet(); got != n {
		t.Errorf("drained %d, want %d", got, n)
	}
	seq, err := p.Publish("full", data)
	if err != nil || seq != uint64(n+1) {
		t.Errorf("after drain: seq %d, %v; want %d", seq, err, n+1)
	}
}

// A full report ring holds records back (jetwire may not release what it cannot report);
// reading reports lets the rest through; every seq is reported exactly once.
func TestReportRingFull(t *testing.T) {
	e := startEngine(t, 1, 1, 1<<16, 16)
	p := openT(t, e, 0)
	for i := 0; i < 40; i++ {
		if _, err := p.Publish("rep", []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	if got := e.drainQuiet(); got != 16 {
		t.Errorf("first drain released %d, want 16 (report ring size)", got)
	}
	if err := p.Flush(20 * time.Millisecond); err != ErrTimeout {
		t.Errorf("Flush with reports missing: %v, want ErrTimeout", err)
	}
	seen := map[uint64]int{}
	out := make([]Report, 5)
	for round := 0; round < 20 && len(seen) < 40; round++ {
		for {
			k := p.Reports(out)
			if k == 0 {
				break
			}
			for _, r := range out[:k] {
				seen[r.Seq]++
			}
		}
		e.drainQuiet()
	}
	for s := uint64(1); s <= 40; s++ {
		if seen[s] != 1 {
			t.Errorf("seq %d reported %d times", s, seen[s])
		}
	}
	if p.Flush(time.Second) != nil || p.Outstanding() != 0 {
		t.Errorf("flush after all reports")
	}
}

// Flush buffers reports for Reports; engine stop, restart and destroy as jw_publish sees them;
// Close frees or closes the slot.
func TestLifecycle(t *testing.T) {
	e := startEngine(t, 1, 2, 8192, 64)
	p := openT(t, e, 0)
	p.Publish("a", []byte("1"))
	p.Publish("a", []byte("2"))
	e.ack()
	if err := p.Flush(time.Second); err != nil {
		t.Fatal(err)
	}
	out := make([]Report, 1)
	if p.Reports(out) != 1 || out[0].Seq != 1 || p.Reports(out) != 1 || out[0].Seq != 2 ||
		p.Reports(out) != 0 {
		t.Errorf("buffered reports wrong")
	}
	e.do("stop")
	if _, err := p.Publish("a", nil); err != ErrNotRunning {
		t.Errorf("after stop: %v, want ErrNotRunning", err)
	}
	e.do("restart")
	if seq, err := p.Publish("a", nil); err != nil || seq != 3 {
		t.Errorf("after restart: %d %v", seq, err)
	}
	// Close with a record pending: the slot is closed, and freed once it is final.
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if st := e.slot(0, 0); st["state"] != ownerClosed {
		t.Errorf("slot after Close with a pending record: %v", st)
	}
	var nilp *Producer
	if _, err := nilp.Publish("a", nil); err != ErrInvalid || nilp.Close() != ErrInvalid {
		t.Errorf("nil Producer")
	}
	if _, err := p.Publish("a", nil); err != ErrClosed || p.Close() != ErrClosed ||
		p.Reports(out) != 0 || p.Flush(0) != ErrClosed {
		t.Errorf("closed handle still works")
	}
	e.ack()
	e.do("reclaim")
	if st := e.slot(0, 0); st["state"] != ownerFree {
		t.Errorf("slot after reclaim: %v", st)
	}
	// A fresh Open takes the slot with the next generation; Close with nothing pending frees it.
	q := openT(t, e, 0)
	if _, _, gen := q.Slot(); gen != 2 {
		t.Errorf("generation %d, want 2", gen)
	}
	q.Close()
	if st := e.slot(0, 0); st["state"] != ownerFree {
		t.Errorf("slot after a clean Close: %v", st)
	}
	r := openT(t, e, 0)
	e.do("destroy")
	if _, err := r.Publish("a", nil); err != ErrClosed {
		t.Errorf("after destroy: %v, want ErrClosed", err)
	}
}

// Publish, PublishMsg and Reports allocate nothing.
func TestZeroAllocs(t *testing.T) {
	e := startEngine(t, 1, 1, 1<<22, 8192)
	p := openT(t, e, 0)
	data := make([]byte, 128)
	if a := testing.AllocsPerRun(5000, func() {
		if _, err := p.Publish("alloc.test", data); err != nil {
			t.Fatal(err)
		}
	}); a != 0 {
		t.Errorf("Publish: %v allocations per call", a)
	}
	m := &Msg{Subject: "alloc.hdr", Header: map[string][]string{"Id": {"abc"}, "K": {"1", "2"}},
		Data: data}
	if a := testing.AllocsPerRun(5000, func() {
		if _, err := p.PublishMsg(m); err != nil {
			t.Fatal(err)
		}
	}); a != 0 {
		t.Errorf("PublishMsg: %v allocations per call", a)
	}
	if err := p.prefault(); err != nil {
		t.Errorf("MADV_POPULATE_WRITE on the ring: %v", err)
	}
	e.drainQuiet()
	out := make([]Report, 64)
	p.Reports(out[:1]) // the stream name is interned on the first report
	if a := testing.AllocsPerRun(100, func() { p.Reports(out) }); a != 0 {
		t.Errorf("Reports: %v allocations per call", a)
	}
}

func BenchmarkPublish(b *testing.B) {
	e := startEngine(b, 1, 1, 1<<22, 1<<16)
	p := openT(b, e, 0)
	data := make([]byte, 128)
	out := make([]Report, 4096)
	b.ReportAllocs()
	b.SetBytes(128)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := p.Publish("bench.subject", data); err != nil {
			b.StopTimer()
			if err != ErrAgain {
				b.Fatal(err)
			}
			e.drainQuiet()
			for p.Reports(out) > 0 {
			}
			b.StartTimer()
			i--
		}
	}
	b.StopTimer()
	if a := testing.AllocsPerRun(1000, func() { p.Publish("bench.subject", data) }); a != 0 {
		b.Fatalf("Publish allocates: %v per call", a)
	}
}

// A producer in another pid namespace (a container) cannot see jetwire's pid: Open takes a
// fresh heartbeat as proof of life, and refuses a stale one (ErrNotRunning), as jw_open.
// Runs jwgopub under `unshare --pid --fork` (root).
func TestOpenFromOtherPidNamespace(t *testing.T) {
	e := startEngine(t, 1, 1, 1<<16, 64)
	pub, err := filepath.Abs(filepath.Join("..", "..", "build", "jwgopub"))
	if err != nil {
		t.Fatal(err)
	}
	if p := os.Getenv("JW_GOPUB"); p != "" {
		pub = p
	}
	run := func() (string, error) {
		out, err := exec.Command("unshare", "--pid", "--fork", pub, "-i", e.name, "-s", "pidns",
			"-n", "3").CombinedOutput()
		return string(out), err
	}
	e.do("heartbeat")
	if out, err := run(); err != nil {
		t.Fatalf("fresh heartbeat, other pid namespace: %v\n%s", err, out)
	}
	if rs := e.ack(); len(rs) != 3 || rs[0].subject != "pidns" {
		t.Errorf("records from the other pid namespace: %+v", rs)
	}
	e.do("reclaim") // jwgopub closed the slot with those records pending: now final
	e.do("heartbeat stale")
	out, err := run()
	if err == nil || !strings.Contains(out, ErrNotRunning.Error()) {
		t.Errorf("stale heartbeat: %v\n%s", err, out)
	}
	// In our own pid namespace the pid decides: a stale heartbeat does not matter.
	p := openT(t, e, 0)
	if _, err := p.Publish("pidns", nil); err != nil {
		t.Errorf("same pid namespace: %v", err)
	}
}
