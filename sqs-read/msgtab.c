#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "msgtab.h"

static uint64_t
hash(uint64_t seed, const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ seed;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	return h ^ (h >> 29);
}

int
msgtab_init(struct msgtab *t)
{
	memset(t, 0, sizeof *t);
	t->nbucket = 1024;
	t->seed = (uint64_t)time(NULL) * 0x9e3779b97f4a7c15ULL ^ (uint64_t)getpid();
	return (t->bucket = calloc(t->nbucket, sizeof *t->bucket)) == NULL ? -1 : 0;
}

void
msgtab_free(struct msgtab *t)
{
	struct msg *m, *n;
	size_t i;

	for (i = 0; i < t->nbucket; i++)
		for (m = t->bucket[i]; m != NULL; m = n) {
			n = m->hnext;
			free(m);
		}
	free(t->bucket);
	memset(t, 0, sizeof *t);
}

struct msg *
msg_new(const char *id, size_t idlen, const char *handle, size_t hlen)
{
	struct msg *m = calloc(1, sizeof *m + idlen + hlen + 2);

	if (m == NULL)
		return NULL;
	m->id = (char *)(m + 1);
	m->handle = m->id + idlen + 1;
	memcpy(m->id, id, idlen);
	memcpy(m->handle, handle, hlen);
	m->idlen = idlen;
	m->hlen = hlen;
	m->refs = 1;
	m->state = M_WRITING;
	return m;
}

/*
 * Doubles the buckets.  If memory ran out the table stays as it is: its
 * chains get longer, and it still works.
 */
static void
grow(struct msgtab *t)
{
	size_t n = t->nbucket * 2, i;
	struct msg **b = calloc(n, sizeof *b), *m, *next;

	if (b == NULL)
		return;
	for (i = 0; i < t->nbucket; i++)
		for (m = t->bucket[i]; m != NULL; m = next) {
			next = m->hnext;
			m->hnext = b[m->hash & (n - 1)];
			b[m->hash & (n - 1)] = m;
		}
	free(t->bucket);
	t->bucket = b;
	t->nbucket = n;
}

void
msgtab_add(struct msgtab *t, struct msg *m)
{
	if (t->count >= t->nbucket)
		grow(t);
	m->hash = hash(t->seed, m->handle, m->hlen);
	m->hnext = t->bucket[m->hash & (t->nbucket - 1)];
	t->bucket[m->hash & (t->nbucket - 1)] = m;
	t->count++;
}

struct msg *
msgtab_find(const struct msgtab *t, const char *handle, size_t hlen)
{
	uint64_t h = hash(t->seed, handle, hlen);
	struct msg *m;

	for (m = t->bucket[h & (t->nbucket - 1)]; m != NULL; m = m->hnext)
		if (m->hash == h && m->hlen == hlen && memcmp(m->handle, handle, hlen) == 0)
			return m;
	return NULL;
}

void
msgtab_remove(struct msgtab *t, struct msg *m)
{
	struct msg **p = &t->bucket[m->hash & (t->nbucket - 1)];

	while (*p != NULL && *p != m)
		p = &(*p)->hnext;
	if (*p == m) {
		*p = m->hnext;
		t->count--;
	}
	hb_unlink(t, m);
	m->state = M_GONE;
	msg_unref(m);
}

void
msg_ref(struct msg *m)
{
	m->refs++;
}

void
msg_unref(struct msg *m)
{
	if (--m->refs == 0)
		free(m);
}

void
hb_append(struct msgtab *t, struct msg *m)
{
	if (m->on_hb)
		hb_unlink(t, m);
	m->next = NULL;
	m->prev = t->hb_tail;
	if (t->hb_tail != NULL)
		t->hb_tail->next = m;
	else
		t->hb_head = m;
	t->hb_tail = m;
	m->on_hb = 1;
	t->hb_n++;
}

