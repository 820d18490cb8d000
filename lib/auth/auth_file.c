/* Secret files: read only when no one but the owner and the group may read or write them. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdbool.h>

#include "auth/auth.h"
#include "common/jw_err.h"

int
jw_secret_file_read(const char *path, char *buf, size_t cap, size_t *len, char *err,
		    size_t errlen)
{
	struct stat st;
	size_t n = 0;
	int fd, rc = 0;

	if (path == NULL || buf == NULL || cap == 0 || len == NULL) {
		jw_errf(err, errlen, "no file");
		return -EINVAL;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		rc = -errno;
		jw_errf(err, errlen, "%s: %s", path, strerror(errno));
		return rc;
	}
	/* fstat of the opened file: the mode checked is the mode of what is read */
	if (fstat(fd, &st) != 0) {
		rc = -errno;
		jw_errf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		jw_errf(err, errlen, "%s: not a regular file", path);
		rc = -EINVAL;
		goto out;
	}
	if ((st.st_mode & 007) != 0) {
		jw_errf(err, errlen, "%s: mode %04o lets others than its owner and group use "
			"this secret; refused (chmod o-rwx %s)", path,
			(unsigned)(st.st_mode & 07777), path);
		rc = -EPERM;
		goto out;
	}
	for (;;) {
		ssize_t r = read(fd, buf + n, cap - n);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			jw_errf(err, errlen, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n == cap) {
			jw_errf(err, errlen, "%s: larger than %zu bytes: not a seed or .creds file",
				path, cap - 1);
			rc = -E2BIG;
			goto out;
		}
	}
	buf[n] = '\0';
	*len = n;
out:
	if (rc != 0)
		jw_secret_wipe(buf, cap);
	close(fd);
	return rc;
}

int
jw_auth_load(const char *nkey_seed_file, const char *creds_file, struct jw_creds *out,
	     char *err, size_t errlen)
{
	bool seed = nkey_seed_file != NULL && nkey_seed_file[0] != '\0';
	bool creds = creds_file != NULL && creds_file[0] != '\0';
	const char *key = seed ? "nkey_seed_file" : "creds_file";
	const char *path = seed ? nkey_seed_file : creds_file;
	static char buf[JW_SECRET_FILE_MAX];  /* start-up only, wiped after use */
	char why[256];
	size_t len = 0;
	int rc;

	if (out == NULL || seed == creds) {
		jw_errf(err, errlen, "[nats] set exactly one of nkey_seed_file and creds_file");
		return -EINVAL;
	}
	rc = jw_secret_file_read(path, buf, sizeof(buf), &len, why, sizeof(why));
	if (rc != 0) {
		jw_errf(err, errlen, "[nats] %s %s", key, why);
		return rc;
	}
	memset(out, 0, sizeof(*out));
	if (seed)
		rc = jw_nkey_from_seed(buf, len, &out->key, why, sizeof(why));
	else
		rc = jw_creds_parse(buf, len, out, why, sizeof(why));
	jw_secret_wipe(buf, sizeof(buf));
	if (rc != 0) {
		jw_errf(err, errlen, "[nats] %s %s: %s", key, path, why);
		jw_creds_wipe(out);
	}
	return rc;
}
