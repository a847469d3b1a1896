#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "awsconf.h"
#include "credsint.h"
#include "ini.h"

void
buf_wipe(struct buf *b)
{
	if (b->data != NULL)
		OPENSSL_cleanse(b->data, b->cap);
	buf_free(b);
}

const char *
env(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : NULL;
}

/*
 * Reads a whole file of at most AWS_FILE_MAX bytes into b.  A missing
 * file is empty.  Returns 0, or -1 with errno.
 */
int
read_file(struct buf *b, const char *path)
{
	char chunk[8192];
	struct stat st;
	ssize_t n;
	int fd;

	buf_reset(b);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1)
		return errno == ENOENT ? 0 : -1;
	if (fstat(fd, &st) == -1 || S_ISDIR(st.st_mode)) {
		if (S_ISDIR(st.st_mode))
			errno = EISDIR;
		close(fd);
		return -1;
	}
	for (;;) {
		n = read(fd, chunk, sizeof chunk);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (buf_add(b, chunk, (size_t)n) == -1) {
			n = -1;
			break;
		}
	}
	OPENSSL_cleanse(chunk, sizeof chunk);
	close(fd);
	if (n == -1) {
		buf_wipe(b);
		return -1;
	}
	return 0;
}

static int
home_path(struct buf *out, const char *var, const char *rel)
{
	const char *v = env(var), *home;
	struct passwd *pw;

	buf_reset(out);
	if (v != NULL)
		return buf_adds(out, v);
	if ((home = env("HOME")) == NULL) {
		if ((pw = getpwuid(getuid())) == NULL)
			return buf_adds(out, rel);
		home = pw->pw_dir;
	}
	return buf_addf(out, "%s/%s", home, rel);
}

int
awsconf_load(struct awsconf *ac, const char *profile_opt, struct buf *err)
{
	const char *p = profile_opt != NULL ? profile_opt : env("AWS_PROFILE");
	struct buf sec = BUF_INIT(4096);
	int found;

	buf_init(&ac->profile, 256);
	buf_init(&ac->cred_path, 4096);
	buf_init(&ac->cfg_path, 4096);
	buf_init(&ac->cred, AWS_FILE_MAX);
	buf_init(&ac->cfg, AWS_FILE_MAX);
	ac->profile_named = p != NULL;
	ac->profile_flag = profile_opt != NULL;
	if (buf_adds(&ac->profile, p != NULL ? p : "default") == -1) {
		buf_addf(err, "profile name too long");
		return EX_USAGE;
	}
	if (home_path(&ac->cred_path, "AWS_SHARED_CREDENTIALS_FILE",
	    ".aws/credentials") == -1 ||
	    home_path(&ac->cfg_path, "AWS_CONFIG_FILE", ".aws/config") == -1) {
		buf_addf(err, "shared file path too long");
		return EX_CONFIG;
	}
	if (read_file(&ac->cred, buf_cstr(&ac->cred_path)) == -1) {
		buf_addf(err, "%s: %s", buf_cstr(&ac->cred_path),
		    errno == EMSGSIZE ? "larger than 1 MiB" : strerror(errno));
		return EX_CONFIG;
	}
	if (read_file(&ac->cfg, buf_cstr(&ac->cfg_path)) == -1) {
		buf_addf(err, "%s: %s", buf_cstr(&ac->cfg_path),
		    errno == EMSGSIZE ? "larger than 1 MiB" : strerror(errno));
		return EX_CONFIG;
	}
	found = ini_has_section(ac->cred.data ? ac->cred.data : "", ac->cred.len,
	    buf_cstr(&ac->profile));
	ini_profile_section(&sec, buf_cstr(&ac->profile), 1);
	found |= ini_has_section(ac->cfg.data ? ac->cfg.data : "", ac->cfg.len,
	    buf_cstr(&sec));
	if (strcmp(buf_cstr(&ac->profile), "default") == 0)
		found |= ini_has_section(ac->cfg.data ? ac->cfg.data : "",
		    ac->cfg.len, "profile default");
	buf_free(&sec);
	if (ac->profile_named && !found) {
		buf_addf(err, "profile %s: not found in %s or %s",
		    buf_cstr(&ac->profile), buf_cstr(&ac->cred_path),
		    buf_cstr(&ac->cfg_path));
		return EX_CONFIG;
	}
	return 0;
}

/* A key of the profile in one file: 1 found, 0 not, -1 too long. */
int
file_get(const struct buf *text, const char *profile, int config,
    const char *key, struct buf *val)
{
	struct buf sec = BUF_INIT(4096);
	int r;

	if (text->len == 0)
		return 0;
	if (ini_profile_section(&sec, profile, config) == -1)
		return -1;
	r = ini_get(text->data, text->len, buf_cstr(&sec), key, val);
	if (r == 0 && config && strcmp(profile, "default") == 0)
		r = ini_get(text->data, text->len, "profile default", key, val);
	buf_free(&sec);
	return r;
}

int
awsconf_get(const struct awsconf *ac, const char *key, struct buf *val)
{
	return file_get(&ac->cfg, buf_cstr(&ac->profile), 1, key, val);
}

void
awsconf_free(struct awsconf *ac)
{
	buf_wipe(&ac->cred);
	buf_wipe(&ac->cfg);
	buf_free(&ac->profile);
	buf_free(&ac->cred_path);
	buf_free(&ac->cfg_path);
}
