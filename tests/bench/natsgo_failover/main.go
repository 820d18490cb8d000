// Command natsgo_failover is the nats.go side of jetwire's cluster failover benchmark
// (tests/bench/failover/run.sh): it publishes at a fixed rate through nats.go's
// js.PublishMsgAsync (each message with Nats-Msg-Id, as jetwire's default dedupe msgid)
// to a cluster, while the script SIGKILLs the node it is connected to, and counts the
// acked messages per 100 ms bucket. Every publish whose future fails (or that is not acked
// within --ack-timeout) is resent by this caller with the same Msg-Id — the work nats.go
// leaves to its user — and counted; a failed one after --retry-wait (250 ms, js.Publish's
// RetryWait for no-responders).
//
//	natsgo_failover --url URL[,URL...] -s SUBJECT -n COUNT --rate R [--url-file F]
//	                [--ack-timeout DUR] [--timeout SEC]
//
// --url-file: the URL it connected to is written there (the script kills that node).
// Output: one JSON object: buckets (acked per 100 ms from the first publish), failed
// (futures that errored or timed out), resent, acked (distinct), disconnects, reconnects.
// Exit 0 when every message was acked, 1 otherwise, 2 on usage or connection errors.
//
// Built in GOPATH mode against Debian's golang-github-nats-io-go-nats-dev (no network).
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
)

type out struct {
	Client      string  `json:"client"`
	Count       int     `json:"count"`
	Rate        int     `json:"rate"`
	BucketMs    int     `json:"bucket_ms"`
	Buckets     []int64 `json:"buckets"`
	Acked       int64   `json:"acked"`
	Failed      int64   `json:"failed"`
	Resent      int64   `json:"resent"`
	Disconnects int64   `json:"disconnects"`
	Reconnects  int64   `json:"reconnects"`
	Server      string  `json:"server"`
	Seconds     float64 `json:"seconds"`
}

func main() {
	urls := flag.String("url", "nats://198.18.0.1:4222", "server URLs, comma-separated")
	subj := flag.String("s", "fo.go", "subject")
	n := flag.Int("n", 60000, "messages")
	rate := flag.Int("rate", 10000, "messages per second")
	urlFile := flag.String("url-file", "", "write the connected URL here")
	ackTimeout := flag.Duration("ack-timeout", 2*time.Second, "resend after this without an ack")
	timeout := flag.Int("timeout", 120, "give up after this many seconds")
	retryWait := flag.Duration("retry-wait", 250*time.Millisecond, "wait before resending a failed publish")
	flag.Parse()

	var disc, reco int64
	nc, err := nats.Connect(*urls, nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond),
		nats.DontRandomize(),
		nats.DisconnectErrHandler(func(*nats.Conn, error) { atomic.AddInt64(&disc, 1) }),
		nats.ReconnectHandler(func(*nats.Conn) { atomic.AddInt64(&reco, 1) }))
	if err != nil {
		fmt.Fprintln(os.Stderr, "natsgo_failover: connect:", err)
		os.Exit(2)
	}
	js, err := nc.JetStream(nats.PublishAsyncMaxPending(50000))
	if err != nil {
		fmt.Fprintln(os.Stderr, "natsgo_failover: jetstream:", err)
		os.Exit(2)
	}
	if *urlFile != "" {
		_ = os.WriteFile(*urlFile, []byte(nc.ConnectedUrl()+"\n"), 0644)
	}
	payload := make([]byte, 128)
	for i := range payload {
		payload[i] = 'x'
	}
	msg := func(i int) *nats.Msg {
		p := make([]byte, 128)
		copy(p, payload)
		s := strconv.Itoa(i) + " "
		copy(p, s)
		m := nats.NewMsg(*subj)
		m.Data = p
		m.Header.Set(nats.MsgIdHdr, "fo-"+strconv.Itoa(i))
		return m
	}

	const bucket = 100 * time.Millisecond
	start := time.Now()
	var mu sync.Mutex
	buckets := make([]int64, 0, 1024)
	acked := make([]bool, *n)
	var nacked, failed, resent int64
	type pending struct {
		i    int
		f    nats.PubAckFuture
		sent time.Time
	}
	work := make(chan pending, 100000)
	retry := make(chan int, 100000)
	done := make(chan struct{})

	// one waiter per publish: an ack counts in the bucket of the moment it arrives (a single
	// in-order waiter would hold later acks back behind a lost one)
	wait := func(p pending) {
		t := time.NewTimer(time.Until(p.sent.Add(*ackTimeout)))
		defer t.Stop()
		select {
		case <-p.f.Ok():
			mu.Lock()
			if !acked[p.i] {
				acked[p.i] = true
				nacked++
				b := int(time.Since(start) / bucket)
				for len(buckets) <= b {
					buckets = append(buckets, 0)
				}
				buckets[b]++
				if nacked == int64(*n) {
					close(done)
				}
			}
			mu.Unlock()
		case <-p.f.Err():
			// as js.Publish retries no-responders: after RetryWait (250 ms)
			atomic.AddInt64(&failed, 1)
			time.Sleep(*retryWait)
			retry <- p.i
		case <-t.C:
			atomic.AddInt64(&failed, 1)
			retry <- p.i
		}
	}
	go func() {
		for p := range work {
			go wait(p)
		}
	}()

	publish := func(i int) bool {
		f, err := js.PublishMsgAsync(msg(i))
		if err != nil {
			return false
		}
		work <- pending{i, f, time.Now()}
		return true
	}
	interval := time.Second / time.Duration(*rate)
	next := time.Now()
	deadline := time.Now().Add(time.Duration(*timeout) * time.Second)
	for i := 0; i < *n && time.Now().Before(deadline); {
		select {
		case r := <-retry:
			atomic.AddInt64(&resent, 1)
			if !publish(r) {
				retry <- r
				time.Sleep(10 * time.Millisecond)
			}
			continue
		default:
		}
		if d := time.Until(next); d > 0 {
			time.Sleep(d)
		}
		next = next.Add(interval)
		if publish(i) {
			i++
		} else {
			time.Sleep(10 * time.Millisecond)
		}
	}
	for {
		select {
		case <-done:
			goto finished
		case r := <-retry:
			atomic.AddInt64(&resent, 1)
			if !publish(r) {
				time.Sleep(10 * time.Millisecond)
				retry <- r
			}
		case <-time.After(time.Until(deadline)):
			goto finished
		}
	}
finished:
	mu.Lock()
	o := out{Client: "nats.go " + nats.Version + " js.PublishMsgAsync + MsgId", Count: *n,
		Rate: *rate, BucketMs: 100, Buckets: buckets, Acked: nacked,
		Failed: atomic.LoadInt64(&failed), Resent: atomic.LoadInt64(&resent),
		Disconnects: atomic.LoadInt64(&disc), Reconnects: atomic.LoadInt64(&reco),
		Server: strings.TrimSpace(nc.ConnectedUrl()), Seconds: time.Since(start).Seconds()}
	mu.Unlock()
	_ = json.NewEncoder(os.Stdout).Encode(o)
	nc.Close()
	if o.Acked != int64(*n) {
		os.Exit(1)
	}
}
