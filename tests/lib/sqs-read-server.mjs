// sqs-read-server.mjs PLAN: a scripted SQS front for sqs-read's tests, on
// loopback.  It forwards SQS calls to the real emulator (plan.upstream),
// except where the plan's rules say to fail them, and it checks every
// request's SigV4 signature with the AWS SDK's own signer
// (@smithy/signature-v4), so the signer under test is compared with an
// independent one on real traffic.  It also serves the container
// credentials endpoint (/creds) and IMDSv2 (/latest/...), handing out
// credentials that expire after plan.lifetime seconds, a new key each time.
//
// Plan (JSON):
//   upstream   the emulator's URL
//   tls        {cert, key} files: serve HTTPS
//   secrets    {accessKeyId: secret} known besides the ones it issues
//   token      the container Authorization token required, if any
//   lifetime   seconds the issued credentials last (default 3600)
//   roleFile   a file naming the instance's IAM role, read at each IMDS
//              request (default: the role is test-role)
//   log        file: one JSON line per request (action, key, token, sig)
//   rules      [{action, skip, times, heartbeat, reply}] tried in order; a
//              rule matches an action ("*" for any SQS action;
//              "container" for the container credentials endpoint, named
//              only) after skipping `skip` matching calls, `times` times
//              (default for ever); with heartbeat: true, only a
//              ChangeMessageVisibilityBatch that extends (every
//              VisibilityTimeout above 0).  reply:
//                {status, body, headers}  answer this
//                {garbage: true}          200 with a body that is not JSON
//                {expired: true}          ExpiredTokenException, and the
//                                         same for every later request
//                                         signed with that key (logged
//                                         with rule "expired")
//                {delayMs: N}             forward, N ms late
//                {answerMs: N}            forward at once, answer N ms late
//                {padTo: N}               forward, the answer padded with
//                                         trailing blanks to N bytes
//                {hang: true}             never answer
//                {failEntries: [i...], senderFault, code}
//                                         forward a batch without entries i
//                                         and report those as Failed
//                {corruptMd5: true}       forward, then spoil the MD5OfBody
//                                         of the answer's first message
//                                         (logged as {action: "corrupted", id})
//                {astral: N}              forward, then put code point N for
//                                         each @ in the bodies, MD5OfBody
//                                         made anew (the emulator refuses
//                                         characters beyond U+FFFF)
//              the container endpoint takes delayMs alone.
// Each SQS request's log line also says whether a credentials request
// was being answered meanwhile (credsPending), and, for a visibility
// batch that gives a message back (VisibilityTimeout 0), whether an
// extension of the same receipt handle was still unanswered (raced);
// when an extension is answered, {action: "extended"} is logged.
// Prints the port it listens on.
import { createServer as http } from "node:http";
import { createServer as https } from "node:https";
import { appendFileSync, readFileSync } from "node:fs";
import { createHash, createHmac } from "node:crypto";
import { createRequire } from "node:module";

// The SDK's signer, from the emulator's installation beside the tree.
const { SignatureV4 } = createRequire(
	new URL("../../scripts/emulator/package.json", import.meta.url))("@smithy/signature-v4");

const plan = JSON.parse(readFileSync(process.argv[2], "utf8"));
const rules = (plan.rules ?? []).map((r) => ({ ...r, seen: 0, used: 0 }));
const secrets = { ...(plan.secrets ?? {}) };
const tokens = {};
const refused = new Set();	// keys said to have expired
let issued = 0;
let credsPending = 0;
const extending = new Map();	// receipt handle -> extensions unanswered

class Sha256 {
	constructor(secret) {
		this.h = secret ? createHmac("sha256", Buffer.from(secret)) : createHash("sha256");
	}
	update(d) { this.h.update(Buffer.from(d)); }
	async digest() { return new Uint8Array(this.h.digest()); }
}

const EXPIRED = { __type: "com.amazon.coral.service#ExpiredTokenException",
	message: "The security token included in the request is expired" };

function log(o) {
	if (plan.log) appendFileSync(plan.log, JSON.stringify(o) + "\n");
}

function issue() {
	issued++;
	const id = `ASIATEST${String(issued).padStart(8, "0")}`;
	secrets[id] = `secret-${issued}-${Math.random().toString(36).slice(2)}`;
	tokens[id] = `token-${issued}`;
	const exp = new Date(Date.now() + (plan.lifetime ?? 3600) * 1000);
	return {
		Code: "Success", Type: "AWS-HMAC", AccessKeyId: id,
		SecretAccessKey: secrets[id], Token: tokens[id],
		Expiration: exp.toISOString().replace(/\.\d+Z$/, "Z"),
	};
}

