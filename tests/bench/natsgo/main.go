// Command natsgo is the nats.go reference client of jetwire's benchmarks: the reference
// burst (by default 5 subjects x 10,000 messages of 128 bytes) through nats.go's JetStream
// js.PublishAsync, measured the way jwgopub and bench_engine measure jetwire.
//
//	natsgo [--url URL] [-s SUBJECT] [--subjects K] [-n COUNT] [-z SIZE] [--msgid]
//	       [--max-pending N] [--stall-wait DUR] [--timeout SEC] [--tag T]
//	       [--create STREAM] [--json]
//
// Message i (from 0) goes to SUBJECT.<i mod K> (SUBJECT when K is 0); its payload is the
// decimal i, a space, then filler up to SIZE bytes (build/jwjs check reads that back).
// --msgid: each message carries Nats-Msg-Id "T-i" (js.PublishMsgAsync with nats.MsgId, what a
// caller does to get deduplication; the call then includes building the message).
// --max-pending: nats.PublishAsyncMaxPending (default 50,000); --stall-wait:
// nats.StallWait per call (nats.go's default 200 ms; passed only when another value is asked). A call that returns an error (the
// stall wait ran out) counts as refused and the message is retried.
// --create STREAM: (re)create a memory stream STREAM on SUBJECT.> first (deleted if present).
//
// Measured: call latency of every accepted call (ns; TSC read around the call, timer included);
// submit time (first call to the return of the last); all-acked time (first call to the
// last ack seen); per message publish->ack latency (return of its call to the moment a
// goroutine waiting on the futures in order saw its ack; µs); allocations per call
// (runtime.MemStats.Mallocs over the publishing loop / accepted calls).
// Output: one JSON object (--json) or a few lines. Exit 0 when every message was acked,
// 1 when some failed or are missing, 2 on usage or connection errors.
//
// Built in GOPATH mode against Debian's golang-github-nats-io-go-nats-dev (no network):
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o build/bench/natsgo ./bench/natsgo
//
// (the Makefile's go-bench target, part of `make benches`).
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
)

type result struct {
	Client        string           `json:"client"`
	Version       string           `json:"version"`
	Tag           string           `json:"tag"`
	MsgID         bool             `json:"msgid"`
	MaxPending    int              `json:"max_pending"`
	Count         int              `json:"count"`
	Subjects      int              `json:"subjects"`
	Size          int              `json:"size"`
	Published     int              `json:"published"`
	Refused       int              `json:"refused"`
	CallNs        map[string]int64 `json:"call_ns"`
	SubmitMs      float64          `json:"submit_ms"`
	AllAckedMs    float64          `json:"all_acked_ms"`
	E2eUs         map[string]int64 `json:"e2e_us"`
	SubmitS       float64          `json:"submit_s"`
	AllAckedS     float64          `json:"all_acked_s"`
	AckUs         map[string]int64 `json:"ack_us"`
	AckedRate     float64          `json:"acked_rate"`
	AllocsPerCall float64          `json:"allocs_per_call"`
	Acked         int              `json:"acked"`
	Duplicates    int              `json:"duplicates"`
	Failed        int              `json:"failed"`
	Missing       int              `json:"missing"`
	Error         string           `json:"error"`
	Status        int              `json:"status"`
}

