/**
 * Group commit: concurrent submissions share commits, each caller gets its own outcome,
 * and a failing commit rejects exactly the items it says failed.
 */

import assert from "node:assert/strict";
import { GroupCommit } from "../../src/util/group_commit.ts";

Deno.test("submissions arriving during a commit share the next one", async () => {
  const groups: number[][] = [];
  const gc = new GroupCommit<number>(async (items) => {
    groups.push([...items]);
    await new Promise((r) => setTimeout(r, 5));
    return items.map(() => undefined);
  });
  await Promise.all(Array.from({ length: 10 }, (_, i) => gc.submit(i)));
  assert.deepEqual(groups.flat().sort((a, b) => a - b), [...Array(10).keys()]);
  assert.ok(groups.length < 10, `${groups.length} commits for 10 items`);
});

Deno.test("each item gets its own outcome; a thrown commit rejects its whole group", async () => {
  const gc = new GroupCommit<number>((items) =>
    Promise.resolve(items.map((n) => (n % 2 === 0 ? undefined : new Error(`odd ${n}`))))
  );
  const results = await Promise.allSettled([1, 2, 3, 4].map((n) => gc.submit(n)));
  assert.deepEqual(results.map((r) => r.status), [
    "rejected",
    "fulfilled",
    "rejected",
    "fulfilled",
  ]);
  const broken = new GroupCommit<number>(() => Promise.reject(new Error("disk")));
  await assert.rejects(broken.submit(1), /disk/);
  assert.throws(() => new GroupCommit(() => Promise.resolve([]), 0), RangeError);
});
