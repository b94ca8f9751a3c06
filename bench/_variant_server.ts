/**
 * A bench-only server entry for the cost comparisons of bench/http.ts and for
 * bench/profile.ts. It wires the real services and the real HTTP app exactly as
 * `src/server/server.ts` does (`buildServices` + `buildApp` on `Deno.serve`), with two
 * switches that exist only here, never in the product:
 *
 *   --audit store|memory   the configured durable audit store, or `MemoryAuditStore`
 *                          through `ServiceOverrides` (nothing durable)
 *   --auth jwt|stub        the real JWT verifier (cached by digest), or a stub that
 *                          verifies each distinct token once with the real verifier and
 *                          then answers from a Map keyed by the token text
 *
 * Usage (bench/_harness.ts starts it with the launcher's derived permissions):
 *   deno run <serve permissions> bench/_variant_server.ts <serve flags> -- --audit memory
 *
 * Security caveat: `--auth stub` skips expiry checks after the first verification; it is
 * a measuring device for a throw-away installation and must never serve real keys.
 */

import { parseArgs } from "node:util";
import { buildApp } from "../src/server/app.ts";
import { buildServices, type Services } from "../src/server/services.ts";
import { parseServeConfig } from "../src/config/config.ts";
import { loadServerConfig } from "../src/config/config_files.ts";
import type { JwtVerifier, Principal } from "../src/auth/jwt.ts";
import { MemoryAuditStore } from "../src/storage/memory/audit_store.ts";
import { printLine, stderrLogger } from "../src/util/logger.ts";

const split = Deno.args.indexOf("--");
const serveFlags = split < 0 ? Deno.args : Deno.args.slice(0, split);
const { values } = parseArgs({
  args: split < 0 ? [] : Deno.args.slice(split + 1),
  options: { audit: { type: "string" }, auth: { type: "string" } },
});
const auditMode = values.audit ?? "store";
const authMode = values.auth ?? "jwt";
if (!["store", "memory"].includes(auditMode) || !["jwt", "stub"].includes(authMode)) {
  throw new TypeError("expected --audit store|memory and --auth jwt|stub");
}

/** The stub: the real verifier once per token, then a Map lookup. */
function stubVerifier(real: JwtVerifier): JwtVerifier {
  const seen = new Map<string, Principal>();
  const stub = {
    async verify(token: string): Promise<Principal> {
      const hit = seen.get(token);
      if (hit !== undefined) return hit;
      const principal = await real.verify(token);
      seen.set(token, principal);
      return principal;
    },
  };
  return stub as unknown as JwtVerifier;
}

const config = await loadServerConfig(parseServeConfig(serveFlags));
const log = stderrLogger("warn");
const real = await buildServices(
  config,
  log,
  auditMode === "memory" ? { auditStore: new MemoryAuditStore() } : {},
);
const services: Services = authMode === "stub"
  ? { ...real, verifier: stubVerifier(real.verifier) }
  : real;
let ready = false;
const app = buildApp(services, config, () => ready);
const server = Deno.serve({
  hostname: config.host,
  port: config.port,
  onListen: ({ hostname, port }) => {
    ready = true;
    printLine(`listening on http://${hostname}:${port}`);
  },
}, (req, info) => app.fetch(req, info));
const stop = async () => {
  await server.shutdown();
  await real.close();
  Deno.exit(0);
};
Deno.addSignalListener("SIGTERM", stop);
Deno.addSignalListener("SIGINT", stop);
