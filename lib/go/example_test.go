package jetwire_test

import (
	"errors"
	"log"
	"time"

	"jetwire"
)

// One goroutine publishing in order: Publish never blocks; a full ring is ErrAgain, so read
// the reports (which lets jetwire free space) and retry.
func ExampleProducer_Publish() {
	p, err := jetwire.Open(jetwire.Options{Instance: "default", TX: -1})
	if err != nil {
		log.Fatal(err) // errors.Is(err, jetwire.ErrNotRunning), ErrVersion, ErrBusy, ...
	}
	defer p.Close()
	reports := make([]jetwire.Report, 256)
	handle := func(rs []jetwire.Report) {
		for _, r := range rs {
			if r.Status == jetwire.Failed {
				log.Printf("message %d not stored: %v", r.Seq, r.Reason)
			}
		}
	}
	for i := 0; i < 1000; i++ {
		for {
			_, err := p.Publish("orders.new", []byte("payload"))
			if err == nil {
				break
			}
			if !errors.Is(err, jetwire.ErrAgain) {
				log.Fatal(err)
			}
			handle(reports[:p.Reports(reports)])
			time.Sleep(20 * time.Microsecond)
		}
	}
	if err := p.Flush(5 * time.Second); err != nil {
		log.Fatal(err)
	}
	for n := p.Reports(reports); n > 0; n = p.Reports(reports) {
		handle(reports[:n])
	}
}

// Many goroutines: an AsyncPublisher and a Future per message, as with nats.go's
// js.PublishAsync.
func ExampleAsyncPublisher() {
	a, err := jetwire.NewAsyncPublisher(jetwire.AsyncOptions{
		Options: jetwire.Options{TX: -1}, StallWait: 200 * time.Millisecond})
	if err != nil {
		log.Fatal(err)
	}
	defer a.Close()
	f, err := a.PublishMsgAsync(&jetwire.Msg{Subject: "orders.new",
		Header: map[string][]string{"Order": {"42"}}, Data: []byte("payload")})
	if err != nil {
		log.Fatal(err)
	}
	select {
	case <-f.Ok():
		r := f.Report()
		log.Printf("stored in %s as %d", r.Stream, r.StreamSeq)
	case err := <-f.Err():
		log.Print(err)
	}
	<-a.PublishAsyncComplete()
}
