// The measurement jwgopub and the nats.go reference client of the benchmarks share (the
// latter, tests/bench/natsgo, builds this same file through a symlink): the clocks and the
// latency summaries, so both report the same quantiles computed the same way.

package main

import (
	"sort"
	_ "unsafe" // go:linkname
)

//go:linkname nanotime runtime.nanotime
func nanotime() int64

// cputicks is the TSC (rdtsc on amd64): the cheapest clock, for the call latency, as
// jwpub's jw_ticks; converted to ns with the rate measured against nanotime.
//
//go:linkname cputicks runtime.cputicks
func cputicks() int64

// quant is the value at quantile q of the sorted v (the largest for q = 1; 0 when empty).
func quant(v []int64, q float64) int64 {
	if len(v) == 0 {
		return 0
	}
	i := int(q * float64(len(v)))
	if i >= len(v) {
		i = len(v) - 1
	}
	return v[i]
}

// latencies converts callNs from ticks to ns in place (tickNs ns per tick), sorts it and e2e,
// and returns the call summary (p50 p90 p99 p999 max mean, ns) and the publish->ack summary
// of e2e (p50 p99 max, in e2e's unit).
func latencies(callNs []int64, tickNs float64, e2e []int64) (call, ack map[string]int64) {
	for k := range callNs {
		callNs[k] = int64(float64(callNs[k]) * tickNs)
	}
	sort.Slice(callNs, func(a, b int) bool { return callNs[a] < callNs[b] })
	sort.Slice(e2e, func(a, b int) bool { return e2e[a] < e2e[b] })
	var sum int64
	for _, v := range callNs {
		sum += v
	}
	mean := int64(0)
	if len(callNs) > 0 {
		mean = sum / int64(len(callNs))
	}
	call = map[string]int64{"p50": quant(callNs, .5), "p90": quant(callNs, .9),
		"p99": quant(callNs, .99), "p999": quant(callNs, .999), "max": quant(callNs, 1), "mean": mean}
	ack = map[string]int64{"p50": quant(e2e, .5), "p99": quant(e2e, .99), "max": quant(e2e, 1)}
	return call, ack
}
