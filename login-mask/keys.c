#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "keys.h"

#define ID_LABEL "login-mask 1 key id"

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int
blank(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * Whether p[0..n) is hex digits with nothing around them but ASCII
 * white space, as an editor or another system may leave it; if so,
 * the digits are p[*start..*end).  A random raw key is never that.
 */
static int
is_hex(const unsigned char *p, size_t n, size_t *start, size_t *end)
{
	size_t i, a = 0, b = n;

	while (a < b && blank(p[a]))
		a++;
	while (b > a && blank(p[b - 1]))
		b--;
	if (a == b)
		return 0;
	for (i = a; i < b; i++)
		if (hexval(p[i]) < 0)
			return 0;
	*start = a;
	*end = b;
	return 1;
}

/* Reads all of fd (a regular file) into k->secret; -1 if past the cap. */
static int
read_secret(int fd, struct key *k)
{
	ssize_t r;

	k->len = 0;
	for (;;) {
		if (k->len == sizeof k->secret) {
			/* One byte more means the file is too long. */
			unsigned char c;

			do
				r = read(fd, &c, 1);
			while (r == -1 && errno == EINTR);
			if (r == 0)
				return 0;
			if (r > 0)
				errno = EFBIG;
			return -1;
		}
		r = read(fd, k->secret + k->len, sizeof k->secret - k->len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return -1;
		if (r == 0)
			return 0;
		k->len += (size_t)r;
	}
}

static int
decode(struct key *k, char *why, size_t whylen)
{
	size_t a, b, n, i;

	if (!is_hex(k->secret, k->len, &a, &b))
		return 0;
	n = b - a;
	if (n % 2 != 0) {
		snprintf(why, whylen, "odd number of hex digits (%zu)", n);
		return -1;
	}
	/* In place: byte i lands at or before a + 2i, digits already read. */
	for (i = 0; i < n / 2; i++)
		k->secret[i] = (unsigned char)(hexval(k->secret[a + 2 * i]) << 4 |
		    hexval(k->secret[a + 2 * i + 1]));
	OPENSSL_cleanse(k->secret + n / 2, k->len - n / 2);
	k->len = n / 2;
	return 0;
}

/*
 * The key read into k->secret: decoded if hex, long enough, and named by
 * its id.  On failure, wiped.
 */
static int
finish(struct key *k, char *why, size_t whylen)
{
	static const char hexd[] = "0123456789abcdef";
	unsigned char id[KEY_ID_LEN / 2];
	int i;

	if (decode(k, why, whylen) == -1)
		goto fail;
	if (k->len < KEY_MIN) {
		snprintf(why, whylen, "%zu bytes of key: too short, at least %d "
		    "(openssl rand -hex %d makes one)", k->len, KEY_MIN, KEY_MIN);
		goto fail;
	}
	if (key_derive(k, ID_LABEL, id, sizeof id) == -1) {
		snprintf(why, whylen, "cannot derive its key id (HKDF failed)");
		goto fail;
	}
	for (i = 0; i < KEY_ID_LEN / 2; i++) {
		k->id[2 * i] = hexd[id[i] >> 4];
		k->id[2 * i + 1] = hexd[id[i] & 15];
	}
	k->id[KEY_ID_LEN] = '\0';
	return 0;
fail:
	key_wipe(k);
	return -1;
}

int
key_load(struct key *k, const char *path, char *why, size_t whylen)
{
	struct stat st;
	int fd;

	memset(k, 0, sizeof *k);
	k->path = path;
	/* O_NONBLOCK: opening a FIFO must not hang; it is refused below. */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd == -1) {
		if (errno == ELOOP)
			snprintf(why, whylen, "a symbolic link (not followed)");
		else
			snprintf(why, whylen, "%s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		snprintf(why, whylen, "%s", strerror(errno));
		goto fail;
	}
	if (S_ISDIR(st.st_mode)) {
		snprintf(why, whylen, "is a directory");
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "not a regular file");
		goto fail;
	}
	if (st.st_mode & 077) {
		snprintf(why, whylen, "mode %04o gives group or others access "
		    "(chmod 600 it)", (unsigned)(st.st_mode & 07777));
		goto fail;
	}
	if (read_secret(fd, k) == -1) {
		if (errno == EFBIG)
			snprintf(why, whylen, "longer than %d bytes: not a key file",
			    KEY_FILE_MAX);
		else
			snprintf(why, whylen, "%s", strerror(errno));
		goto fail;
	}
	close(fd);
	return finish(k, why, whylen);
fail:
	close(fd);
	key_wipe(k);
	return -1;
}

int
key_set(struct key *k, const void *p, size_t n, char *why, size_t whylen)
{
	memset(k, 0, sizeof *k);
	if (n > sizeof k->secret) {
		snprintf(why, whylen, "longer than %d bytes: not a key file",
		    KEY_FILE_MAX);
		return -1;
	}
	memcpy(k->secret, p, n);
	k->len = n;
	return finish(k, why, whylen);
}

int
key_derive(const struct key *k, const char *label, unsigned char *out,
    size_t n)
{
	EVP_KDF *kdf;
	EVP_KDF_CTX *ctx = NULL;
	OSSL_PARAM p[4];
	int rv = -1;

	if ((kdf = EVP_KDF_fetch(NULL, "HKDF", NULL)) == NULL)
		return -1;
	p[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
	    "SHA256", 0);
	p[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
	    (void *)k->secret, k->len);
	p[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
	    (void *)label, strlen(label));
	p[3] = OSSL_PARAM_construct_end();
	if ((ctx = EVP_KDF_CTX_new(kdf)) != NULL &&
	    EVP_KDF_derive(ctx, out, n, p) == 1)
		rv = 0;
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return rv;
}

void
key_wipe(struct key *k)
{
	OPENSSL_cleanse(k->secret, sizeof k->secret);
	k->len = 0;
}
