import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { CTX, script, withPool } from "./_sandbox.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

Deno.test("the child bundles into one self-contained file that runs without permissions", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ferrohsm-policy-bundle-" });
  try {
    const output = join(dir, "policy_sandbox_child.js");
    const bundled = await new Deno.Command(Deno.execPath(), {
      args: [
        "bundle",
        "--quiet",
        "--platform",
        "deno",
        "--output",
        output,
        "src/policy/sandbox_child.ts",
      ],
      cwd: ROOT,
      stdout: "null",
      stderr: "piped",
    }).output();
    assert.ok(bundled.success, new TextDecoder().decode(bundled.stderr));
    // The bundle runs alone: nothing but the file itself (the wasm is inside).
    await withPool({ size: 1, childUrl: pathToFileURL(output) }, async (pool) => {
      assert.deepEqual(
        await pool.evaluate(script("export default (ctx) => ctx.hour === 10"), CTX),
        {
          allow: true,
        },
      );
      const loop = await pool.evaluate(script("export default () => { for (;;) {} }"), CTX);
      assert.equal(!loop.allow && loop.cause, "timeout");
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
