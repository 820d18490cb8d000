package jetwire

import (
	"sync"
	"time"
)

// futureBlock Futures are allocated at once: PublishAsync's allocation per call is a
// futureBlock-th of one (a block stays in memory while one of its Futures is referenced).
const futureBlock = 256

// newBlock allocates a block of Futures and touches every page of it, so that the page
// faults of fresh heap memory are paid here (in the report goroutine), not by the
// PublishAsync calls that hand the Futures out.
func newBlock() []Future {
	b := make([]Future, futureBlock)
	for i := range b {
		b[i].seq = 0
	}
	return b
}

// AsyncOptions of NewAsyncPublisher.
type AsyncOptions struct {
	Options
	// StallWait: how long PublishAsync waits for ring space when the ring is full. 0 (the
	// default) never waits: PublishAsync returns ErrAgain at once. With a wait, a full ring
	// is retried (16 µs growing to 1 ms between tries) until StallWait, then ErrTimeout;
	// nats.go's StallWait behaves alike, but its stall is the normal case of a burst over
	// MaxPending, here only of a ring full of unacknowledged messages.
	StallWait time.Duration
}

// AsyncPublisher is a Producer shared by many goroutines, with a Future per message,
// resolved from the delivery reports: the shape of nats.go's JetStream PublishAsync.
//
//	| call                    | may run concurrently with                 |
//	|-------------------------|-------------------------------------------|
//	| PublishAsync(Msg)       | every call but Close                      |
//	| PublishAsyncPending     | every call but Close                      |
//	| PublishAsyncComplete    | every call but Close                      |
//	| Close                   | nothing (call it once, after the others)  |
//	| Future's methods        | everything, Close included                |
//
// Publishing goroutines take a mutex around the Producer's Publish (a few tens of ns); one
// background goroutine reads the reports (Producer.Reports, which may run beside Publish),
// takes their futures out of the pending window under the same mutex, so every seq it sees
// already has its Future, and fires them after releasing it. Reports for unknown or
// already resolved seqs (a repeat after a jetwire restart) are ignored.
type AsyncPublisher struct {
	p         *Producer
	stallWait time.Duration

	mu       sync.Mutex
	futs     []*Future // futures of seqs base, base+1, ...; nil once resolved
	slab     []Future  // Futures not handed out yet (allocated futureBlock at a time)
	spare    []Future  // the next block, made and touched by the report goroutine
	fh       int       // index of seq base in futs
	base     uint64
	pending  int
	complete []chan struct{} // PublishAsyncComplete channels to close when pending is 0
	closed   bool

	wake chan struct{} // cap 1: the poller sleeps on it while nothing is pending
	stop chan struct{}
	done chan struct{}
}

// Future is the outcome of one PublishAsync: exactly one of Ok and Err fires.
// Its channels are made when Ok or Err is first called (a Future whose outcome is known by
// then gets an already closed / already filled one), so that PublishAsync itself allocates
// nothing but a share of a block of Futures.
type Future struct {
	seq    uint64
	mu     sync.Mutex // guards the fields below (the Future's own: never a publisher's wait)
	state  uint8      // futPending, futOk, futFailed
	ok     chan struct{}
	err    chan error
	failed error
	report Report
}

const (
	futPending = iota
	futOk
	futFailed
)

// closedChan is the Ok channel of Futures stored before Ok was called.
var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// Seq is the message's producer sequence number (Report.Seq).
func (f *Future) Seq() uint64 { return f.seq }

// Ok is closed when the message is stored (acked, or dup-risk: stored, maybe twice).
func (f *Future) Ok() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ok == nil {
		if f.state == futOk {
			return closedChan
		}
		f.ok = make(chan struct{})
	}
	return f.ok
}

// Err receives the error when the message is not stored: a *PublishError carrying the
// report, or ErrClosed when the publisher was closed (or the instance destroyed) before the
// report came.
func (f *Future) Err() <-chan error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err == nil {
		f.err = make(chan error, 1)
		if f.state == futFailed {
			f.err <- f.failed
		}
	}
	return f.err
}

