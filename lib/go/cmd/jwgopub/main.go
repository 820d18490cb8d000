// Command jwgopub publishes messages through a jetwire instance with the Go producer
// package (the Go counterpart of jwpub, for tests and benchmarks):
//
//	jwgopub -s SUBJECT [-n COUNT] [-z SIZE] [-subjects K] [-i INSTANCE] [-tx N]
//	        [-H 'Name: value']... [-async] [-stall-wait DUR] [-wait] [-timeout SEC]
//	        [-accepted FILE] [-json]
//
// Message i (from 0) goes to SUBJECT (or SUBJECT.<i mod K>); its payload is the decimal i,
// a space, then filler up to SIZE bytes (the format build/jwjs check reads back). -H adds a
// header (a Msg.Header map: PublishMsg / PublishMsgAsync instead of Publish / PublishAsync).
// Publish mode (default): Producer.Publish in one goroutine, reports read every 64 calls and
// whenever the ring is full (a full ring is retried and counted as EAGAIN). -async:
// AsyncPublisher.PublishAsync, a second goroutine waits on the futures in order.
// -accepted FILE: an 8-byte little-endian counter in FILE (mapped shared) holds, after each
// accepted message, how many were accepted so far; it survives a SIGKILL of this process.
// Prints published count, call latency p50/p90/p99/p99.9/max (ns; TSC around the call, timer
// included), submit
// time, time until every report (all_acked_ms), publish->report latency p50/p99/max (µs,
// from the return of the message's call to the moment its report was seen),
// allocations per call (runtime.MemStats.Mallocs over the publishing loop / calls) and the
// reports; -json: one JSON object. Exit status: 0; 1 with -wait when a report failed or is
// missing; 2 on usage or open errors.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"jetwire"
)

type headerFlags map[string][]string

func (h headerFlags) String() string { return fmt.Sprint(map[string][]string(h)) }
func (h headerFlags) Set(v string) error {
	i := strings.Index(v, ": ")
	if i <= 0 {
		return errors.New("want 'Name: value'")
	}
	h[v[:i]] = append(h[v[:i]], v[i+2:])
	return nil
}

type result struct {
	Mode          string           `json:"mode"`
	Instance      string           `json:"instance"`
	Subject       string           `json:"subject"`
	Count         int              `json:"count"`
	Size          int              `json:"size"`
	Subjects      int              `json:"subjects"`
	Published     int              `json:"published"`
	EAgain        uint64           `json:"eagain"`
	SubmitMs      float64          `json:"submit_ms"`
	AllAckedMs    float64          `json:"all_acked_ms"`
	CallNs        map[string]int64 `json:"call_ns"`
	E2eUs         map[string]int64 `json:"e2e_us"`
	AllocsPerCall float64          `json:"allocs_per_call"`
	Reports       int              `json:"reports"`
	Acked         int              `json:"acked"`
	Duplicates    int              `json:"duplicates"`
	DupRisk       int              `json:"dup_risk"`
	Failed        int              `json:"failed"`
	Missing       int              `json:"missing"`
	Waited        bool             `json:"waited"`
	FailedReasons map[string]int   `json:"failed_reasons"`
}

func die(code int, f string, a ...interface{}) {
	fmt.Fprintf(os.Stderr, "jwgopub: "+f+"\n", a...)
	os.Exit(code)
}

