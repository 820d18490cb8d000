package jetwire

import "strconv"

// Error is a jetwire error code: the same numbers and texts as lib/include/jetwire.h's JW_E*
// codes and jw_strerror. The values below are the only ones; compare with errors.Is (an
// error returned by Open may wrap one of them with more detail).
type Error struct {
	code int
	text string
}

// Error returns jw_strerror's text for the code.
func (e *Error) Error() string { return e.text }

// Code returns the C code (JW_EAGAIN is -11, ...).
func (e *Error) Code() int { return e.code }

// The error values, one per JW_E* code of lib/include/jetwire.h.
var (
	// ErrAgain: the ring is full; nothing was queued (counted in the slot's eagain).
	// Read reports and retry later.
	ErrAgain = &Error{-11, "ring full, retry later"}
	// ErrInvalid: bad argument: subject, header block, nil message, options.
	ErrInvalid = &Error{-22, "invalid argument (subject, header block, handle or option)"}
	// ErrTooBig: over the server's max_payload (with jetwire's own header bytes), or a
	// record over half the ring.
	ErrTooBig = &Error{-7, "message larger than the server's max_payload or the ring"}
	// ErrNotRunning: no such instance, its jetwire is dead, or it stopped cleanly.
	ErrNotRunning = &Error{-1001, "jetwire instance is not running"}
	// ErrClosed: the handle is closed, the instance was destroyed or the slot was taken back.
	ErrClosed = &Error{-1002, "producer handle is closed (instance destroyed or slot taken back)"}
	// ErrTimeout: a waiting call ran out of time.
	ErrTimeout = &Error{-110, "timed out"}
	// ErrNoMem: out of memory (mapping the instance failed for lack of memory).
	ErrNoMem = &Error{-12, "out of memory"}
	// ErrBusy: every producer slot of the instance is taken.
	ErrBusy = &Error{-16, "every producer slot of the instance is taken"}
	// ErrVersion: the instance uses a shared-memory layout this package does not speak.
	ErrVersion = &Error{-1003, "jetwire instance uses an incompatible shared-memory layout"}
	// ErrPerm: no permission to map the instance's shared memory (group membership?).
	ErrPerm = &Error{-13, "permission denied on the instance's shared memory"}
)

var allErrors = []*Error{ErrAgain, ErrInvalid, ErrTooBig, ErrNotRunning, ErrClosed,
	ErrTimeout, ErrNoMem, ErrBusy, ErrVersion, ErrPerm}

// ErrorOf returns the error value of a C JW_E* code, nil for 0 and for unknown codes.
func ErrorOf(code int) *Error {
	for _, e := range allErrors {
		if e.code == code {
			return e
		}
	}
	return nil
}

// Status of a delivery report (JW_ACKED, JW_FAILED, JW_DUP_RISK).
type Status uint8

const (
	// Acked: stored by JetStream (Stream, StreamSeq; Duplicate when it said so).
	Acked Status = 1
	// Failed: not stored; see Reason (and Code / ErrCode from the server).
	Failed Status = 2
	// DupRisk: stored, but resent without Nats-Msg-Id ([flow] dedupe = off), so the
	// stream may hold it twice.
	DupRisk Status = 3
)

func (s Status) String() string {
	switch s {
	case Acked:
		return "acked"
	case Failed:
		return "failed"
	case DupRisk:
		return "dup-risk"
	}
	return "status " + strconv.Itoa(int(s))
}

// Reason a message failed (JW_R_*).
type Reason uint16

// Reasons, the values of lib/include/jetwire.h.
const (
	ReasonNone       Reason = 0
	ReasonNoStream   Reason = 1 // no stream listens on the subject (503 no responders)
	ReasonJSError    Reason = 2 // JetStream API error: Code, ErrCode
	ReasonTimeout    Reason = 3 // no PubAck within the retry budget
	ReasonBadSubject Reason = 4 // record's subject invalid (only a corrupt ring gets here)
	ReasonBadHeader  Reason = 5 // record's header block invalid
	ReasonTooBig     Reason = 6 // larger than the server's max_payload (learnt after publish)
	ReasonCorrupt    Reason = 7 // record structure in the ring was invalid
	ReasonServerErr  Reason = 8 // the server refused the connection's publish (-ERR)
	ReasonShutdown   Reason = 9 // jetwire gave up on the message while shutting down
	reasonMax        Reason = 10
)

var reasonText = [reasonMax]string{
	"none", "no stream for subject", "JetStream error", "no PubAck in time",
	"invalid subject in ring", "invalid header block in ring", "over server max_payload",
	"corrupt record in ring", "server error", "jetwire shut down",
}

// String returns jw_reason_str's text.
func (r Reason) String() string {
	if r >= reasonMax {
		return "unknown reason"
	}
	return reasonText[r]
}

// Report is the delivery report of one published message (struct jw_report).
type Report struct {
	Seq       uint64 // the seq Publish returned
	StreamSeq uint64 // sequence in the stream when stored, else 0
	Status    Status
	Duplicate bool   // JetStream reported a duplicate (already stored)
	Reason    Reason // ReasonNone when acked
	Code      int    // server's error code (e.g. 503), 0 if none
	ErrCode   int    // JetStream err_code (e.g. 10060), 0 if none
	Stream    string // stream name, "" if unknown
}

// PublishError is the error of a Future whose message was not stored.
type PublishError struct {
	Report Report
}

func (e *PublishError) Error() string {
	s := "jetwire: message " + strconv.FormatUint(e.Report.Seq, 10) + " not stored: " +
		e.Report.Reason.String()
	if e.Report.Code != 0 || e.Report.ErrCode != 0 {
		s += " (code " + strconv.Itoa(e.Report.Code) + ", err_code " +
			strconv.Itoa(e.Report.ErrCode) + ")"
	}
	return s
}
