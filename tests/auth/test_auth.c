/* Unit tests of lib/auth: CRC16, base32 and base64url against RFC vectors; NKey seed
 * decoding, the public key and the nonce signature against vectors made with the Go nkeys
 * package (github.com/nats-io/nkeys 0.3.0, Debian golang-github-nats-io-nkeys-dev:
 * nkeys.FromRawSeed(PrefixByteUser, {0,7,14,...,217}), kp.Sign("nonce-XYZ_abc123"),
 * base64.RawURLEncoding); damaged seeds; .creds parsing; secret file permissions. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "auth/auth.h"

/* made by the Go nkeys package (see above) */
#define GO_SEED "SUAAABYOCUOCGKRRHA7UMTKULNRGS4DXP2CYZE42UGUK7NV5YTF5FWIXJQ"
#define GO_PUB "UBGQ5Q5A2A76774TVG6M4KREWQDNI32EV37R654H3LW3CPFK7JACYEW2"
#define GO_NONCE "nonce-XYZ_abc123"
#define GO_SIG "_1HGhFkxHRDThUItlojKRgExwYqWndLS794bVzskkH0LWP8s1C2WInvZ5MTq1tGOTg72mGsTkiFkEWkjP6HPAw"
#define GO_ACCOUNT_SEED "SAALNKL2VQA75ROKFR4FZD6JOXK6FCMWVK2LWOCSPSNO47PNR2JAUUUUFI"

static void
crc16_known(void **state)
{
	(void)state;
	assert_int_equal(jw_crc16((const uint8_t *)"123456789", 9), 0x31C3); /* XMODEM check */
	assert_int_equal(jw_crc16(NULL, 0), 0);
}

