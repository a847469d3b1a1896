/*
 * sqs-drain: the least a client can do to empty an SQS queue, to measure
 * what the emulator itself can serve.
 *
 *	sqs-drain [-c concurrency] endpoint queue-url
 *
 * Each of the concurrency workers receives up to ten messages, deletes
 * them in one DeleteMessageBatch, and repeats until a receive comes back
 * empty.  No signing (the emulator ignores it), no JSON parser: receipt
 * handles are cut out of the response text.  Prints
 *	messages=N seconds=S per_second=R cpu_seconds=C
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sysexits.h>
#include <unistd.h>

#include <curl/curl.h>

#include "buf.h"
#include "report.h"

struct worker {
	CURL *easy;
	struct curl_slist *hdrs;
	struct buf req, resp;
	int deleting;
	int done;
	size_t handles;
};

static const char *endpoint, *queue;
static unsigned long long deleted;

static size_t
on_data(char *p, size_t sz, size_t n, void *arg)
{
	struct worker *w = arg;

	return buf_add(&w->resp, p, sz * n) == 0 ? sz * n : 0;
}

static void
post(CURLM *multi, struct worker *w, const char *action)
{
	char target[64];

	curl_multi_remove_handle(multi, w->easy);
	curl_slist_free_all(w->hdrs);
	snprintf(target, sizeof target, "X-Amz-Target: AmazonSQS.%s", action);
	w->hdrs = curl_slist_append(NULL, "Content-Type: application/x-amz-json-1.0");
	w->hdrs = curl_slist_append(w->hdrs, target);
	buf_reset(&w->resp);
	if (curl_easy_setopt(w->easy, CURLOPT_URL, endpoint) != CURLE_OK ||
	    curl_easy_setopt(w->easy, CURLOPT_HTTPHEADER, w->hdrs) != CURLE_OK ||
	    curl_easy_setopt(w->easy, CURLOPT_POSTFIELDS, buf_cstr(&w->req)) != CURLE_OK ||
	    curl_easy_setopt(w->easy, CURLOPT_POSTFIELDSIZE, (long)w->req.len) != CURLE_OK ||
	    curl_easy_setopt(w->easy, CURLOPT_WRITEFUNCTION, on_data) != CURLE_OK ||
	    curl_easy_setopt(w->easy, CURLOPT_WRITEDATA, w) != CURLE_OK ||
	    curl_multi_add_handle(multi, w->easy) != CURLM_OK)
		errx(EX_SOFTWARE, "curl setup failed");
}

static void
receive(CURLM *multi, struct worker *w)
{
	buf_reset(&w->req);
	buf_addf(&w->req, "{\"QueueUrl\":\"%s\",\"MaxNumberOfMessages\":10,"
	    "\"VisibilityTimeout\":300,\"WaitTimeSeconds\":0}", queue);
	w->deleting = 0;
	post(multi, w, "ReceiveMessage");
}

/* Builds the delete batch from the handles in a receive's response. */
static size_t
delete_batch(struct worker *w)
{
	static const char key[] = "\"ReceiptHandle\":\"";
	const char *p = buf_cstr(&w->resp), *e;
	size_t n = 0;

	buf_reset(&w->req);
	buf_addf(&w->req, "{\"QueueUrl\":\"%s\",\"Entries\":[", queue);
	while ((p = strstr(p, key)) != NULL) {
		p += sizeof key - 1;
		for (e = p; *e && *e != '"'; e++)
			if (*e == '\\' && e[1])
				e++;
		buf_addf(&w->req, "%s{\"Id\":\"%zu\",\"ReceiptHandle\":\"%.*s\"}",
		    n ? "," : "", n, (int)(e - p), p);
		n++;
		p = e;
	}
	buf_adds(&w->req, "]}");
	return n;
}

int
main(int argc, char *argv[])
{
	struct worker *ws;
	struct rusage ru;
	CURLM *multi;
	CURLMsg *m;
	int c, nw = 8, running, left, i, active;
	double t0, t1;

	while ((c = getopt(argc, argv, "c:")) != -1) {
		if (c != 'c' || (nw = atoi(optarg)) < 1 || nw > 256) {
			fprintf(stderr, "usage: sqs-drain [-c concurrency] endpoint queue-url\n");
			return EX_USAGE;
		}
	}
	if (argc - optind != 2) {
		fprintf(stderr, "usage: sqs-drain [-c concurrency] endpoint queue-url\n");
		return EX_USAGE;
	}
	endpoint = argv[optind];
	queue = argv[optind + 1];
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0 ||
	    (multi = curl_multi_init()) == NULL ||
	    (ws = calloc((size_t)nw, sizeof *ws)) == NULL)
		errx(EX_SOFTWARE, "setup failed");

	t0 = mono_now();
	for (i = 0; i < nw; i++) {
		buf_init(&ws[i].req, 1 << 20);
		buf_init(&ws[i].resp, 16 << 20);
		if ((ws[i].easy = curl_easy_init()) == NULL)
			errx(EX_SOFTWARE, "curl_easy_init failed");
		receive(multi, &ws[i]);
	}
	active = nw;
	while (active > 0) {
		if (curl_multi_perform(multi, &running) != CURLM_OK ||
		    curl_multi_poll(multi, NULL, 0, 1000, NULL) != CURLM_OK)
			errx(EX_SOFTWARE, "curl multi failed");
		while ((m = curl_multi_info_read(multi, &left)) != NULL) {
			struct worker *w = NULL;
			long code = 0;

			if (m->msg != CURLMSG_DONE)
				continue;
			for (i = 0; i < nw; i++)
				if (ws[i].easy == m->easy_handle)
					w = &ws[i];
			curl_easy_getinfo(w->easy, CURLINFO_RESPONSE_CODE, &code);
			if (m->data.result != CURLE_OK || code != 200)
				errx(EX_UNAVAILABLE, "request failed: %s, HTTP %ld",
				    curl_easy_strerror(m->data.result), code);
			if (w->deleting) {
				deleted += w->handles;
				receive(multi, w);
			} else if ((w->handles = delete_batch(w)) > 0) {
				w->deleting = 1;
				post(multi, w, "DeleteMessageBatch");
			} else {
				curl_multi_remove_handle(multi, w->easy);
				w->done = 1;
				active--;
			}
		}
	}
	t1 = mono_now();
	getrusage(RUSAGE_SELF, &ru);
	printf("messages=%llu seconds=%.3f per_second=%.0f cpu_seconds=%.3f\n",
	    deleted, t1 - t0, (double)deleted / (t1 - t0),
	    (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
	for (i = 0; i < nw; i++) {
		curl_easy_cleanup(ws[i].easy);
		curl_slist_free_all(ws[i].hdrs);
		buf_free(&ws[i].req);
		buf_free(&ws[i].resp);
	}
	free(ws);
	curl_multi_cleanup(multi);
	curl_global_cleanup();
	return 0;
}
