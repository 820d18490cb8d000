package jetwire

import (
	"encoding/binary"
	"os"
	"sync/atomic"
	"syscall"
	"unsafe"
)

// Operating-system side of Open: mapping the instance, proof of the engine's life, and
// pre-faulting the ring. Everything here runs at Open, never on the publish path.

// madvPopulateWrite is MADV_POPULATE_WRITE (Linux 5.14); syscall lacks the constant.
const madvPopulateWrite = 23

// errnoToError maps an errno of opening or mapping the object as libjetwire does.
func errnoToError(e error) *Error {
	switch e {
	case syscall.ENOENT:
		return ErrNotRunning
	case syscall.EACCES, syscall.EPERM:
		return ErrPerm
	case syscall.EPROTO:
		return ErrVersion
	case syscall.EINVAL:
		return ErrInvalid
	case syscall.ENOMEM:
		return ErrNoMem
	case syscall.EBUSY:
		return ErrBusy
	}
	return ErrNotRunning
}

// checkInstance is jw_shm_instance_check: 1..31 bytes of [A-Za-z0-9_.-], not starting
// with '.'.
func checkInstance(s string) bool {
	if len(s) == 0 || len(s) >= shmInstanceMax || s[0] == '.' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

func u64(m []byte, off uint64) *uint64 { return (*uint64)(unsafe.Pointer(&m[off])) }
func u32(m []byte, off uint64) *uint32 { return (*uint32)(unsafe.Pointer(&m[off])) }
func u16(m []byte, off uint64) *uint16 { return (*uint16)(unsafe.Pointer(&m[off])) }

// layout is the validated private copy of a header's layout parameters.
type layout struct {
	nTX, slotsPerTX, ringBytes, reportEntries uint32
	stride, slotsOffset, total                uint64
}

// validateHeader is hdr_validate of lib/shm/shm_layout.c: magic, version, parameters in
// range, layout hash, stride, slot offset, total size, and a file at least that long.
// It returns a short explanation for ErrVersion, or "" when the header is good.
func validateHeader(h []byte, fileSize uint64) (layout, string) {
	var l layout
	// Load-acquire of magic: the creator stored everything else before it.
	if m := atomic.LoadUint64(u64(h, hdrMagic)); m != shmMagic {
		return l, "bad magic (not a jetwire instance, or still being created)"
	}
	if v := *u32(h, hdrVersion); v != shmVersion {
		return l, "layout version " + itoa(uint64(v)) + ", this package speaks version " +
			itoa(shmVersion)
	}
	l.nTX, l.slotsPerTX = *u32(h, hdrNTX), *u32(h, hdrSlotsPerTX)
	l.ringBytes, l.reportEntries = *u32(h, hdrRingBytes), *u32(h, hdrReportEntries)
	if l.nTX < 1 || l.nTX > shmMaxTX || l.slotsPerTX < 1 || l.slotsPerTX > shmMaxSlots ||
		!isPow2(l.ringBytes) || l.ringBytes < shmMinRingBytes || l.ringBytes > shmMaxRingBytes ||
		!isPow2(l.reportEntries) || l.reportEntries < shmMinReports ||
		l.reportEntries > shmMaxReports {
		return l, "layout parameters out of range"
	}
	l.stride = slotStride(l.ringBytes, l.reportEntries)
	l.slotsOffset = shmHdrBytes
	l.total = l.slotsOffset + uint64(l.nTX)*uint64(l.slotsPerTX)*l.stride
	if l.total > shmMaxTotal {
		return l, "layout parameters out of range"
	}
	if *u32(h, hdrLayoutHash) != layoutHash(l.nTX, l.slotsPerTX, l.ringBytes, l.reportEntries) {
		return l, "layout hash differs (the instance's structures are not the ones of this package)"
	}
	if *u64(h, hdrSlotStride) != l.stride || *u64(h, hdrSlotsOffset) != l.slotsOffset ||
		*u64(h, hdrTotalSize) != l.total || fileSize < l.total {
		return l, "slot stride, offset or size differ from the layout"
	}
	return l, ""
}

func itoa(v uint64) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			return string(b[i:])
		}
	}
}

// openObject opens the file behind /dev/shm/jetwire.<instance> read-write: that file itself
// (tmpfs), or, when it holds a redirect, the hugetlbfs file the redirect names. A redirect
// must name a file called jetwire.<instance> on hugetlbfs (anything else is ErrVersion).
// Returns the file, its name (for errors) and its page size (the mapping granule).
func openObject(instance string) (*os.File, string, uint64, error) {
	name := shmNamePrefix + instance
	f, err := os.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		return nil, name, 0, wrapErr(errnoToError(pathErrno(err)), "open "+name)
	}
	var r [redirSize]byte
	if n, _ := f.ReadAt(r[:], 0); n == redirSize &&
		binary.LittleEndian.Uint64(r[redirMagic:]) == shmRedirectMagic {
		f.Close()
		path := cString(r[redirPath : redirPath+shmPathMax])
		if binary.LittleEndian.Uint32(r[redirVersion:]) != shmVersion || !redirectTargetOK(path, instance) {
			return nil, name, 0, wrapErr(ErrVersion, name+": bad redirect")
		}
		f, err = os.OpenFile(path, os.O_RDWR|syscall.O_NOFOLLOW, 0)
		if err != nil {
			return nil, path, 0, wrapErr(errnoToError(pathErrno(err)), "open "+path)
		}
		var sf syscall.Statfs_t
		if syscall.Fstatfs(int(f.Fd()), &sf) != nil || uint32(sf.Type) != hugetlbfsMagic {
			f.Close()
			return nil, path, 0, wrapErr(ErrVersion, path+" is not on hugetlbfs")
		}
		name = path
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(int(f.Fd()), &st); err != nil {
		f.Close()
		return nil, name, 0, wrapErr(ErrVersion, "stat "+name)
	}
	page := uint64(st.Blksize)
	if page == 0 {
		page = 4096
	}
	return f, name, page, nil
}

