package jetwire

// Checks with the rules of lib/nats/nats_validate.c (nats_subject_check, nats_hdr_check), so
// that a Go producer refuses exactly what a C producer refuses, before anything reaches the
// ring. jetwire checks every record again on its side (the ring is not trusted).

// checkSubject accepts dot-separated non-empty tokens of printable bytes, at most
// subjectMax bytes. It rejects an empty subject, an empty token (leading, trailing or double
// dot), space, tab, CR, LF, any other control byte or DEL (they would break the control
// line), and a token that is exactly "*" or ">" (wildcards are for subscribing).
func checkSubject(s string) bool {
	n := len(s)
	if n == 0 || n > subjectMax {
		return false
	}
	tok := 0
	for i := 0; i <= n; i++ {
		if i == n || s[i] == '.' {
			tl := i - tok
			if tl == 0 || (tl == 1 && (s[tok] == '*' || s[tok] == '>')) {
				return false
			}
			tok = i + 1
			continue
		}
		if c := s[i]; c <= ' ' || c == 0x7f {
			return false
		}
	}
	return true
}

// checkHeaderName accepts 1.. printable ASCII bytes without ':' or space.
func checkHeaderName(k string) bool {
	if len(k) == 0 {
		return false
	}
	for i := 0; i < len(k); i++ {
		if c := k[i]; c <= ' ' || c >= 0x7f || c == ':' {
			return false
		}
	}
	return true
}

// checkHeaderValue accepts any bytes but CR, LF and NUL (they would let a producer inject
// protocol lines), the value may be empty.
func checkHeaderValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c == '\r' || c == '\n' || c == 0 {
			return false
		}
	}
	return true
}

const hdrPrefix = "NATS/1.0\r\n"

// headerLen returns the length of the header block "NATS/1.0\r\n" + "Name: value\r\n" per
// value + "\r\n" that encodes h (the encoding nats.go writes), or -1 when a name or value
// breaks the rules above or the block exceeds hdrMax (nats_hdr_check refuses it then).
// A nil or empty map means no header block: 0.
func headerLen(h map[string][]string) int {
	if len(h) == 0 {
		return 0
	}
	n := len(hdrPrefix) + 2
	for k, vs := range h {
		if !checkHeaderName(k) {
			return -1
		}
		for _, v := range vs {
			if !checkHeaderValue(v) {
				return -1
			}
			n += len(k) + 2 + len(v) + 2
		}
	}
	if n > hdrMax {
		return -1
	}
	return n
}

// writeHeader writes h's header block into dst, which holds exactly headerLen(h) bytes.
func writeHeader(dst []byte, h map[string][]string) {
	i := copy(dst, hdrPrefix)
	for k, vs := range h {
		for _, v := range vs {
			i += copy(dst[i:], k)
			dst[i], dst[i+1] = ':', ' '
			i += 2
			i += copy(dst[i:], v)
			dst[i], dst[i+1] = '\r', '\n'
			i += 2
		}
	}
	dst[i], dst[i+1] = '\r', '\n'
}

// checkHeaderBlock is nats_hdr_check for a raw block: "NATS/1.0\r\n", then "Name: value\r\n"
// lines, then "\r\n"; no status on the first line; at most hdrMax bytes. Empty is fine.
func checkHeaderBlock(b []byte) bool {
	n := len(b)
	if n == 0 {
		return true
	}
	i := len(hdrPrefix)
	if n > hdrMax || n < i+2 || string(b[:i]) != hdrPrefix {
		return false
	}
	for i < n {
		start := i
		if n-i == 2 {
			return b[i] == '\r' && b[i+1] == '\n'
		}
		for i < n && b[i] != ':' {
			if c := b[i]; c <= ' ' || c >= 0x7f {
				return false
			}
			i++
		}
		if i == n || i == start {
			return false
		}
		i++
		for i < n && b[i] != '\r' {
			if b[i] == '\n' || b[i] == 0 {
				return false
			}
			i++
		}
		if i+1 >= n || b[i+1] != '\n' {
			return false
		}
		i += 2
	}
	return false
}
