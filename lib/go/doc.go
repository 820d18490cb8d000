// Package jetwire is the producer side of jetwire's shared-memory protocol in pure Go (no
// cgo, standard library only): a Go process hands messages to a local jetwire appliance
// through a ring in /dev/shm/jetwire.<instance> and learns each one's outcome from a
// delivery report, exactly as a C producer does with libjetwire (lib/include/jetwire.h).
//
//	p, err := jetwire.Open(jetwire.Options{Instance: "default", TX: -1})
//	seq, err := p.Publish("orders.new", data) // never blocks; ErrAgain when the ring is full
//	n := p.Reports(buf)                       // outcomes, by seq
//	err = p.Flush(5 * time.Second)            // wait until every seq has a report
//	err = p.Close()
//
// The layout is the one of lib/shm/shm-t.h (layout.go mirrors it; the tests compare both),
// the checks are libjetwire's (subject, header block, max_payload, half the ring), records
// are committed with the same release order, and Open refuses an instance whose layout
// differs (ErrVersion). A Producer is used by one goroutine at a time (see its table);
// AsyncPublisher shares one among many goroutines with a Future per message, in the shape
// of nats.go's JetStream PublishAsync. Every message Publish accepted ends in exactly one
// delivery report (a jetwire restart in the middle of an ack may repeat one: match by seq).
package jetwire
