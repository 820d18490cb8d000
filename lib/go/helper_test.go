package jetwire

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
)

// The tests run the Go producer against the real C consumer code of lib/shm, driven through
// build/tests/go/jwshmhelper (tests/go/jwshmhelper.c), and compare the Go layout constants
// with build/tests/go/jwlayout. Both are built by `make tests` (target go-tools); the paths
// may be overridden with JW_SHM_HELPER and JW_LAYOUT_TOOL.

func toolPath(t testing.TB, env, name string) string {
	if p := os.Getenv(env); p != "" {
		return p
	}
	p, err := filepath.Abs(filepath.Join("..", "..", "build", "tests", "go", name))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("%s missing (build it with `make go-tools` at the top): %v", p, err)
	}
	return p
}

var instSeq int32

// engine is one jwshmhelper process serving a fresh instance.
type engine struct {
	t    testing.TB
	name string
	cmd  *exec.Cmd
	in   io.WriteCloser
	out  *bufio.Reader
	pid  int
}

// rec is one record the helper drained.
type rec struct {
	tx, idx int
	seq     uint64
	reason  int
	subject string
	hdr     []byte
	data    []byte
}

func startEngine(t testing.TB, nTX, slots, ring, reports int) *engine {
	name := fmt.Sprintf("gotest%d-%d", os.Getpid(), atomic.AddInt32(&instSeq, 1))
	cmd := exec.Command(toolPath(t, "JW_SHM_HELPER", "jwshmhelper"), name, strconv.Itoa(nTX),
		strconv.Itoa(slots), strconv.Itoa(ring), strconv.Itoa(reports))
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	outp, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	e := &engine{t: t, name: name, cmd: cmd, in: in, out: bufio.NewReaderSize(outp, 1<<20)}
	line := e.line()
	if _, err := fmt.Sscanf(line, "ready %d", &e.pid); err != nil {
		t.Fatalf("helper: %q", line)
	}
	t.Cleanup(e.quit)
	return e
}

func (e *engine) line() string {
	l, err := e.out.ReadString('\n')
	if err != nil {
		e.t.Fatalf("helper: %v", err)
	}
	return strings.TrimSuffix(l, "\n")
}

// do sends one command and returns the reply lines; the last starts with "ok".
func (e *engine) do(c string) []string {
	e.t.Helper()
	if _, err := io.WriteString(e.in, c+"\n"); err != nil {
		e.t.Fatalf("helper %q: %v", c, err)
	}
	var ls []string
	for {
		l := e.line()
		ls = append(ls, l)
		if strings.HasPrefix(l, "ok") {
			return ls
		}
		if strings.HasPrefix(l, "err") {
			e.t.Fatalf("helper %q: %s", c, l)
		}
	}
}

func (e *engine) quit() {
	if e.cmd == nil {
		return
	}
	io.WriteString(e.in, "quit\n")
	e.in.Close()
	e.cmd.Wait()
	e.cmd = nil
	os.Remove(shmNamePrefix + e.name)
}

func unhexField(t testing.TB, s string) []byte {
	if s == "-" {
		return nil
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// drain has the helper consume every record with the given outcome; returns the records.
func (e *engine) drain(status Status, reason Reason, code, errCode int, dup bool) []rec {
	e.t.Helper()
	d := 0
	if dup {
		d = 1
	}
	ls := e.do(fmt.Sprintf("drain %d %d %d %d %d", status, reason, code, errCode, d))
	var rs []rec
	for _, l := range ls[:len(ls)-1] {
		f := strings.Fields(l)
		if len(f) != 8 || f[0] != "rec" {
			e.t.Fatalf("helper: %q", l)
		}
		var r rec
		r.tx, _ = strconv.Atoi(f[1])
		r.idx, _ = strconv.Atoi(f[2])
		r.seq, _ = strconv.ParseUint(f[3], 10, 64)
		r.reason, _ = strconv.Atoi(f[4])
		r.subject = f[5]
		r.hdr = unhexField(e.t, f[6])
		r.data = unhexField(e.t, f[7])
		rs = append(rs, r)
	}
	return rs
}

func (e *engine) ack() []rec { return e.drain(Acked, ReasonNone, 0, 0, false) }

// drainQuiet consumes every record (acked) and returns how many.
func (e *engine) drainQuiet() int {
	ls := e.do("drain 1 0 0 0 0 q")
	n, _ := strconv.Atoi(strings.TrimPrefix(ls[len(ls)-1], "ok "))
	return n
}

// slot returns the helper's view of a slot: state, pid, gen, head, released, eagain, ...
func (e *engine) slot(tx, idx int) map[string]int64 {
	e.t.Helper()
	ls := e.do(fmt.Sprintf("slot %d %d", tx, idx))
	f := strings.Fields(ls[len(ls)-1])[1:]
	m := map[string]int64{}
	for i := 0; i+1 < len(f); i += 2 {
		v, _ := strconv.ParseInt(f[i+1], 10, 64)
		m[f[i]] = v
	}
	return m
}

// cCheck runs nats_subject_check ("subject") or nats_hdr_check ("header") on b.
func (e *engine) cCheck(kind string, b []byte) int {
	e.t.Helper()
	h := "-"
	if len(b) > 0 {
		h = hex.EncodeToString(b)
	}
	ls := e.do(kind + " " + h)
	rc, _ := strconv.Atoi(strings.TrimPrefix(ls[len(ls)-1], "ok "))
	return rc
}

func openT(t testing.TB, e *engine, tx int) *Producer {
	t.Helper()
	p, err := Open(Options{Instance: e.name, TX: tx})
	if err != nil {
		t.Fatalf("Open(%s): %v", e.name, err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}