// Whether the request's Authorization matches the SDK signer's.
async function verify(req, body) {
	const auth = req.headers.authorization ?? "";
	const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(auth);
	if (!m) return { key: null, ok: false, why: "malformed Authorization" };
	const [, key, , region, service, signed] = m;
	if (!(key in secrets)) return { key, ok: false, why: "unknown key" };
	const token = req.headers["x-amz-security-token"];
	if (key in tokens && token !== tokens[key])
		return { key, ok: false, why: "wrong session token" };
	const headers = {};
	for (const h of signed.split(";")) headers[h] = req.headers[h];
	const d = req.headers["x-amz-date"] ?? "";
	const date = new Date(`${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}T${d.slice(9, 11)}:${d.slice(11, 13)}:${d.slice(13, 15)}Z`);
	const signer = new SignatureV4({
		credentials: { accessKeyId: key, secretAccessKey: secrets[key], sessionToken: token },
		region, service, sha256: Sha256, applyChecksum: false,
	});
	const [host, port] = (req.headers.host ?? "").split(":");
	const out = await signer.sign({
		method: req.method, protocol: "http:", hostname: host, port: port ? Number(port) : undefined,
		path: req.url.split("?")[0], query: {}, headers, body,
	}, { signingDate: date });
	const ok = out.headers.authorization === auth;
	return { key, ok, why: ok ? "" : `signature differs from the SDK's: ${out.headers.authorization}`, service, region };
}

function reply(res, status, body, headers = {}) {
	res.writeHead(status, { "content-type": "application/x-amz-json-1.0", ...headers });
	res.end(typeof body === "string" ? body : JSON.stringify(body));
}

async function forward(req, body, res, delay) {
	if (delay) await new Promise((r) => setTimeout(r, delay));
	const r = await fetch(plan.upstream + "/", {
		method: "POST",
		headers: { "content-type": req.headers["content-type"], "x-amz-target": req.headers["x-amz-target"] },
		body,
	});
	const h = {};
	for (const k of ["x-amzn-query-error", "x-amzn-requestid"])
		if (r.headers.get(k)) h[k] = r.headers.get(k);
	const text = await r.text();
	return { status: r.status, text, headers: h };
}

// Whether a visibility batch body extends every entry (a heartbeat).
function isHeartbeat(action, body) {
	if (action !== "ChangeMessageVisibilityBatch") return false;
	try {
		const e = JSON.parse(body).Entries ?? [];
		return e.length > 0 && e.every((x) => x.VisibilityTimeout > 0);
	} catch { return false; }
}

function pick(action, body) {
	for (const r of rules) {
		if (r.action !== action && !(r.action === "*" && action !== "container")) continue;
		if (r.heartbeat && !isHeartbeat(action, body)) continue;
		r.seen++;
		if (r.seen <= (r.skip ?? 0)) continue;
		if (r.times !== undefined && r.used >= r.times) continue;
		r.used++;
		return r.reply;
	}
	return null;
}