func main() {
	inst := flag.String("i", "default", "jetwire instance")
	tx := flag.Int("tx", -1, "preferred TX lcore (-1: least loaded)")
	subj := flag.String("s", "", "subject (required)")
	count := flag.Int("n", 1000, "messages")
	size := flag.Int("z", 128, "payload bytes (at least the index and a space)")
	nsub := flag.Int("subjects", 0, "spread over SUBJECT.0 .. SUBJECT.<K-1>")
	async := flag.Bool("async", false, "AsyncPublisher.PublishAsync instead of Producer.Publish")
	stall := flag.Duration("stall-wait", 0, "AsyncPublisher StallWait")
	wait := flag.Bool("wait", false, "wait for every report; exit 1 when one failed or is missing")
	timeout := flag.Float64("timeout", 30, "seconds to wait for the reports with -wait")
	accFile := flag.String("accepted", "", "file holding the count of accepted messages")
	js := flag.Bool("json", false, "print one JSON object")
	hdrs := headerFlags{}
	flag.Var(hdrs, "H", "header 'Name: value' (repeatable)")
	flag.Parse()
	if *subj == "" || *count < 0 || *size < 0 || *nsub < 0 || flag.NArg() != 0 {
		flag.Usage()
		os.Exit(2)
	}
	subjects := []string{*subj}
	if *nsub > 0 {
		subjects = make([]string, *nsub)
		for k := range subjects {
			subjects[k] = *subj + "." + strconv.Itoa(k)
		}
	}
	var accepted *uint64
	if *accFile != "" {
		f, err := os.OpenFile(*accFile, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0644)
		if err == nil {
			err = f.Truncate(8)
		}
		if err != nil {
			die(2, "%s: %v", *accFile, err)
		}
		m, err := syscall.Mmap(int(f.Fd()), 0, 8, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
		if err != nil {
			die(2, "mmap %s: %v", *accFile, err)
		}
		f.Close()
		accepted = (*uint64)(unsafe.Pointer(&m[0]))
	}
	res := result{Mode: "publish", Instance: *inst, Subject: *subj, Count: *count, Size: *size,
		Subjects: *nsub, Waited: *wait, FailedReasons: map[string]int{}}
	if *async {
		res.Mode = "async"
	}
	n := *count
	callNs := make([]int64, 0, n)
	pubAt := make([]int64, n)  // publish time of message i
	doneAt := make([]int64, n) // report time of message i, 0 until then
	payload := make([]byte, *size+24)
	var reasons []string
	note := func(i int, r jetwire.Report, at int64) {
		if i < 0 || i >= n || doneAt[i] != 0 {
			return // a repeated report
		}
		doneAt[i] = at
		res.Reports++
		switch r.Status {
		case jetwire.Acked:
			res.Acked++
			if r.Duplicate {
				res.Duplicates++
			}
		case jetwire.DupRisk:
			res.Acked++
			res.DupRisk++
		default:
			res.Failed++
			reasons = append(reasons, r.Reason.String())
		}
	}
	mkPayload := func(i int) []byte {
		b := strconv.AppendUint(payload[:0], uint64(i), 10)
		b = append(b, ' ')
		for len(b) < *size {
			b = append(b, byte('a'+len(b)%26))
		}
		return b
	}
	deadline := func() int64 { return nanotime() + int64(*timeout*1e9) }

	var ms0, ms1 runtime.MemStats
	var t0, t1 int64
	tickNs := 1.0
	if !*async {
		p, err := jetwire.Open(jetwire.Options{Instance: *inst, TX: *tx})
		if err != nil {
			die(2, "cannot open jetwire instance '%s': %v", *inst, err)
		}
		rbuf := make([]jetwire.Report, 1024)
		drain := func() {
			k := p.Reports(rbuf)
			now := nanotime()
			for _, r := range rbuf[:k] {
				note(int(r.Seq)-1, r, now)
			}
		}
		runtime.ReadMemStats(&ms0)
		t0 = nanotime()
		tk0 := cputicks()
		for i := 0; i < n; i++ {
			b := mkPayload(i)
			s := subjects[i%len(subjects)]
			for spins := 0; ; spins++ {
				var err error
				a := cputicks()
				if len(hdrs) == 0 {
					_, err = p.Publish(s, b)
				} else {
					_, err = p.PublishMsg(&jetwire.Msg{Subject: s, Header: hdrs, Data: b})
				}
				z := cputicks()
				if err == nil {
					callNs = append(callNs, z-a)
					pubAt[i] = nanotime()
					break
				}
				if !errors.Is(err, jetwire.ErrAgain) {
					die(2, "publish #%d failed: %v", i, err)
				}
				// As jwpub: read reports, spin a little, then sleep 20 µs per retry.
				res.EAgain++
				drain()
				if spins > 16 {
					time.Sleep(20 * time.Microsecond)
				}
			}
			if accepted != nil {
				atomic.StoreUint64(accepted, uint64(i+1))
			}
			if i&255 == 255 {
				drain()
			}
		}
		tickNs = float64(nanotime()-t0) / float64(cputicks()-tk0)
		t1 = nanotime()
		runtime.ReadMemStats(&ms1)
		res.Published = len(callNs)
		dl := deadline()
		for res.Reports < res.Published && nanotime() < dl {
			k := res.Reports
			drain()
			if *wait && res.Reports == k {
				time.Sleep(50 * time.Microsecond)
			} else if !*wait {
				break
			}
		}
		p.Close()
	} else {
		a, err := jetwire.NewAsyncPublisher(jetwire.AsyncOptions{
			Options: jetwire.Options{Instance: *inst, TX: *tx}, StallWait: *stall})
		if err != nil {
			die(2, "cannot open jetwire instance '%s': %v", *inst, err)
		}
		type pending struct {
			i int
			f *jetwire.Future
		}
		ch := make(chan pending, n)
		waited := make(chan struct{})
		go func() {
			defer close(waited)
			for pf := range ch {
				select {
				case <-pf.f.Ok():
				case err := <-pf.f.Err():
					if errors.Is(err, jetwire.ErrClosed) {
						continue // no report came before Close: missing
					}
				}
				note(pf.i, pf.f.Report(), nanotime())
			}
		}()
		runtime.ReadMemStats(&ms0)
		t0 = nanotime()
		tk0 := cputicks()
		for i := 0; i < n; i++ {
			b := mkPayload(i)
			s := subjects[i%len(subjects)]
			for {
				var f *jetwire.Future
				var err error
				st := cputicks()
				if len(hdrs) == 0 {
					f, err = a.PublishAsync(s, b)
				} else {
					f, err = a.PublishMsgAsync(&jetwire.Msg{Subject: s, Header: hdrs, Data: b})
				}
				z := cputicks()
				if err == nil {
					callNs = append(callNs, z-st)
					pubAt[i] = nanotime()
					ch <- pending{i, f}
					break
				}
				if !errors.Is(err, jetwire.ErrAgain) {
					die(2, "publish #%d failed: %v", i, err)
				}
				res.EAgain++
				time.Sleep(20 * time.Microsecond)
			}
			if accepted != nil {
				atomic.StoreUint64(accepted, uint64(i+1))
			}
		}
		tickNs = float64(nanotime()-t0) / float64(cputicks()-tk0)
		t1 = nanotime()
		runtime.ReadMemStats(&ms1)
		res.Published = len(callNs)
		close(ch)
		if *wait {
			select {
			case <-a.PublishAsyncComplete():
			case <-time.After(time.Duration(*timeout * 1e9)):
			}
		}
		a.Close() // fails what is still pending with ErrClosed: the waiter ends
		<-waited
	}
	var last int64
	e2e := make([]int64, 0, n)
	for i := 0; i < res.Published; i++ {
		if doneAt[i] != 0 {
			e2e = append(e2e, (doneAt[i]-pubAt[i])/1000)
			if doneAt[i] > last {
				last = doneAt[i]
			}
		}
	}
	res.Missing = res.Published - res.Reports
	for _, r := range reasons {
		res.FailedReasons[r]++
	}
	res.CallNs, res.E2eUs = latencies(callNs, tickNs, e2e)
	res.SubmitMs = float64(t1-t0) / 1e6
	if last > 0 && res.Missing == 0 {
		res.AllAckedMs = float64(last-t0) / 1e6
	}
	if res.Published > 0 {
		res.AllocsPerCall = float64(ms1.Mallocs-ms0.Mallocs) / float64(res.Published)
	}
	if *js {
		out, _ := json.Marshal(res)
		fmt.Println(string(out))
	} else {
		fmt.Printf("jwgopub: %s: published %d of %d messages of %d B in %.3f ms, %d EAGAIN retries\n",
			res.Mode, res.Published, n, *size, res.SubmitMs, res.EAgain)
		fmt.Printf("call latency ns: p50 %d  p90 %d  p99 %d  p99.9 %d  max %d  mean %d\n",
			res.CallNs["p50"], res.CallNs["p90"], res.CallNs["p99"], res.CallNs["p999"],
			res.CallNs["max"], res.CallNs["mean"])
		fmt.Printf("allocations per call: %.2f\n", res.AllocsPerCall)
		fmt.Printf("publish->report us: p50 %d  p99 %d  max %d; all reports after %.3f ms\n",
			res.E2eUs["p50"], res.E2eUs["p99"], res.E2eUs["max"], res.AllAckedMs)
		w := ""
		if !*wait {
			w = " (not waited for)"
		}
		fmt.Printf("reports%s: %d acked (%d duplicate, %d dup-risk), %d failed, %d missing\n",
			w, res.Acked, res.Duplicates, res.DupRisk, res.Failed, res.Missing)
		for k, v := range res.FailedReasons {
			fmt.Printf("failed: %s: %d\n", k, v)
		}
	}
	if *wait && (res.Failed > 0 || res.Missing > 0) {
		os.Exit(1)
	}
}
