/* jwlayout: prints the shared-memory layout of lib/shm/shm-t.h (offsets, sizes, constants),
 * the public codes and texts of jetwire.h and a few layout hashes, one "name value" line
 * each, for lib/go's layout_test.go, which compares them with the Go package's constants.
 * Built by the Makefile as build/tests/go/jwlayout. Usage: jwlayout (no arguments). */
#include <stddef.h>
#include <stdio.h>

#include "jetwire.h"
#include "nats/nats_validate.h"
#include "shm/shm.h"

#define OFF(name, type, field) printf("%s %zu\n", name, offsetof(type, field))
#define VAL(name, v) printf("%s %llu\n", name, (unsigned long long)(v))
#define INT(name, v) printf("%s %lld\n", name, (long long)(v))

int
main(void)
{
	static const int errs[] = { JW_EAGAIN, JW_EINVAL, JW_E2BIG, JW_ENOTRUNNING, JW_ECLOSED,
				    JW_ETIMEDOUT, JW_ENOMEM, JW_EBUSY, JW_EVERSION, JW_EPERM };
	static const unsigned params[][4] = {
		{ 1, 16, 1u << 20, 8192 }, { 2, 4, 4096, 16 }, { 64, 1024, 1u << 30, 1u << 20 },
	};

	VAL("shmMagic", JW_SHM_MAGIC);
	VAL("shmVersion", JW_SHM_VERSION);
	VAL("shmInstanceMax", JW_SHM_INSTANCE_MAX);
	VAL("shmHdrBytes", JW_SHM_HDR_BYTES);
	VAL("shmPathMax", JW_SHM_PATH_MAX);
	VAL("shmRedirectMagic", JW_SHM_REDIRECT_MAGIC);
	OFF("redirMagic", struct jw_shm_redirect, magic);
	OFF("redirVersion", struct jw_shm_redirect, version);
	OFF("redirPageBytes", struct jw_shm_redirect, page_bytes);
	OFF("redirPath", struct jw_shm_redirect, path);
	VAL("redirSize", sizeof(struct jw_shm_redirect));
	VAL("shmMaxTX", JW_SHM_MAX_TX);
	VAL("shmMaxSlots", JW_SHM_MAX_SLOTS_PER_TX);
	VAL("shmMinRingBytes", JW_SHM_MIN_RING_BYTES);
	VAL("shmMaxRingBytes", JW_SHM_MAX_RING_BYTES);
	VAL("shmMinReports", JW_SHM_MIN_REPORTS);
	VAL("shmMaxReports", JW_SHM_MAX_REPORTS);
	VAL("heartbeatFresh", JW_SHM_HEARTBEAT_FRESH_NS);
	VAL("stateInit", JW_SHM_STATE_INIT);
	VAL("stateRunning", JW_SHM_STATE_RUNNING);
	VAL("stateStopped", JW_SHM_STATE_STOPPED);
	VAL("stateDestroyed", JW_SHM_STATE_DESTROYED);

	OFF("hdrMagic", struct jw_shm_hdr, magic);
	OFF("hdrVersion", struct jw_shm_hdr, version);
	OFF("hdrLayoutHash", struct jw_shm_hdr, layout_hash);
	OFF("hdrNTX", struct jw_shm_hdr, n_tx);
	OFF("hdrSlotsPerTX", struct jw_shm_hdr, slots_per_tx);
	OFF("hdrRingBytes", struct jw_shm_hdr, ring_bytes);
	OFF("hdrReportEntries", struct jw_shm_hdr, report_entries);
	OFF("hdrSlotStride", struct jw_shm_hdr, slot_stride);
	OFF("hdrSlotsOffset", struct jw_shm_hdr, slots_offset);
	OFF("hdrTotalSize", struct jw_shm_hdr, total_size);
	OFF("hdrNonce", struct jw_shm_hdr, nonce);
	OFF("hdrState", struct jw_shm_hdr, state);
	OFF("hdrEnginePid", struct jw_shm_hdr, engine_pid);
	OFF("hdrGeneration", struct jw_shm_hdr, generation);
	OFF("hdrMaxPayload", struct jw_shm_hdr, max_payload);
	OFF("hdrMsgOverhead", struct jw_shm_hdr, msg_overhead);
	OFF("hdrEnginePidns", struct jw_shm_hdr, engine_pidns);
	OFF("hdrInstance", struct jw_shm_hdr, instance);
	OFF("hdrHeartbeat", struct jw_shm_hdr, heartbeat_ns);
	OFF("hdrOpenRR", struct jw_shm_hdr, open_rr);
	VAL("hdrSize", sizeof(struct jw_shm_hdr));

	OFF("slotOwner", struct jw_shm_slot, owner);
	OFF("slotTX", struct jw_shm_slot, tx);
	OFF("slotIndex", struct jw_shm_slot, index);
	OFF("slotHead", struct jw_shm_slot, head);
	OFF("slotEagain", struct jw_shm_slot, eagain);
	OFF("slotRepTail", struct jw_shm_slot, rep_tail);
	OFF("slotSent", struct jw_shm_slot, sent);
	OFF("slotBadRecords", struct jw_shm_slot, bad_records);
	OFF("slotBadCursor", struct jw_shm_slot, bad_cursor);
	OFF("slotReleased", struct jw_shm_slot, released);
	OFF("slotRepHead", struct jw_shm_slot, rep_head);
	OFF("slotReportsDropped", struct jw_shm_slot, reports_dropped);
	OFF("slotReclaims", struct jw_shm_slot, reclaims);
	VAL("slotSize", sizeof(struct jw_shm_slot));

	OFF("recCommit", struct jw_shm_rec, commit);
	OFF("recSeq", struct jw_shm_rec, seq);
	OFF("recPayloadLen", struct jw_shm_rec, payload_len);
	OFF("recSubjectLen", struct jw_shm_rec, subject_len);
	OFF("recHdrLen", struct jw_shm_rec, hdr_len);
	VAL("recSize", JW_REC_HDR_BYTES);
	VAL("recWrap", JW_REC_WRAP);

	OFF("repSeq", struct jw_shm_report, seq);
	OFF("repStreamSeq", struct jw_shm_report, stream_seq);
	OFF("repErrCode", struct jw_shm_report, err_code);
	OFF("repReason", struct jw_shm_report, reason);
	OFF("repCode", struct jw_shm_report, code);
	OFF("repStatus", struct jw_shm_report, status);
	OFF("repDuplicate", struct jw_shm_report, duplicate);
	OFF("repStream", struct jw_shm_report, stream);
	VAL("repSize", sizeof(struct jw_shm_report));
	VAL("streamMax", JW_SHM_STREAM_MAX);

	VAL("ownerFree", JW_OWNER_FREE);
	VAL("ownerOwned", JW_OWNER_OWNED);
	VAL("ownerClosed", JW_OWNER_CLOSED);
	VAL("ownerOrphan", JW_OWNER_ORPHAN);
	VAL("ownerMake(4242,7,1)", JW_OWNER_MAKE(4242, 7, JW_OWNER_OWNED));
	VAL("recCommit(48,4096,0)", JW_REC_COMMIT(48, 4096, 0));
	VAL("recCommit(16,65528,1)", JW_REC_COMMIT(16, 65528, 1));
	VAL("recLen(9,0,128)", JW_REC_SIZE(9, 0, 128));

	VAL("subjectMax", NATS_SUBJECT_MAX);
	VAL("hdrMax", NATS_HDR_MAX);

	for (size_t i = 0; i < sizeof(params) / sizeof(params[0]); i++)
		printf("layoutHash(%u,%u,%u,%u) %u\n", params[i][0], params[i][1], params[i][2],
		       params[i][3], jw_shm_layout_hash(params[i][0], params[i][1], params[i][2],
							params[i][3]));

	VAL("Acked", JW_ACKED);
	VAL("Failed", JW_FAILED);
	VAL("DupRisk", JW_DUP_RISK);
	for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++)
		printf("error %d %s\n", errs[i], jw_strerror(errs[i]));
	for (int r = 0; r <= JW_R_MAX; r++)
		printf("reason %d %s\n", r, jw_reason_str(r));
	return 0;
}