func main() {
	url := flag.String("url", "nats://198.18.0.1:4222", "NATS server URL")
	subj := flag.String("s", "bench", "subject (prefix with --subjects)")
	nsub := flag.Int("subjects", 5, "spread over SUBJECT.0 .. SUBJECT.<K-1> (0: SUBJECT only)")
	count := flag.Int("n", 50000, "messages in all")
	size := flag.Int("z", 128, "payload bytes")
	msgid := flag.Bool("msgid", false, "Nats-Msg-Id T-i on every message")
	maxPending := flag.Int("max-pending", 50000, "nats.PublishAsyncMaxPending")
	stall := flag.Duration("stall-wait", 200*time.Millisecond, "nats.PublishAsyncStallWait")
	timeout := flag.Float64("timeout", 60, "seconds to wait for the acks")
	tag := flag.String("tag", strconv.Itoa(os.Getpid()), "Nats-Msg-Id prefix")
	create := flag.String("create", "", "(re)create memory stream NAME on SUBJECT.> first")
	asJSON := flag.Bool("json", false, "print one JSON object")
	flag.Parse()
	res := result{Client: "nats.go js.PublishAsync", Version: nats.Version, Tag: *tag,
		MsgID: *msgid, MaxPending: *maxPending, Count: *count, Subjects: *nsub, Size: *size}
	out := func() {
		if *asJSON {
			b, _ := json.Marshal(res)
			fmt.Println(string(b))
		} else {
			fmt.Printf("natsgo: %s %s: %d of %d published in %.3f ms, all acked after %.3f ms, %d refused\n",
				res.Client, res.Version, res.Published, res.Count, res.SubmitMs, res.AllAckedMs, res.Refused)
			fmt.Printf("call latency ns: p50 %d  p90 %d  p99 %d  p99.9 %d  max %d  mean %d\n",
				res.CallNs["p50"], res.CallNs["p90"], res.CallNs["p99"], res.CallNs["p999"],
				res.CallNs["max"], res.CallNs["mean"])
			fmt.Printf("allocations per call: %.2f\n", res.AllocsPerCall)
			fmt.Printf("publish->ack us: p50 %d  p99 %d  max %d\n", res.E2eUs["p50"],
				res.E2eUs["p99"], res.E2eUs["max"])
			fmt.Printf("acks: %d acked (%d duplicate), %d failed, %d missing%s\n", res.Acked,
				res.Duplicates, res.Failed, res.Missing, map[bool]string{true: "; " + res.Error, false: ""}[res.Error != ""])
		}
		os.Exit(res.Status)
	}
	if *count < 0 || *size < 0 || *nsub < 0 || flag.NArg() != 0 {
		flag.Usage()
		os.Exit(2)
	}
	nc, err := nats.Connect(*url)
	if err != nil {
		res.Error, res.Status = "connect: "+err.Error(), 2
		out()
	}
	defer nc.Close()
	js, err := nc.JetStream(nats.PublishAsyncMaxPending(*maxPending))
	if err != nil {
		res.Error, res.Status = "jetstream: "+err.Error(), 2
		out()
	}
	if *create != "" {
		_ = js.DeleteStream(*create)
		if _, err := js.AddStream(&nats.StreamConfig{Name: *create, Subjects: []string{*subj + ".>"},
			Storage: nats.MemoryStorage}); err != nil {
			res.Error, res.Status = "add stream: "+err.Error(), 2
			out()
		}
	}
	subjects := []string{*subj}
	if *nsub > 0 {
		subjects = make([]string, *nsub)
		for k := range subjects {
			subjects[k] = *subj + "." + strconv.Itoa(k)
		}
	}
	var popts []nats.PubOpt // nats.go 1.22: the stall wait is a per-call option
	if *stall != 200*time.Millisecond {
		popts = append(popts, nats.StallWait(*stall))
	}
	n := *count
	payloads := make([][]byte, n) // built before the clock starts, like jwgopub's buffer
	for i := range payloads {
		b := strconv.AppendUint(make([]byte, 0, *size+24), uint64(i), 10)
		b = append(b, ' ')
		for len(b) < *size {
			b = append(b, byte('a'+len(b)%26))
		}
		payloads[i] = b
	}
	type pending struct {
		i int
		f nats.PubAckFuture
	}
	ch := make(chan pending, n)
	callNs := make([]int64, 0, n)
	retAt := make([]int64, n)
	ackAt := make([]int64, n)
	waited := make(chan struct{})
	go func() {
		defer close(waited)
		dl := time.After(time.Duration(*timeout * 1e9))
		for pf := range ch {
			select {
			case a := <-pf.f.Ok():
				ackAt[pf.i] = nanotime()
				res.Acked++
				if a.Duplicate {
					res.Duplicates++
				}
			case <-pf.f.Err():
				ackAt[pf.i] = nanotime()
				res.Failed++
			case <-dl:
				return
			}
		}
	}()
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	t0 := nanotime()
	tk0 := cputicks()
	for i := 0; i < n; i++ {
		s := subjects[i%len(subjects)]
		for {
			var f nats.PubAckFuture
			a := cputicks()
			if *msgid {
				m := nats.NewMsg(s)
				m.Data = payloads[i]
				f, err = js.PublishMsgAsync(m, append(popts, nats.MsgId(*tag+"-"+strconv.Itoa(i)))...)
			} else {
				f, err = js.PublishAsync(s, payloads[i], popts...)
			}
			z := cputicks()
			if err == nil {
				callNs = append(callNs, z-a)
				retAt[i] = nanotime()
				ch <- pending{i, f}
				break
			}
			res.Refused++
			if res.Refused > 1000 {
				res.Error, res.Status = "publish: "+err.Error(), 2
				out()
			}
		}
	}
	tickNs := float64(nanotime()-t0) / float64(cputicks()-tk0)
	t1 := nanotime()
	runtime.ReadMemStats(&ms1)
	close(ch)
	res.Published = len(callNs)
	<-waited
	var last int64
	e2e := make([]int64, 0, n)
	for i := 0; i < n; i++ {
		if ackAt[i] != 0 {
			e2e = append(e2e, (ackAt[i]-retAt[i])/1000)
			if ackAt[i] > last {
				last = ackAt[i]
			}
		}
	}
	res.Missing = res.Published - res.Acked - res.Failed
	res.CallNs, res.E2eUs = latencies(callNs, tickNs, e2e)
	res.AckUs = res.E2eUs
	res.SubmitMs = float64(t1-t0) / 1e6
	res.SubmitS = res.SubmitMs / 1e3
	if last > 0 {
		res.AllAckedMs = float64(last-t0) / 1e6
		res.AllAckedS = res.AllAckedMs / 1e3
		res.AckedRate = float64(res.Acked) / res.AllAckedS
	}
	if res.Published > 0 {
		res.AllocsPerCall = float64(ms1.Mallocs-ms0.Mallocs) / float64(res.Published)
	}
	if res.Failed > 0 || res.Missing > 0 {
		res.Status = 1
	}
	out()
}
