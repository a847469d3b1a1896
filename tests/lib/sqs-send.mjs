// sqs-send.mjs ENDPOINT QUEUE_URL FILE [PARALLEL]: sends each line of
// FILE as one message body, in SendMessageBatch calls of ten, PARALLEL
// calls in flight.  Prints the number sent; exits 1 if any failed.
import { readFileSync } from "node:fs";

const [endpoint, queueUrl, file, par = "8"] = process.argv.slice(2);
const text = readFileSync(file, "utf8");
const lines = text.split("\n");
if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();

const batches = [];
for (let i = 0; i < lines.length; i += 10)
	batches.push(lines.slice(i, i + 10));

let sent = 0, next = 0;
async function worker() {
	while (next < batches.length) {
		const b = batches[next++];
		const body = JSON.stringify({
			QueueUrl: queueUrl,
			Entries: b.map((m, k) => ({ Id: `m${k}`, MessageBody: m })),
		});
		for (let attempt = 0; ; attempt++) {
			const r = await fetch(endpoint + "/", {
				method: "POST",
				headers: {
					"Content-Type": "application/x-amz-json-1.0",
					"X-Amz-Target": "AmazonSQS.SendMessageBatch",
				},
				body,
			});
			const j = await r.json();
			if (r.ok && j.Failed.length === 0) {
				sent += j.Successful.length;
				break;
			}
			if (attempt === 5)
				throw new Error(`SendMessageBatch failed: ${JSON.stringify(j)}`);
		}
	}
}
await Promise.all(Array.from({ length: Number(par) }, worker));
console.log(sent);