void
hb_unlink(struct msgtab *t, struct msg *m)
{
	if (!m->on_hb)
		return;
	if (m->prev != NULL)
		m->prev->next = m->next;
	else
		t->hb_head = m->next;
	if (m->next != NULL)
		m->next->prev = m->prev;
	else
		t->hb_tail = m->prev;
	m->prev = m->next = NULL;
	m->on_hb = 0;
	t->hb_n--;
}

void
fifo_push(struct fifo *f, struct msg *m)
{
	m->qnext = NULL;
	if (f->tail != NULL)
		f->tail->qnext = m;
	else
		f->head = m;
	f->tail = m;
	f->n++;
}

struct msg *
fifo_pop(struct fifo *f)
{
	struct msg *m = f->head;

	if (m == NULL)
		return NULL;
	f->head = m->qnext;
	if (f->head == NULL)
		f->tail = NULL;
	m->qnext = NULL;
	f->n--;
	return m;
}

void
idset_init(struct idset *s, size_t max)
{
	memset(s, 0, sizeof *s);
	s->max = max;
}

void
idset_free(struct idset *s)
{
	free(s->slot);
	memset(s, 0, sizeof *s);
}

static const unsigned char zero16[16];

/* Inserts digest d into a table known to have room; 1 new, 0 present. */
static int
insert(unsigned char (*slot)[16], size_t cap, const unsigned char *d)
{
	uint64_t h;
	size_t i;

	memcpy(&h, d, sizeof h);
	for (i = h & (cap - 1);; i = (i + 1) & (cap - 1)) {
		if (memcmp(slot[i], zero16, 16) == 0) {
			memcpy(slot[i], d, 16);
			return 1;
		}
		if (memcmp(slot[i], d, 16) == 0)
			return 0;
	}
}

/* Whether digest d is in the table. */
static int
lookup(unsigned char (*slot)[16], size_t cap, const unsigned char *d)
{
	uint64_t h;
	size_t i;

	memcpy(&h, d, sizeof h);
	for (i = h & (cap - 1); memcmp(slot[i], zero16, 16) != 0; i = (i + 1) & (cap - 1))
		if (memcmp(slot[i], d, 16) == 0)
			return 1;
	return 0;
}

/* The 16-byte digest that stands for id: 0, or -1 if it cannot be made. */
static int
digest(const char *id, size_t len, unsigned char *d)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	static EVP_MD *md5;

	/* Fetched once: OpenSSL 3 would look it up on every call. */
	if (md5 == NULL && (md5 = EVP_MD_fetch(NULL, "MD5", NULL)) == NULL)
		return -1;
	if (!EVP_Digest(id, len, md, &mdlen, md5, NULL) || mdlen != 16)
		return -1;
	memcpy(d, md, 16);
	if (memcmp(d, zero16, 16) == 0)
		d[0] = 1;	/* zero marks an empty slot */
	return 0;
}

int
idset_has(const struct idset *s, const char *id, size_t len)
{
	unsigned char d[16];

	if (s->cap == 0 || digest(id, len, d) == -1)
		return 0;
	return lookup(s->slot, s->cap, d);
}

int
idset_add(struct idset *s, const char *id, size_t len)
{
	unsigned char d[16], (*n)[16];
	size_t i, ncap;
	int r;

	if (digest(id, len, d) == -1)
		return -1;
	if (s->n >= s->max)
		return s->cap > 0 && lookup(s->slot, s->cap, d) ? 0 : -1;
	if (s->n + 1 > s->cap / 2) {
		ncap = s->cap ? s->cap * 2 : 4096;
		if ((n = calloc(ncap, 16)) == NULL)
			return -1;
		for (i = 0; i < s->cap; i++)
			if (memcmp(s->slot[i], zero16, 16) != 0)
				insert(n, ncap, s->slot[i]);
		free(s->slot);
		s->slot = n;
		s->cap = ncap;
	}
	if ((r = insert(s->slot, s->cap, d)) == 1)
		s->n++;
	return r;
}