static void
base32_rfc4648(void **state)
{
	static const char *const in[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
	static const char *const out[] = { "", "MY", "MZXQ", "MZXW6", "MZXW6YQ", "MZXW6YTB",
					   "MZXW6YTBOI" };
	char buf[32];
	uint8_t raw[32];

	(void)state;
	for (size_t i = 0; i < 7; i++) {
		int n = jw_base32_encode((const uint8_t *)in[i], strlen(in[i]), buf, sizeof(buf));

		assert_int_equal(n, (int)strlen(out[i]));
		assert_string_equal(buf, out[i]);
		n = jw_base32_decode(out[i], strlen(out[i]), raw, sizeof(raw));
		assert_int_equal(n, (int)strlen(in[i]));
		assert_memory_equal(raw, in[i], (size_t)n);
	}
	assert_int_equal(jw_base32_decode("MZXW6Y1B", 8, raw, sizeof(raw)), -EINVAL);
	assert_int_equal(jw_base32_decode("mzxw6ytb", 8, raw, sizeof(raw)), -EINVAL);
	assert_int_equal(jw_base32_decode("MZX", 3, raw, sizeof(raw)), -EINVAL);
	assert_int_equal(jw_base32_decode("MZXW6YTBOI", 10, raw, 3), -ENOSPC);
	assert_int_equal(jw_base32_encode((const uint8_t *)"foobar", 6, buf, 10), -ENOSPC);
}

static void
base64url_rfc4648(void **state)
{
	static const uint8_t odd[] = { 0xfb, 0xff };
	char buf[16];

	(void)state;
	assert_int_equal(jw_base64url_encode((const uint8_t *)"foobar", 6, buf, sizeof(buf)), 8);
	assert_string_equal(buf, "Zm9vYmFy");
	assert_int_equal(jw_base64url_encode((const uint8_t *)"fo", 2, buf, sizeof(buf)), 3);
	assert_string_equal(buf, "Zm8");
	assert_int_equal(jw_base64url_encode((const uint8_t *)"f", 1, buf, sizeof(buf)), 2);
	assert_string_equal(buf, "Zg");
	assert_int_equal(jw_base64url_encode(odd, 2, buf, sizeof(buf)), 3);
	assert_string_equal(buf, "-_8"); /* url alphabet, no padding */
	assert_int_equal(jw_base64url_encode((const uint8_t *)"foobar", 6, buf, 8), -ENOSPC);
}

static void
seed_decodes_and_signs_like_go_nkeys(void **state)
{
	struct jw_nkey k;
	char sig[JW_NKEY_SIG_LEN + 1], err[160];

	(void)state;
	assert_int_equal(jw_nkey_from_seed(GO_SEED, strlen(GO_SEED), &k, err, sizeof(err)), 0);
	assert_string_equal(k.public_key, GO_PUB);
	assert_int_equal(jw_nkey_sign(&k, GO_NONCE, strlen(GO_NONCE), sig, sizeof(sig)),
			 JW_NKEY_SIG_LEN);
	assert_string_equal(sig, GO_SIG);
	assert_int_equal(jw_nkey_verify(&k, GO_NONCE, strlen(GO_NONCE), sig), 0);
	assert_int_equal(jw_nkey_verify(&k, "nonce-XYZ_abc124", 16, sig), -EBADMSG);
	assert_int_equal(jw_nkey_sign(&k, GO_NONCE, 16, sig, JW_NKEY_SIG_LEN), -ENOSPC);
	/* surrounding white space (a file's newline) is ignored */
	assert_int_equal(jw_nkey_from_seed("  " GO_SEED "\r\n", strlen(GO_SEED) + 4, &k, err,
					   sizeof(err)), 0);
	assert_string_equal(k.public_key, GO_PUB);
	jw_nkey_wipe(&k);
	for (size_t i = 0; i < sizeof(k.sk); i++)
		assert_int_equal(k.sk[i], 0);
}

static void
damaged_and_wrong_seeds_refused(void **state)
{
	struct jw_nkey k;
	char s[JW_NKEY_SEED_LEN + 1], err[160];
	int rc;

	(void)state;
	/* every single-character change to another base32 character breaks the CRC or the
	 * prefix: never accepted */
	for (size_t i = 0; i < JW_NKEY_SEED_LEN; i++) {
		memcpy(s, GO_SEED, sizeof(s));
		s[i] = s[i] == 'A' ? 'B' : 'A';
		rc = jw_nkey_from_seed(s, JW_NKEY_SEED_LEN, &k, err, sizeof(err));
		assert_true(rc == -EBADMSG || rc == -EPROTO);
	}
	memcpy(s, GO_SEED, sizeof(s));
	s[30] = s[30] == 'Q' ? 'R' : 'Q';
	assert_int_equal(jw_nkey_from_seed(s, JW_NKEY_SEED_LEN, &k, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "CRC16"));
	assert_null(strstr(err, s)); /* never quotes the secret */
	assert_int_equal(jw_nkey_from_seed(GO_ACCOUNT_SEED, JW_NKEY_SEED_LEN, &k, err,
					   sizeof(err)), -EPROTO);
	assert_non_null(strstr(err, "account"));
	assert_int_equal(jw_nkey_from_seed(GO_PUB, strlen(GO_PUB), &k, err, sizeof(err)), -EINVAL);
	memcpy(s, GO_SEED, sizeof(s));
	s[10] = 's';
	assert_int_equal(jw_nkey_from_seed(s, JW_NKEY_SEED_LEN, &k, err, sizeof(err)), -EINVAL);
	s[10] = '1';
	assert_int_equal(jw_nkey_from_seed(s, JW_NKEY_SEED_LEN, &k, err, sizeof(err)), -EINVAL);
	assert_int_equal(jw_nkey_from_seed("", 0, &k, err, sizeof(err)), -EINVAL);
	assert_int_equal(jw_nkey_from_seed(NULL, 0, &k, NULL, 0), -EINVAL);
}

/* The prefix's 3 spare bits set, with a checksum that matches: a second text for the same
 * key, refused (found by fuzz_auth: the fuzzer's own input, then one made from GO_SEED). */
static void
seed_spare_bits_refused(void **state)
{
	struct jw_nkey k;
	char s[JW_NKEY_SEED_LEN + 1], err[160];
	uint8_t raw[36];
	uint16_t crc;

	(void)state;
	assert_int_equal(jw_nkey_from_seed("SUCYZE42UGU7NVK5YTF5FWKULNRGS4DXP2CYZE42UGU7NVK5YTF5FWIXJQ",
					   JW_NKEY_SEED_LEN, &k, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "spare bits"));
	assert_int_equal(jw_base32_decode(GO_SEED, JW_NKEY_SEED_LEN, raw, sizeof(raw)), 36);
	for (unsigned bits = 1; bits < 8; bits++) {
		raw[1] = (uint8_t)((raw[1] & ~7u) | bits);
		crc = jw_crc16(raw, 34);
		raw[34] = (uint8_t)crc;
		raw[35] = (uint8_t)(crc >> 8);
		assert_int_equal(jw_base32_encode(raw, 36, s, sizeof(s)), JW_NKEY_SEED_LEN);
		assert_int_equal(jw_nkey_from_seed(s, JW_NKEY_SEED_LEN, &k, err, sizeof(err)),
				 -EINVAL);
	}
}

#define JWT "eyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ.eyJzdWIiOiJVIn0.c2lnLXNpZw"

static const char creds_ok[] =
	"-----BEGIN NATS USER JWT-----\n" JWT "\n------END NATS USER JWT------\n\n"
	"************************* IMPORTANT *************************\n"
	"NKEY Seed printed below can be used to sign and prove identity.\n\n"
	"-----BEGIN USER NKEY SEED-----\r\n" GO_SEED "\r\n------END USER NKEY SEED------\r\n";

static int
parse(const char *t, struct jw_creds *c, char *err)
{
	return jw_creds_parse(t, strlen(t), c, err, 200);
}

static void
creds_parse(void **state)
{
	struct jw_creds *c = malloc(sizeof(*c));
	char err[200];

	(void)state;
	assert_non_null(c);
	assert_int_equal(parse(creds_ok, c, err), 0);
	assert_string_equal(c->jwt, JWT);
	assert_int_equal(c->jwt_len, strlen(JWT));
	assert_string_equal(c->key.public_key, GO_PUB);

	assert_int_equal(parse("", c, err), -EINVAL);
	assert_non_null(strstr(err, "no user JWT block"));
	assert_int_equal(parse("-----BEGIN NATS USER JWT-----\n" JWT "\n------END NATS USER "
			       "JWT------\n", c, err), -EINVAL);
	assert_non_null(strstr(err, "no user seed block"));
	assert_int_equal(parse("-----BEGIN NATS USER JWT-----\n" JWT "\n", c, err), -EINVAL);
	assert_non_null(strstr(err, "not closed"));
	assert_int_equal(parse("-----BEGIN NATS USER JWT-----\n------END NATS USER JWT------\n",
			       c, err), -EINVAL);
	assert_non_null(strstr(err, "empty"));
	assert_int_equal(parse("-----BEGIN NATS USER JWT-----\nnot.a\n------END------\n", c,
			       err), -EINVAL);
	assert_non_null(strstr(err, "not a JWT"));
	assert_int_equal(parse("-----BEGIN NATS USER JWT-----\nab cd\n------END------\n", c,
			       err), -EINVAL);
	assert_int_equal(parse("-----BEGIN NATS USER JWT-----\n" JWT "\n------END------\n"
			       "-----BEGIN USER NKEY SEED-----\nSUAAABYOCUOCGKRRHA7UMTKULNRGS4DX"
			       "P2CYZE42UGUK7NV5YTF5FWIXJA\n------END USER NKEY SEED------\n", c,
			       err), -EBADMSG);
	assert_non_null(strstr(err, "seed block"));
	assert_non_null(strstr(err, "CRC16"));
	free(c);
}

static void
secret_file_modes(void **state)
{
	char path[] = "/tmp/jw-test-auth-XXXXXX", buf[128], err[256];
	size_t n = 0;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, GO_SEED "\n", strlen(GO_SEED) + 1), (ssize_t)strlen(GO_SEED) + 1);
	close(fd);
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(jw_secret_file_read(path, buf, sizeof(buf), &n, err, sizeof(err)), 0);
	assert_int_equal(n, strlen(GO_SEED) + 1);
	assert_memory_equal(buf, GO_SEED, strlen(GO_SEED));
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(jw_secret_file_read(path, buf, sizeof(buf), &n, err, sizeof(err)), 0);
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(jw_secret_file_read(path, buf, sizeof(buf), &n, err, sizeof(err)), -EPERM);
	assert_non_null(strstr(err, "0644"));
	assert_non_null(strstr(err, path));
	assert_null(strstr(err, "SUAA"));
	assert_int_equal(chmod(path, 0602), 0);
	assert_int_equal(jw_secret_file_read(path, buf, sizeof(buf), &n, err, sizeof(err)), -EPERM);
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(jw_secret_file_read(path, buf, 20, &n, err, sizeof(err)), -E2BIG);
	assert_int_equal(jw_secret_file_read("/tmp", buf, sizeof(buf), &n, err, sizeof(err)),
			 -EINVAL);
	unlink(path);
	assert_int_equal(jw_secret_file_read(path, buf, sizeof(buf), &n, err, sizeof(err)), -ENOENT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(crc16_known),
		cmocka_unit_test(base32_rfc4648),
		cmocka_unit_test(base64url_rfc4648),
		cmocka_unit_test(seed_decodes_and_signs_like_go_nkeys),
		cmocka_unit_test(damaged_and_wrong_seeds_refused),
		cmocka_unit_test(seed_spare_bits_refused),
		cmocka_unit_test(creds_parse),
		cmocka_unit_test(secret_file_modes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
