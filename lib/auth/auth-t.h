/* Types of NATS client credentials: NKey seeds and .creds files (lib/auth).
 *
 * An NKey is an ed25519 key pair written as text: base32 (RFC 4648 alphabet, no padding)
 * of prefix bytes + key + CRC16 (XMODEM, little-endian). A user seed is "SU..." (58
 * characters: the seed prefix byte 18<<3 with the user prefix 20<<3 folded into the first
 * two bytes, the 32-byte ed25519 seed, the CRC); its public key is "U..." (56 characters:
 * prefix 20<<3, 32-byte public key, CRC). A .creds file holds a user JWT block and a user
 * seed block between dashed lines.
 *
 * Secrets (seeds, private keys) live only in these structs; jw_nkey_wipe /
 * jw_creds_wipe zero them (sodium_memzero) and nothing here logs or prints them.
 *
 * Concurrency: the structs are plain values. Signing reads the key only, so one key may
 * sign on several threads at once; parsing writes the output struct, which no other thread
 * may use meanwhile.
 */
#ifndef JW_AUTH_T_H
#define JW_AUTH_T_H

#include <stddef.h>
#include <stdint.h>

#define JW_NKEY_SEED_LEN    58    /* "SU" + 56 base32 characters */
#define JW_NKEY_PUBLIC_LEN  56    /* "U" + 55 base32 characters */
#define JW_NKEY_SIG_LEN     86    /* ed25519 signature, base64url without padding */
#define JW_JWT_MAX          8192  /* longest user JWT accepted from a .creds file */
#define JW_SECRET_FILE_MAX  16384 /* longest secret file read */

/* The NKey prefix bytes (the first base32 character of the text form). */
enum jw_nkey_prefix {
	JW_NKEY_PREFIX_ACCOUNT  = 0,        /* 'A' */
	JW_NKEY_PREFIX_CLUSTER  = 2 << 3,   /* 'C' */
	JW_NKEY_PREFIX_SERVER   = 13 << 3,  /* 'N' */
	JW_NKEY_PREFIX_OPERATOR = 14 << 3,  /* 'O' */
	JW_NKEY_PREFIX_PRIVATE  = 15 << 3,  /* 'P' */
	JW_NKEY_PREFIX_SEED     = 18 << 3,  /* 'S' */
	JW_NKEY_PREFIX_USER     = 20 << 3,  /* 'U' */
};

/* A user key pair decoded from its seed. */
struct jw_nkey {
	uint8_t pk[32];                          /* ed25519 public key */
	uint8_t sk[64];                          /* libsodium secret key (seed + public key) */
	char public_key[JW_NKEY_PUBLIC_LEN + 1]; /* "U..." text form, NUL-terminated */
};

/* What a .creds file holds. */
struct jw_creds {
	char jwt[JW_JWT_MAX + 1];                /* the user JWT, NUL-terminated */
	size_t jwt_len;
	struct jw_nkey key;                      /* the user key from the seed block */
};

#endif /* JW_AUTH_T_H */
