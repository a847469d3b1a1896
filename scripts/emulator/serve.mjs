// Starts the SQS emulator on loopback with request logging off and
// prints the port it bound once it is listening.
import { buildApp } from "fauxqs";

const port = Number(process.argv[2] ?? 0);
const app = buildApp({ logger: false });
await app.listen({ port, host: "127.0.0.1" });
process.stdout.write(`${app.server.address().port}\n`);
for (const sig of ["SIGINT", "SIGTERM"])
	process.on(sig, () => app.close().then(() => process.exit(0)));
