/*
 * crypto: HMAC-SHA256 against RFC 4231 and against OpenSSL's EVP HMAC,
 * AES-SIV against RFC 5297 and against OpenSSL's EVP SIV, HKDF against
 * RFC 5869.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "hmac.h"
#include "keys.h"
#include "siv.h"
#include "tap.h"

static size_t
unhex(const char *h, unsigned char *out)
{
	size_t n = 0;
	unsigned v;

	for (; h[0] && h[1]; h += 2) {
		sscanf(h, "%2x", &v);
		out[n++] = (unsigned char)v;
	}
	return n;
}

static void
hmac_kat(const char *what, const char *keyhex, size_t keyrep,
    const char *data, size_t datalen, const char *machex)
{
	unsigned char key[256], want[32], got[32];
	size_t klen = unhex(keyhex, key), i;
	struct hmac_sha256 *h;

	/* keyrep > 0: the key is keyhex's one byte, repeated. */
	for (i = 1; i < keyrep; i++)
		key[i] = key[0];
	if (keyrep > 0)
		klen = keyrep;
	unhex(machex, want);
	h = hmac_sha256_new(key, klen);
	hmac_sha256(h, data, datalen, got);
	is_mem(got, 32, want, 32, what);
	hmac_sha256_free(h);
}

static void
hmac_tests(void)
{
	unsigned char key[200], msg[300], a[32], b[32];
	unsigned int blen;
	unsigned seed = 7;
	struct hmac_sha256 *h;
	int i, k, same = 1;

	hmac_kat("RFC 4231 test case 1", "0b", 20, "Hi There", 8,
	    "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
	hmac_kat("RFC 4231 test case 2 (a short key)", "4a656665", 0,
	    "what do ya want for nothing?", 28,
	    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	memset(msg, 0xdd, 50);
	hmac_kat("RFC 4231 test case 3", "aa", 20, (char *)msg, 50,
	    "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
	memset(msg, 0xcd, 50);
	hmac_kat("RFC 4231 test case 4", "0102030405060708090a0b0c0d0e0f10111213"
	    "141516171819", 0, (char *)msg, 50,
	    "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
	hmac_kat("RFC 4231 test case 6 (a key longer than a block)", "aa", 131,
	    "Test Using Larger Than Block-Size Key - Hash Key First", 54,
	    "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
	hmac_kat("RFC 4231 test case 7", "aa", 131,
	    "This is a test using a larger than block-size key and a larger "
	    "than block-size data. The key needs to be hashed before being used "
	    "by the HMAC algorithm.", 152,
	    "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");

	/* Lengths around the block and padding boundaries, and reuse. */
	for (k = 0; k < 200 && same; k++) {
		size_t klen = (size_t)(k % 100) + 1, mlen = (size_t)(k * 7 % 300);

		for (i = 0; i < 200; i++)
			key[i] = (unsigned char)(seed = seed * 1103515245 + 12345) >> 3;
		for (i = 0; i < 300; i++)
			msg[i] = (unsigned char)((seed = seed * 1103515245 + 12345) >> 5);
		h = hmac_sha256_new(key, klen);
		hmac_sha256(h, msg, mlen, a);
		hmac_sha256(h, msg, mlen, a);	/* the prepared key is reusable */
		HMAC(EVP_sha256(), key, (int)klen, msg, mlen, b, &blen);
		same = blen == 32 && memcmp(a, b, 32) == 0;
		hmac_sha256_free(h);
	}
	ok(same, "agrees with OpenSSL's HMAC for 200 keys and lengths, "
	    "with the key reused");

	/* Every length a value takes in one padded block, and past it. */
	h = hmac_sha256_new(key, 32);
	for (k = 0, same = 1; k <= 130 && same; k++) {
		hmac_sha256(h, msg, (size_t)k, a);
		HMAC(EVP_sha256(), key, 32, msg, (size_t)k, b, &blen);
		same = blen == 32 && memcmp(a, b, 32) == 0;
	}
	hmac_sha256_free(h);
	ok(same, "agrees with OpenSSL's HMAC for every length from 0 to 130");
}

static void
siv_tests(void)
{
	unsigned char key[32], ad[64], pt[64], want[64], out[64], back[64];
	size_t adlen, ptlen, wantlen;
	struct siv *s, *s2;

	/* RFC 5297 appendix A.1, deterministic authenticated encryption. */
	unhex("fffefdfcfbfaf9f8f7f6f5f4f3f2f1f0f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff",
	    key);
	adlen = unhex("101112131415161718191a1b1c1d1e1f2021222324252627", ad);
	ptlen = unhex("112233445566778899aabbccddee", pt);
	wantlen = unhex("85632d07c6e8f37f950acd320a2ecc93"
	    "40c02b9690c4dc04daef7f6afe5c", want);
	s = siv_new(key, 32);
	ok(s != NULL, "an AES-128-SIV context is keyed");
	ok(siv_encrypt(s, ad, adlen, pt, ptlen, out) == 0,
	    "RFC 5297 A.1 encrypts");
	is_mem(out, ptlen + SIV_TAG_LEN, want, wantlen,
	    "RFC 5297 A.1: the synthetic IV and ciphertext match");
	ok(siv_encrypt(s, ad, adlen, pt, ptlen, out) == 0 &&
	    memcmp(out, want, wantlen) == 0,
	    "the same context encrypts again, deterministically");
	ok(siv_decrypt(s, ad, adlen, want, wantlen, back) == 0,
	    "RFC 5297 A.1 decrypts");
	is_mem(back, ptlen, pt, ptlen, "to the plaintext");
	out[SIV_TAG_LEN] ^= 1;
	ok(siv_decrypt(s, ad, adlen, out, wantlen, back) == -1,
	    "a flipped ciphertext bit does not authenticate");
	out[SIV_TAG_LEN] ^= 1;
	out[0] ^= 0x80;
	ok(siv_decrypt(s, ad, adlen, out, wantlen, back) == -1,
	    "a flipped IV bit does not authenticate");
	ok(siv_decrypt(s, ad, adlen - 1, want, wantlen, back) == -1,
	    "other associated data does not authenticate");
	ok(siv_decrypt(s, ad, adlen, want, wantlen, back) == 0,
	    "and a failure leaves the context usable");
	key[0] ^= 1;
	s2 = siv_new(key, 32);
	ok(siv_decrypt(s2, ad, adlen, want, wantlen, back) == -1,
	    "another key does not authenticate");
	ok(siv_encrypt(s, NULL, 0, pt, 0, out) == -1 &&
	    siv_decrypt(s, NULL, 0, want, SIV_TAG_LEN, back) == -1,
	    "empty plaintexts are refused, not encrypted");
	ok(siv_new(key, 16) == NULL, "a 16-byte key is refused");
	siv_free(s);
	siv_free(s2);
}

/* OpenSSL's own AES-SIV of pt[0..n), with ad if not NULL, into out. */
static int
evp_siv(const unsigned char *key, size_t keylen, const unsigned char *ad,
    size_t adlen, const unsigned char *pt, size_t n, unsigned char *out)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	EVP_CIPHER *siv = EVP_CIPHER_fetch(NULL, keylen == 32 ? "AES-128-SIV" :
	    "AES-256-SIV", NULL);
	int l, l2, r;

	r = c != NULL && siv != NULL &&
	    EVP_EncryptInit_ex2(c, siv, key, NULL, NULL) == 1 &&
	    (ad == NULL ||
	    EVP_EncryptUpdate(c, NULL, &l, ad, (int)adlen) == 1) &&
	    EVP_EncryptUpdate(c, out + SIV_TAG_LEN, &l, pt, (int)n) == 1 &&
	    EVP_EncryptFinal_ex(c, out + SIV_TAG_LEN + l, &l2) == 1 &&
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, SIV_TAG_LEN,
	    out) == 1 ? 0 : -1;
	EVP_CIPHER_free(siv);
	EVP_CIPHER_CTX_free(c);
	return r;
}

/*
 * siv_encrypt() is S2V and CTR of its own: it must give what OpenSSL's
 * SIV gives, for both key sizes, every length across several blocks,
 * with and without associated data, and decrypt back.
 */
static void
siv_against_openssl(void)
{
	unsigned char key[64], ad[70], pt[70], a[90], b[90], back[90];
	size_t keylen, n, adlen, bad = 0, tried = 0;
	struct siv *s;
	int withad;

	for (n = 0; n < sizeof key; n++)
		key[n] = (unsigned char)(n * 37 + 11);
	for (n = 0; n < sizeof pt; n++)
		pt[n] = ad[n] = (unsigned char)(n * 151 + 7);
	for (keylen = 32; keylen <= 64; keylen += 32) {
		if ((s = siv_new(key, keylen)) == NULL) {
			bad++;
			continue;
		}
		for (withad = 0; withad < 2; withad++)
			for (n = 1; n < sizeof pt; n++) {
				adlen = withad ? n % 40 : 0;
				tried++;
				if (siv_encrypt(s, withad ? ad : NULL, adlen, pt,
				    n, a) != 0 || evp_siv(key, keylen,
				    withad ? ad : NULL, adlen, pt, n, b) != 0 ||
				    memcmp(a, b, n + SIV_TAG_LEN) != 0 ||
				    siv_decrypt(s, withad ? ad : NULL, adlen, a,
				    n + SIV_TAG_LEN, back) != 0 ||
				    memcmp(back, pt, n) != 0)
					bad++;
			}
		siv_free(s);
	}
	ok(tried == 276 && bad == 0,
	    "agrees with OpenSSL's SIV for 1 to 69 bytes, both key sizes, "
	    "with and without associated data, and decrypts back");
}

static void
hkdf_tests(void)
{
	struct key k;
	unsigned char okm[42], want[42];

	/* RFC 5869 test case 3: SHA-256, no salt, no info. */
	memset(&k, 0, sizeof k);
	memset(k.secret, 0x0b, 22);
	k.len = 22;
	unhex("8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
	    "9d201395faa4b61a96c8", want);
	ok(key_derive(&k, "", okm, sizeof okm) == 0, "HKDF derives");
	is_mem(okm, 42, want, 42, "RFC 5869 test case 3");
	key_wipe(&k);
}

int
main(void)
{
	hmac_tests();
	siv_tests();
	siv_against_openssl();
	hkdf_tests();
	return done_testing();
}