// Report is the delivery report, valid once Ok or Err has fired.
func (f *Future) Report() Report {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.report
}

func (f *Future) succeed() {
	f.mu.Lock()
	f.state = futOk
	if f.ok != nil {
		close(f.ok)
	}
	f.mu.Unlock()
}

// fail records the error of f and delivers it if Err was called.
func (f *Future) fail(err error) {
	f.mu.Lock()
	f.state, f.failed = futFailed, err
	if f.err != nil {
		f.err <- err
	}
	f.mu.Unlock()
}

// NewAsyncPublisher opens a Producer (Open's rules and errors) and starts the goroutine that
// reads its reports.
func NewAsyncPublisher(o AsyncOptions) (*AsyncPublisher, error) {
	p, err := Open(o.Options)
	if err != nil {
		return nil, err
	}
	a := &AsyncPublisher{p: p, stallWait: o.StallWait, base: 1,
		wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go a.poll()
	return a, nil
}

// PublishAsync publishes subject/data (Producer.Publish's rules) and returns its Future.
// Returns ErrAgain when the ring is full (nothing queued) unless StallWait says to wait,
// ErrClosed after Close, or Publish's other errors. data is copied before it returns.
func (a *AsyncPublisher) PublishAsync(subject string, data []byte) (*Future, error) {
	return a.publish(subject, nil, data)
}

// PublishMsgAsync is PublishAsync for a Msg (Producer.PublishMsg's rules).
func (a *AsyncPublisher) PublishMsgAsync(m *Msg) (*Future, error) {
	if m == nil {
		return nil, ErrInvalid
	}
	return a.publish("", m, nil)
}

func (a *AsyncPublisher) publish(subject string, m *Msg, data []byte) (*Future, error) {
	var start time.Time
	for step := uint(0); ; step++ {
		f, err := a.try(subject, m, data)
		if err != ErrAgain || a.stallWait <= 0 {
			return f, err
		}
		if step == 0 {
			start = time.Now()
		} else if time.Since(start) >= a.stallWait {
			return nil, ErrTimeout
		}
		backoff(step)
	}
}

func (a *AsyncPublisher) try(subject string, m *Msg, data []byte) (*Future, error) {
	var seq uint64
	var err error
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return nil, ErrClosed
	}
	if m != nil {
		seq, err = a.p.PublishMsg(m)
	} else {
		seq, err = a.p.Publish(subject, data)
	}
	if err != nil {
		a.mu.Unlock()
		return nil, err
	}
	if len(a.slab) == 0 {
		if a.spare != nil {
			a.slab, a.spare = a.spare, nil
		} else {
			a.slab = newBlock()
		}
	}
	f := &a.slab[0]
	a.slab = a.slab[1:]
	f.seq = seq
	a.futs = append(a.futs, f)
	a.pending++
	first := a.pending == 1
	a.mu.Unlock()
	if first {
		select {
		case a.wake <- struct{}{}:
		default:
		}
	}
	return f, nil
}

// PublishAsyncPending is the number of messages whose Future has not fired yet.
func (a *AsyncPublisher) PublishAsyncPending() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.pending
}

// PublishAsyncComplete returns a channel closed once no message is pending (at once when
// none is now), as nats.go's PublishAsyncComplete.
func (a *AsyncPublisher) PublishAsyncComplete() <-chan struct{} {
	c := make(chan struct{})
	a.mu.Lock()
	if a.pending == 0 {
		close(c)
	} else {
		a.complete = append(a.complete, c)
	}
	a.mu.Unlock()
	return c
}

