package jetwire

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// Many goroutines publish through one AsyncPublisher while the engine drains: every Future
// fires exactly once, Ok for acked messages, Err with the report for failed ones.
func TestAsyncPublisher(t *testing.T) {
	e := startEngine(t, 1, 1, 1<<16, 256)
	a, err := NewAsyncPublisher(AsyncOptions{Options: Options{Instance: e.name, TX: 0},
		StallWait: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	const G, N = 4, 3000
	var wg sync.WaitGroup
	futs := make([][]*Future, G)
	stopDrain := make(chan struct{})
	drained := make(chan int)
	go func() { // the engine side, acking everything (the test's goroutine talks to it)
		total := 0
		for {
			select {
			case <-stopDrain:
				drained <- total + e.drainQuiet()
				return
			default:
				total += e.drainQuiet()
				time.Sleep(200 * time.Microsecond)
			}
		}
	}()
	for g := 0; g < G; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < N; i++ {
				f, err := a.PublishAsync(fmt.Sprintf("async.%d", g), make([]byte, 100))
				if err != nil {
					t.Errorf("goroutine %d publish %d: %v", g, i, err)
					return
				}
				futs[g] = append(futs[g], f)
			}
		}(g)
	}
	wg.Wait()
	select {
	case <-a.PublishAsyncComplete():
	case <-time.After(10 * time.Second):
		t.Fatalf("not complete: %d pending", a.PublishAsyncPending())
	}
	close(stopDrain)
	if n := <-drained; n != G*N {
		t.Errorf("engine saw %d records, want %d", n, G*N)
	}
	seqs := map[uint64]bool{}
	for g := range futs {
		for _, f := range futs[g] {
			select {
			case <-f.Ok():
			default:
				t.Fatalf("future %d not ok", f.Seq())
			}
			select {
			case err := <-f.Err():
				t.Fatalf("future %d ok and failed: %v", f.Seq(), err)
			default:
			}
			if r := f.Report(); r.Seq != f.Seq() || r.Status != Acked || seqs[f.Seq()] {
				t.Fatalf("future %d: report %+v", f.Seq(), r)
			}
			seqs[f.Seq()] = true
		}
	}
	if len(seqs) != G*N || a.PublishAsyncPending() != 0 {
		t.Errorf("%d distinct seqs, pending %d", len(seqs), a.PublishAsyncPending())
	}
	// A failed message: its Future's Err carries the report.
	f, err := a.PublishAsync("async.fail", nil)
	if err != nil {
		t.Fatal(err)
	}
	e.drain(Failed, ReasonNoStream, 503, 0, false)
	select {
	case err := <-f.Err():
		var pe *PublishError
		if !errors.As(err, &pe) || pe.Report.Reason != ReasonNoStream || pe.Report.Code != 503 {
			t.Errorf("failed future: %v", err)
		}
	case <-f.Ok():
		t.Errorf("failed message resolved ok")
	case <-time.After(5 * time.Second):
		t.Fatalf("failed future never fired")
	}
	// Close fails what is pending with ErrClosed; later calls get ErrClosed.
	f, _ = a.PublishAsync("async.pending", nil)
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-f.Err(); err != ErrClosed {
		t.Errorf("pending future after Close: %v", err)
	}
	if _, err := a.PublishAsync("x", nil); err != ErrClosed || a.Close() != ErrClosed {
		t.Errorf("closed publisher still works")
	}
}

// Without StallWait a full ring is ErrAgain at once; with it, ErrTimeout after the wait.
func TestAsyncFullRing(t *testing.T) {
	e := startEngine(t, 1, 1, 4096, 64)
	a, err := NewAsyncPublisher(AsyncOptions{Options: Options{Instance: e.name, TX: 0}})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	var err2 error
	n := 0
	for ; n < 100; n++ {
		if _, err2 = a.PublishAsync("full", make([]byte, 200)); err2 != nil {
			break
		}
	}
	if err2 != ErrAgain || n == 0 || a.PublishAsyncPending() != n {
		t.Fatalf("after %d: %v, pending %d", n, err2, a.PublishAsyncPending())
	}
	b, err := NewAsyncPublisher(AsyncOptions{Options: Options{Instance: e.name, TX: 0},
		StallWait: 30 * time.Millisecond})
	if !errors.Is(err, ErrBusy) || b != nil {
		t.Fatalf("second publisher on a one-slot instance: %v", err)
	}
	a.stallWait = 30 * time.Millisecond
	start := time.Now()
	if _, err := a.PublishAsync("full", make([]byte, 200)); err != ErrTimeout {
		t.Errorf("with StallWait: %v, want ErrTimeout", err)
	}
	if time.Since(start) < 30*time.Millisecond {
		t.Errorf("StallWait not waited")
	}
	e.drainQuiet()
	select {
	case <-a.PublishAsyncComplete():
	case <-time.After(5 * time.Second):
		t.Fatalf("still pending: %d", a.PublishAsyncPending())
	}
}

// PublishAsync allocates nothing but a 256th of a block of Futures (their channels are made
// when asked for).
func TestAsyncAllocs(t *testing.T) {
	e := startEngine(t, 1, 1, 1<<22, 1<<14)
	a, err := NewAsyncPublisher(AsyncOptions{Options: Options{Instance: e.name, TX: 0}})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	data := make([]byte, 128)
	if n := testing.AllocsPerRun(2000, func() {
		if _, err := a.PublishAsync("alloc.async", data); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("PublishAsync: %v allocations per call, want 0 (a block every 256 calls)", n)
	}
}

// A destroyed instance: pending futures fail with ErrClosed, no report will come.
func TestAsyncDestroyed(t *testing.T) {
	e := startEngine(t, 1, 1, 1<<16, 64)
	a, err := NewAsyncPublisher(AsyncOptions{Options: Options{Instance: e.name, TX: 0}})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	f, err := a.PublishAsync("gone", nil)
	if err != nil {
		t.Fatal(err)
	}
	e.do("destroy")
	select {
	case err := <-f.Err():
		if err != ErrClosed {
			t.Errorf("future of a destroyed instance: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("future never fired")
	}
	if _, err := a.PublishAsync("gone", nil); err != ErrClosed || a.PublishAsyncPending() != 0 {
		t.Errorf("after destroy: %v, pending %d", err, a.PublishAsyncPending())
	}
}
