/**
 * A stand-in sandbox child for pool tests: it speaks the frame protocol and misbehaves
 * as each request's `digest` asks (`permissions` reports which Deno permissions it was
 * granted, `exit` dies, `garbage` announces an oversized frame, `wrong-id` answers
 * another request, `slow` answers after 300 ms, `hang` never answers). Anything else is
 * allowed.
 */

import { encodeFrame, FrameReader } from "../../src/policy/frame.ts";
import { writeAll } from "../../src/util/logger.ts";

const PERMISSIONS = ["read", "write", "net", "env", "run", "ffi", "sys", "import"] as const;

function send(message: unknown): void {
  writeAll(Deno.stdout, encodeFrame(message));
}

send({ op: "ready" });
const reader = new FrameReader();
for await (const chunk of Deno.stdin.readable) {
  for (const message of reader.push(chunk)) {
    const { id, digest } = message as { id: number; digest: string };
    if (digest === "permissions") {
      const granted = PERMISSIONS.filter((name) =>
        Deno.permissions.querySync({ name } as Deno.PermissionDescriptor).state === "granted"
      );
      send({
        id,
        outcome: granted.length === 0
          ? { allow: true }
          : { allow: false, cause: "denied", reason: granted.join(",") },
      });
    } else if (digest === "exit") {
      Deno.exit(3);
    } else if (digest === "garbage") {
      writeAll(Deno.stdout, new Uint8Array([0xff, 0xff, 0xff, 0xff]));
    } else if (digest === "slow") {
      await new Promise((resolve) => setTimeout(resolve, 300));
      send({ id, outcome: { allow: true } });
    } else if (digest === "wrong-id") {
      send({ id: id + 1000, outcome: { allow: true } });
    } else if (digest !== "hang") {
      send({ id, outcome: { allow: true } });
    }
  }
}