// redirectTargetOK accepts an absolute path without ".." whose last element is
// jetwire.<instance>: a redirect never sends a producer to another file.
func redirectTargetOK(path, instance string) bool {
	want := "/jetwire." + instance
	if len(path) <= len(want) || path[0] != '/' || path[len(path)-len(want):] != want {
		return false
	}
	for i := 0; i+4 <= len(path); i++ {
		if path[i:i+4] == "/../" {
			return false
		}
	}
	return true
}

func cString(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}

func roundUp(n, page uint64) uint64 { return (n + page - 1) / page * page }

// mapInstance opens the instance (openObject) and maps it read-write after validating its
// header twice (on a header-only map, and again on the real map, because the header may have
// been rewritten in between). Mappings are whole pages of the file's page size (hugetlbfs
// maps and unmaps only whole huge pages); the returned slice has the object's length and
// the mapping's capacity, which is what syscall.Munmap needs. Returns the mapping and its
// layout, or an error that wraps one of the Err values.
func mapInstance(instance string) ([]byte, layout, error) {
	var l layout
	f, name, page, err := openObject(instance)
	if err != nil {
		return nil, l, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, l, wrapErr(ErrVersion, "stat "+name)
	}
	size := uint64(st.Size())
	if size < shmHdrBytes {
		return nil, l, wrapErr(ErrVersion, name+" is shorter than a header page")
	}
	fd := int(f.Fd())
	h, err := syscall.Mmap(fd, 0, int(roundUp(shmHdrBytes, page)), syscall.PROT_READ,
		syscall.MAP_SHARED)
	if err != nil {
		return nil, l, wrapErr(errnoToError(err), "mmap "+name)
	}
	l, why := validateHeader(h, size)
	_ = syscall.Munmap(h)
	if why != "" {
		return nil, l, wrapErr(ErrVersion, name+": "+why)
	}
	m, err := syscall.Mmap(fd, 0, int(roundUp(l.total, page)),
		syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	if err != nil {
		return nil, l, wrapErr(errnoToError(err), "mmap "+name)
	}
	m = m[:l.total]
	l2, why := validateHeader(m, size)
	if why != "" || l2 != l {
		_ = syscall.Munmap(m)
		return nil, l, wrapErr(ErrVersion, name+": header changed while mapping")
	}
	return m, l, nil
}

func pathErrno(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// selfPidns is the inode of /proc/self/ns/pid, 0 when /proc does not tell.
func selfPidns() uint64 {
	fi, err := os.Stat("/proc/self/ns/pid")
	if err != nil {
		return 0
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return st.Ino
	}
	return 0
}

func pidAlive(pid int32) bool {
	if pid <= 0 {
		return false
	}
	return syscall.Kill(int(pid), 0) != syscall.ESRCH
}

// monoNs reads CLOCK_MONOTONIC, the clock of the engine's heartbeat.
func monoNs() uint64 {
	var ts syscall.Timespec
	const clockMonotonic = 1
	_, _, e := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockMonotonic,
		uintptr(unsafe.Pointer(&ts)), 0)
	if e != 0 {
		return 0
	}
	return uint64(ts.Sec)*1000000000 + uint64(ts.Nsec)
}

// engineAlive is jw_shm_engine_alive: RUNNING, and the engine's pid alive when we share its
// pid namespace, else a heartbeat younger than 3 s.
func engineAlive(m []byte) bool {
	if atomic.LoadUint32(u32(m, hdrState)) != stateRunning {
		return false
	}
	pid := int32(atomic.LoadUint32(u32(m, hdrEnginePid)))
	if pid <= 0 {
		return false
	}
	if atomic.LoadUint64(u64(m, hdrEnginePidns)) == selfPidns() {
		return pidAlive(pid)
	}
	beat, now := atomic.LoadUint64(u64(m, hdrHeartbeat)), monoNs()
	return beat <= now && now-beat < heartbeatFresh
}

// wrapped is an error with detail around one of the Err values.
type wrapped struct {
	err    *Error
	detail string
}

func (w *wrapped) Error() string { return "jetwire: " + w.detail + ": " + w.err.text }
func (w *wrapped) Unwrap() error { return w.err }

func wrapErr(e *Error, detail string) error { return &wrapped{e, detail} }