async function sqs(req, body, res) {
	const action = (req.headers["x-amz-target"] ?? "").replace(/^AmazonSQS\./, "");
	const v = await verify(req, body);
	const entry = { action, key: v.key, token: req.headers["x-amz-security-token"] ?? null, sig: v.ok,
	    credsPending: credsPending > 0 };
	if (!v.ok) {
		entry.why = v.why;
		log(entry);
		return reply(res, 403, { __type: "com.amazonaws.sqs#SignatureDoesNotMatch", message: v.why });
	}
	if (v.service !== "sqs" || req.headers["content-type"] !== "application/x-amz-json-1.0") {
		entry.why = "not an SQS JSON 1.0 request";
		log(entry);
		return reply(res, 400, { __type: "com.amazonaws.sqs#InvalidAction", message: entry.why });
	}
	if (refused.has(v.key)) {
		entry.rule = "expired";
		log(entry);
		return reply(res, 400, EXPIRED);
	}
	const rule = pick(action, body);
	entry.rule = !rule ? null : rule.expired ? "expired" :
	    rule.failEntries ? "failEntries" : rule.garbage ? "garbage" :
	    rule.hang ? "hang" : rule.delayMs ? "delayMs" : rule.answerMs ? "answerMs" :
	    rule.padTo ? "padTo" :
	    rule.corruptMd5 ? "corruptMd5" : rule.astral ? "astral" : "status";
	let extended = [];
	if (action === "ChangeMessageVisibilityBatch") {
		const e = JSON.parse(body).Entries ?? [];
		if (isHeartbeat(action, body)) {
			extended = e.map((x) => x.ReceiptHandle);
			for (const h of extended) extending.set(h, (extending.get(h) ?? 0) + 1);
			entry.heartbeat = true;
		} else {
			entry.raced = e.some((x) => x.VisibilityTimeout === 0 && extending.has(x.ReceiptHandle));
		}
	}
	if (rule && rule.failEntries) {
		const j = JSON.parse(body);
		const fail = new Set(rule.failEntries);
		const keep = j.Entries.filter((e, i) => !fail.has(i));
		const failed = j.Entries.filter((e, i) => fail.has(i)).map((e) => ({
			Id: e.Id, SenderFault: !!rule.senderFault, Code: rule.code ?? "InternalError",
			Message: "scripted failure",
		}));
		let ok = [];
		if (keep.length > 0) {
			const r = await forward(req, JSON.stringify({ ...j, Entries: keep }), res);
			ok = JSON.parse(r.text).Successful;
		}
		entry.failed = failed.length;
		log(entry);
		return reply(res, 200, { Successful: ok, Failed: failed });
	}
	log(entry);
	if (rule && rule.expired) {
		refused.add(v.key);
		return reply(res, 400, EXPIRED);
	}
	if (rule && rule.hang) return;
	if (rule && rule.garbage)
		return reply(res, 200, "<html><body>502 Bad Gateway, but said with a 200</body></html>");
	if (rule && rule.status)
		return reply(res, rule.status, rule.body ?? "", rule.headers ?? {});
	const r = await forward(req, body, res, rule?.delayMs);
	if (rule && rule.answerMs) await new Promise((ok) => setTimeout(ok, rule.answerMs));
	for (const h of extended) {
		const n = extending.get(h) - 1;
		if (n > 0) extending.set(h, n); else extending.delete(h);
	}
	if (extended.length > 0) log({ action: "extended" });
	if (rule && rule.corruptMd5 && r.status === 200) {
		const j = JSON.parse(r.text);
		if (j.Messages && j.Messages.length > 0) {
			j.Messages[0].MD5OfBody = "0123456789abcdef0123456789abcdef";
			log({ action: "corrupted", id: j.Messages[0].MessageId });
			r.text = JSON.stringify(j);
		}
	}
	if (rule && rule.astral && r.status === 200) {
		const j = JSON.parse(r.text);
		for (const m of j.Messages ?? []) {
			m.Body = m.Body.replaceAll("@", String.fromCodePoint(rule.astral));
			m.MD5OfBody = createHash("md5").update(m.Body, "utf8").digest("hex");
		}
		r.text = JSON.stringify(j);
	}
	if (rule && rule.padTo) {
		const n = Buffer.byteLength(r.text);
		if (n < rule.padTo) r.text += " ".repeat(rule.padTo - n);
	}
	reply(res, r.status, r.text, r.headers);
}

async function handle(req, res) {
	const chunks = [];
	for await (const c of req) chunks.push(c);
	const body = Buffer.concat(chunks).toString("utf8");
	const path = req.url.split("?")[0];
	if (path === "/creds") {
		const want = plan.token;
		const ok = !want || req.headers.authorization === want;
		const rule = pick("container", body);
		log({ action: "container", ok });
		if (rule && rule.delayMs) {
			credsPending++;
			await new Promise((r) => setTimeout(r, rule.delayMs));
			credsPending--;
		}
		return ok ? reply(res, 200, issue()) : reply(res, 401, "unauthorized");
	}
	if (path === "/latest/api/token" && req.method === "PUT") {
		const ok = !!req.headers["x-aws-ec2-metadata-token-ttl-seconds"];
		log({ action: "imds-token", ok });
		return ok ? reply(res, 200, "imds-session-token") : reply(res, 400, "");
	}
	if (path.startsWith("/latest/meta-data/iam/security-credentials/")) {
		const ok = req.headers["x-aws-ec2-metadata-token"] === "imds-session-token";
		const role = path.slice("/latest/meta-data/iam/security-credentials/".length);
		const mine = plan.roleFile ? readFileSync(plan.roleFile, "utf8").trim() : "test-role";
		const found = role === "" || role === mine;
		log({ action: role ? "imds-creds" : "imds-role", ok, found });
		if (!ok) return reply(res, 401, "");
		return role === "" ? reply(res, 200, `${mine}\n`) :
		    found ? reply(res, 200, issue()) : reply(res, 404, "");
	}
	return sqs(req, body, res);
}

const server = plan.tls ?
    https({ cert: readFileSync(plan.tls.cert), key: readFileSync(plan.tls.key) }, handle) :
    http(handle);
server.keepAliveTimeout = 60000;
server.listen(0, "127.0.0.1", () => process.stdout.write(`${server.address().port}\n`));
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => process.exit(0));