// take moves the futures of rs out of the pending window: failed ones fire at once, stored
// ones go into fs (resolve fires them later, without the mutex; pending counts them until
// then). Called with a.mu held; keeps the hold short: a few ns per report.
func (a *AsyncPublisher) take(rs []Report, fs []*Future) []*Future {
	for i := range rs {
		r := &rs[i]
		if r.Seq < a.base || r.Seq-a.base >= uint64(len(a.futs)-a.fh) {
			continue // a repeated report, or none of ours
		}
		k := a.fh + int(r.Seq-a.base)
		f := a.futs[k]
		if f == nil {
			continue
		}
		a.futs[k] = nil
		f.mu.Lock()
		f.report = *r
		f.mu.Unlock()
		if r.Status == Failed {
			f.fail(&PublishError{Report: *r})
			a.pending--
			continue
		}
		fs = append(fs, f)
	}
	for a.fh < len(a.futs) && a.futs[a.fh] == nil {
		a.fh++
		a.base++
	}
	if a.fh == len(a.futs) {
		a.futs, a.fh = a.futs[:0], 0
	} else if a.fh >= 1024 && 2*a.fh >= len(a.futs) {
		n := copy(a.futs, a.futs[a.fh:])
		for j := n; j < len(a.futs); j++ {
			a.futs[j] = nil
		}
		a.futs, a.fh = a.futs[:n], 0
	}
	return fs
}

// resolve fires the stored futures taken from the window (no lock needed: each is fired
// once).
func resolve(fs []*Future) {
	for i, f := range fs {
		f.succeed()
		fs[i] = nil
	}
}

// makeSpare prepares the next block of Futures (outside the mutex).
func (a *AsyncPublisher) makeSpare() {
	b := newBlock()
	a.mu.Lock()
	if a.spare == nil {
		a.spare = b
	}
	a.mu.Unlock()
}

func (a *AsyncPublisher) poll() {
	defer close(a.done)
	buf := make([]Report, 256)
	fs := make([]*Future, 0, len(buf))
	var done []chan struct{}
	step := uint(0)
	for {
		n := a.p.Reports(buf) // beside Publish: allowed (Producer's table)
		if n > 0 {
			a.mu.Lock()
			fs = a.take(buf[:n], fs[:0])
			a.mu.Unlock()
			resolve(fs)
			a.mu.Lock()
			a.pending -= len(fs)
			if a.pending == 0 && len(a.complete) > 0 {
				done, a.complete = a.complete, nil
			}
			needSpare := a.spare == nil
			a.mu.Unlock()
			if needSpare {
				a.makeSpare()
			}
			for _, c := range done {
				close(c)
			}
			done = nil
			step = 0
			continue
		}
		a.mu.Lock()
		idle, needSpare := a.pending == 0, a.spare == nil
		a.mu.Unlock()
		if needSpare {
			a.makeSpare()
		}
		if idle {
			select {
			case <-a.wake:
			case <-a.stop:
				return
			}
			continue
		}
		select {
		case <-a.stop:
			return
		default:
		}
		if step > 6 && a.p.stillUsable() != nil {
			// Instance destroyed (or slot taken back): no report will come.
			a.mu.Lock()
			a.failAll(ErrClosed)
			a.mu.Unlock()
			continue
		}
		backoff(step)
		step++
	}
}

// When the instance is destroyed (or the slot taken back), the report goroutine fails the
// pending futures with ErrClosed, since no report will come for them.
//
// Close stops the report goroutine, fails every pending Future with ErrClosed and closes
// the Producer (messages already published are still delivered by jetwire). To see every
// outcome, wait on PublishAsyncComplete first.
func (a *AsyncPublisher) Close() error {
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return ErrClosed
	}
	a.closed = true
	a.mu.Unlock()
	close(a.stop)
	<-a.done
	a.mu.Lock()
	defer a.mu.Unlock()
	a.failAll(ErrClosed)
	return a.p.Close()
}

// failAll fails every pending Future with err. Called with a.mu held.
func (a *AsyncPublisher) failAll(err error) {
	for i := a.fh; i < len(a.futs); i++ {
		if f := a.futs[i]; f != nil {
			f.fail(err)
		}
	}
	a.base += uint64(len(a.futs) - a.fh)
	a.futs, a.fh, a.pending = a.futs[:0], 0, 0
	for _, c := range a.complete {
		close(c)
	}
	a.complete = nil
}
