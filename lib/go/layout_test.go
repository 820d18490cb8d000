package jetwire

import (
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// TestLayoutMatchesC compares every Go constant of layout.go, the layout hash, the commit
// word and owner word encodings, and the error and reason texts with what
// build/tests/go/jwlayout, compiled from lib/shm/shm-t.h and jetwire.h, prints.
func TestLayoutMatchesC(t *testing.T) {
	out, err := exec.Command(toolPath(t, "JW_LAYOUT_TOOL", "jwlayout")).Output()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]uint64{
		"shmMagic": shmMagic, "shmVersion": shmVersion, "shmInstanceMax": shmInstanceMax,
		"shmHdrBytes": shmHdrBytes, "shmPathMax": shmPathMax,
		"shmRedirectMagic": shmRedirectMagic, "redirMagic": redirMagic,
		"redirVersion": redirVersion, "redirPageBytes": redirPageBytes,
		"redirPath": redirPath, "redirSize": redirSize, "shmMaxTX": shmMaxTX, "shmMaxSlots": shmMaxSlots,
		"shmMinRingBytes": shmMinRingBytes, "shmMaxRingBytes": shmMaxRingBytes,
		"shmMinReports": shmMinReports, "shmMaxReports": shmMaxReports,
		"heartbeatFresh": heartbeatFresh, "stateInit": stateInit, "stateRunning": stateRunning,
		"stateStopped": stateStopped, "stateDestroyed": stateDestroyed,
		"hdrMagic": hdrMagic, "hdrVersion": hdrVersion, "hdrLayoutHash": hdrLayoutHash,
		"hdrNTX": hdrNTX, "hdrSlotsPerTX": hdrSlotsPerTX, "hdrRingBytes": hdrRingBytes,
		"hdrReportEntries": hdrReportEntries, "hdrSlotStride": hdrSlotStride,
		"hdrSlotsOffset": hdrSlotsOffset, "hdrTotalSize": hdrTotalSize, "hdrNonce": hdrNonce,
		"hdrState": hdrState, "hdrEnginePid": hdrEnginePid, "hdrGeneration": hdrGeneration,
		"hdrMaxPayload": hdrMaxPayload, "hdrMsgOverhead": hdrMsgOverhead,
		"hdrEnginePidns": hdrEnginePidns, "hdrInstance": hdrInstance,
		"hdrHeartbeat": hdrHeartbeat, "hdrOpenRR": hdrOpenRR, "hdrSize": hdrSize,
		"slotOwner": slotOwner, "slotTX": slotTX, "slotIndex": slotIndex, "slotHead": slotHead,
		"slotEagain": slotEagain, "slotRepTail": slotRepTail, "slotSent": slotSent,
		"slotBadRecords": slotBadRecords, "slotBadCursor": slotBadCursor,
		"slotReleased": slotReleased, "slotRepHead": slotRepHead,
		"slotReportsDropped": slotReportsDropped, "slotReclaims": slotReclaims,
		"slotSize": slotSize, "recCommit": recCommit, "recSeq": recSeq,
		"recPayloadLen": recPayloadLen, "recSubjectLen": recSubjectLen, "recHdrLen": recHdrLen,
		"recSize": recSize, "recWrap": recWrap, "repSeq": repSeq, "repStreamSeq": repStreamSeq,
		"repErrCode": repErrCode, "repReason": repReason, "repCode": repCode,
		"repStatus": repStatus, "repDuplicate": repDuplicate, "repStream": repStream,
		"repSize": repSize, "streamMax": streamMax, "ownerFree": ownerFree,
		"ownerOwned": ownerOwned, "ownerClosed": ownerClosed, "ownerOrphan": ownerOrphan,
		"ownerMake(4242,7,1)":   ownerMake(4242, 7, ownerOwned),
		"recCommit(48,4096,0)":  recCommitWord(48, 4096, false),
		"recCommit(16,65528,1)": recCommitWord(16, 65528, true),
		"recLen(9,0,128)":       recLen(9, 0, 128),
		"subjectMax":            subjectMax, "hdrMax": hdrMax,
		"layoutHash(1,16,1048576,8192)":          uint64(layoutHash(1, 16, 1<<20, 8192)),
		"layoutHash(2,4,4096,16)":                uint64(layoutHash(2, 4, 4096, 16)),
		"layoutHash(64,1024,1073741824,1048576)": uint64(layoutHash(64, 1024, 1<<30, 1<<20)),
		"Acked":                                  uint64(Acked), "Failed": uint64(Failed), "DupRisk": uint64(DupRisk),
	}
	seen := map[string]bool{}
	errs, reasons := 0, 0
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.SplitN(l, " ", 3)
		switch f[0] {
		case "error":
			code, _ := strconv.Atoi(f[1])
			e := ErrorOf(code)
			if e == nil || e.Error() != f[2] {
				t.Errorf("error %d: C says %q, Go %v", code, f[2], e)
			}
			errs++
			continue
		case "reason":
			r, _ := strconv.Atoi(f[1])
			if got := Reason(r).String(); got != f[2] {
				t.Errorf("reason %d: C says %q, Go %q", r, f[2], got)
			}
			reasons++
			continue
		}
		c, err := strconv.ParseUint(f[1], 10, 64)
		if err != nil {
			t.Fatalf("jwlayout line %q", l)
		}
		g, ok := want[f[0]]
		if !ok {
			t.Errorf("%s = %d in C has no Go counterpart in the test", f[0], c)
			continue
		}
		seen[f[0]] = true
		if g != c {
			t.Errorf("%s: C %d, Go %d", f[0], c, g)
		}
	}
	for k := range want {
		if !seen[k] {
			t.Errorf("%s: jwlayout did not print it", k)
		}
	}
	if errs != len(allErrors) || reasons != int(reasonMax)+1 {
		t.Errorf("compared %d errors and %d reasons, want %d and %d", errs, reasons,
			len(allErrors), reasonMax+1)
	}
	if slotStride(1<<20, 8192) != 4096*((320+8192*64+(1<<20)+4095)/4096) {
		t.Errorf("slot stride")
	}
}
