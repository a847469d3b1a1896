/* msgtab: held messages by receipt handle, their lists, the dump's id set. */
#include <stdio.h>
#include <string.h>

#include "msgtab.h"
#include "tap.h"

int
main(void)
{
	struct msgtab t;
	struct msg *m[3000], *x;
	struct fifo f = { 0 };
	struct idset s;
	char h[32], id[32];
	int i, found = 0, order = 1;

	ok(msgtab_init(&t) == 0, "init");
	for (i = 0; i < 3000; i++) {
		snprintf(h, sizeof h, "handle-%d", i);
		snprintf(id, sizeof id, "id-%d", i);
		m[i] = msg_new(id, strlen(id), h, strlen(h));
		msgtab_add(&t, m[i]);
		hb_append(&t, m[i]);
	}
	is_int(t.count, 3000, "3000 held (the table grew)");
	for (i = 0; i < 3000; i++) {
		snprintf(h, sizeof h, "handle-%d", i);
		found += msgtab_find(&t, h, strlen(h)) == m[i];
	}
	is_int(found, 3000, "each found by its handle");
	ok(msgtab_find(&t, "handle-", 7) == NULL, "a prefix is not a handle");
	is_str(m[7]->id, "id-7", "the id kept");
	hb_append(&t, m[0]);
	ok(t.hb_tail == m[0] && t.hb_head == m[1], "moved to the tail of the heartbeat list");
	msg_ref(m[5]);
	msgtab_remove(&t, m[5]);
	ok(msgtab_find(&t, "handle-5", 8) == NULL && t.count == 2999, "removed");
	ok(m[5]->state == M_GONE && t.hb_n == 2999, "gone, off the heartbeat list");
	msg_unref(m[5]);	/* the last reference: freed (ASan would see a leak otherwise) */
	fifo_push(&f, m[1]);
	fifo_push(&f, m[2]);
	fifo_push(&f, m[3]);
	for (i = 1; (x = fifo_pop(&f)) != NULL; i++)
		order &= x == m[i];
	ok(order && i == 4 && f.n == 0, "a FIFO keeps its order");
	msgtab_free(&t);

	idset_init(&s, 5000);
	ok(!idset_has(&s, "00000007-id", 11), "an empty set has nothing");
	for (i = 0, found = 0; i < 5000; i++) {
		snprintf(id, sizeof id, "%08x-id", i);
		found += idset_add(&s, id, strlen(id));
	}
	is_int(found, 5000, "5000 new ids");
	ok(idset_add(&s, "00000007-id", 11) == 0, "one seen before");
	ok(idset_has(&s, "00000007-id", 11) && !idset_has(&s, "00000007-i", 10),
	    "looked up without adding");
	ok(idset_add(&s, "brand-new", 9) == -1, "past the cap: full");
	idset_free(&s);
	return done_testing();
}
