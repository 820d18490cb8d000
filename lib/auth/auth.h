/* NATS client credentials (DPDK-free, libsodium): NKey seeds, .creds files, nonce
 * signatures and secret files. Types and the text forms: auth-t.h.
 *
 * Errors (negative errno): -EINVAL malformed text (bad base32 character, wrong length,
 * missing block), -EBADMSG a CRC16 that does not match, -EPROTO a well-formed key of the
 * wrong kind (not a user seed), -E2BIG input over its limit, -ENOSPC an output buffer too
 * small, -EPERM a secret file others may read, -EIO libsodium failed. Each function fills
 * an optional (err, errlen) text that says what was wrong without quoting the secret.
 */
#ifndef JW_AUTH_H
#define JW_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/auth-t.h"

/* CRC-16/XMODEM (poly 0x1021, init 0) of data[0..len): the NKey checksum. */
uint16_t jw_crc16(const uint8_t *data, size_t len);

/* Base32 (RFC 4648 upper-case alphabet, no padding) of src[0..len) into dst; returns the
 * characters written (ceil(len*8/5)), NUL-terminated, or -ENOSPC when dst cannot hold
 * them and the NUL. */
int jw_base32_encode(const uint8_t *src, size_t len, char *dst, size_t cap);

/* Decodes unpadded base32 text[0..len); returns the bytes written or -EINVAL (a character
 * outside the alphabet, or a length no encoder produces), -ENOSPC. Lower case is not
 * accepted: NKeys are upper case. */
int jw_base32_decode(const char *text, size_t len, uint8_t *dst, size_t cap);

/* Base64url (RFC 4648 section 5) without padding of src[0..len) into dst, NUL-terminated;
 * returns the characters written or -ENOSPC. */
int jw_base64url_encode(const uint8_t *src, size_t len, char *dst, size_t cap);

/* Decodes a user seed ("SU...", exactly JW_NKEY_SEED_LEN characters; surrounding ASCII
 * white space is ignored) into its key pair and public key text. Rejects: other lengths or
 * characters (-EINVAL), a bad CRC (-EBADMSG), a seed of another kind — account, operator,
 * server — or a public key instead of a seed (-EPROTO). */
int jw_nkey_from_seed(const char *seed, size_t len, struct jw_nkey *out, char *err,
		      size_t errlen);

/* Encodes a public key of the given prefix (a JW_NKEY_PREFIX_* other than SEED/PRIVATE)
 * into dst (cap > JW_NKEY_PUBLIC_LEN). Returns 0, -EINVAL, -ENOSPC. */
int jw_nkey_public_encode(enum jw_nkey_prefix prefix, const uint8_t pk[32], char *dst,
			  size_t cap);

/* Signs msg[0..len) (the server's INFO nonce bytes) with ed25519 and writes the signature as
 * base64url without padding (JW_NKEY_SIG_LEN characters + NUL; cap > JW_NKEY_SIG_LEN).
 * Returns the characters written, -ENOSPC, -EIO. */
int jw_nkey_sign(const struct jw_nkey *k, const void *msg, size_t len, char *sig, size_t cap);

/* Checks a signature made by jw_nkey_sign (for tests): 0 or -EBADMSG. */
int jw_nkey_verify(const struct jw_nkey *k, const void *msg, size_t len, const char *sig);

/* Parses a .creds file's text: the first dashed block ("-----BEGIN NATS USER JWT-----",
 * content line, "------END NATS USER JWT------") is the JWT, the next one the user seed;
 * text outside blocks (the IMPORTANT banner) is ignored; lines may end in CRLF. Rejects
 * (-EINVAL with the reason in err): no JWT block, no seed block, an unterminated block, an
 * empty block, a JWT that is not three base64url parts joined by dots; the seed's own
 * errors as jw_nkey_from_seed; -E2BIG a JWT over JW_JWT_MAX. */
int jw_creds_parse(const char *text, size_t len, struct jw_creds *out, char *err,
		   size_t errlen);

/* Reads a whole secret file into buf[0..cap) (NUL-terminated, *len bytes) after checking
 * that it is a regular file that no one but its owner and group may read or write (mode &
 * 007 == 0): -EPERM otherwise, with err naming the path and the mode; -ENOENT and other
 * open errors as -errno; -E2BIG for a file of cap bytes or more. */
int jw_secret_file_read(const char *path, char *buf, size_t cap, size_t *len, char *err,
			size_t errlen);

/* Loads the credentials of [nats] nkey_seed_file or creds_file (exactly one non-empty) into
 * out: the key pair, and for a .creds file the JWT (out->jwt_len 0 for a bare seed).
 * err reads "[nats] <key> <path>: <what is wrong>" (never the secret). Errors as
 * jw_secret_file_read, jw_nkey_from_seed and jw_creds_parse; -EINVAL for neither or both. */
int jw_auth_load(const char *nkey_seed_file, const char *creds_file, struct jw_creds *out,
		 char *err, size_t errlen);

/* Zero the secrets (sodium_memzero). */
void jw_nkey_wipe(struct jw_nkey *k);
void jw_creds_wipe(struct jw_creds *c);
void jw_secret_wipe(void *buf, size_t len);

#endif /* JW_AUTH_H */
