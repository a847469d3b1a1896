#include <limits.h>
#include <stdlib.h>

#include <openssl/evp.h>

#include "siv.h"

struct siv {
	EVP_CIPHER_CTX *enc;	/* keyed once, never used up */
	EVP_CIPHER_CTX *dec;
	EVP_CIPHER_CTX *work;	/* a copy of one of them, per value */
};

struct siv *
siv_new(const unsigned char *key, size_t keylen)
{
	EVP_CIPHER *c;
	struct siv *s;
	int ok;

	if (keylen != 32 && keylen != 64)
		return NULL;
	if ((s = calloc(1, sizeof *s)) == NULL)
		return NULL;
	c = EVP_CIPHER_fetch(NULL, keylen == 32 ? "AES-128-SIV" : "AES-256-SIV",
	    NULL);
	s->enc = EVP_CIPHER_CTX_new();
	s->dec = EVP_CIPHER_CTX_new();
	s->work = EVP_CIPHER_CTX_new();
	ok = c != NULL && s->enc != NULL && s->dec != NULL && s->work != NULL &&
	    EVP_EncryptInit_ex2(s->enc, c, key, NULL, NULL) == 1 &&
	    EVP_DecryptInit_ex2(s->dec, c, key, NULL, NULL) == 1;
	EVP_CIPHER_free(c);
	if (!ok) {
		siv_free(s);
		return NULL;
	}
	return s;
}

void
siv_free(struct siv *s)
{
	if (s == NULL)
		return;
	EVP_CIPHER_CTX_free(s->enc);
	EVP_CIPHER_CTX_free(s->dec);
	EVP_CIPHER_CTX_free(s->work);
	free(s);
}

/*
 * OpenSSL 3.0 cannot restart a finished SIV context without keying it
 * again (an init with a NULL key keeps the finished state), and keying
 * costs more than copying: so each value works on a copy of a context
 * keyed once.
 */
int
siv_encrypt(struct siv *s, const void *ad, size_t adlen, const void *pt,
    size_t n, unsigned char *out)
{
	int l, l2;

	if (n == 0 || n > INT_MAX || adlen > INT_MAX)
		return -1;
	if (EVP_CIPHER_CTX_copy(s->work, s->enc) != 1)
		return -1;
	if (ad != NULL && EVP_EncryptUpdate(s->work, NULL, &l, ad, (int)adlen) != 1)
		return -1;
	if (EVP_EncryptUpdate(s->work, out + SIV_TAG_LEN, &l, pt, (int)n) != 1 ||
	    EVP_EncryptFinal_ex(s->work, out + SIV_TAG_LEN + l, &l2) != 1 ||
	    EVP_CIPHER_CTX_ctrl(s->work, EVP_CTRL_AEAD_GET_TAG, SIV_TAG_LEN,
	    out) != 1)
		return -1;
	return 0;
}

int
siv_decrypt(struct siv *s, const void *ad, size_t adlen,
    const unsigned char *in, size_t n, unsigned char *out)
{
	int l, l2;

	if (n <= SIV_TAG_LEN || n > INT_MAX || adlen > INT_MAX)
		return -1;
	if (EVP_CIPHER_CTX_copy(s->work, s->dec) != 1 ||
	    EVP_CIPHER_CTX_ctrl(s->work, EVP_CTRL_AEAD_SET_TAG, SIV_TAG_LEN,
	    (void *)in) != 1)
		return -1;
	if (ad != NULL && EVP_DecryptUpdate(s->work, NULL, &l, ad, (int)adlen) != 1)
		return -1;
	if (EVP_DecryptUpdate(s->work, out, &l, in + SIV_TAG_LEN,
	    (int)(n - SIV_TAG_LEN)) != 1 ||
	    EVP_DecryptFinal_ex(s->work, out + l, &l2) != 1)
		return -1;
	return 0;
}
