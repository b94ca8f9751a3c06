/** The retention scheduler on fake timers: first run, hourly runs, failures, stop. */

import assert from "node:assert/strict";
import {
  RetentionScheduler,
  type SchedulerTimers,
} from "../../src/retention/retention_scheduler.ts";

function fakeTimers() {
  const pending = new Map<number, { fn: () => void; ms: number }>();
  let next = 1;
  const timers: SchedulerTimers = {
    setTimeout(fn, ms) {
      pending.set(next, { fn, ms });
      return next++;
    },
    clearTimeout(handle) {
      pending.delete(handle as number);
    },
  };
  return {
    timers,
    pending,
    /** Fires the only pending timer; returns its delay. */
    fire(): number {
      assert.equal(pending.size, 1, "one timer is pending");
      const [id, timer] = [...pending.entries()][0] as [number, { fn: () => void; ms: number }];
      pending.delete(id);
      timer.fn();
      return timer.ms;
    },
  };
}

Deno.test("runs a minute after start, then hourly, even after a failed run; stop cancels", async () => {
  const clock = fakeTimers();
  let runs = 0;
  const errors: string[] = [];
  const scheduler = new RetentionScheduler(() => {
    runs++;
    return runs === 2 ? Promise.reject(new Error("store down")) : Promise.resolve();
  }, { timers: clock.timers, logger: { log: (_level, message) => errors.push(message) } });
  scheduler.start();
  assert.equal(clock.fire(), 60_000);
  await Promise.resolve();
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(runs, 1);
  assert.equal(clock.fire(), 3_600_000);
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(runs, 2);
  assert.deepEqual(errors, ["A retention run failed"]);
  assert.equal(clock.pending.size, 1, "the next run is planned after a failure");
  await scheduler.stop();
  assert.equal(clock.pending.size, 0);
});

Deno.test("stop waits for the run in progress", async () => {
  const clock = fakeTimers();
  let finish = () => {};
  let finished = false;
  const scheduler = new RetentionScheduler(
    () =>
      new Promise<void>((resolve) => {
        finish = () => {
          finished = true;
          resolve();
        };
      }),
    { timers: clock.timers },
  );
  scheduler.start();
  clock.fire();
  const stopped = scheduler.stop();
  setTimeout(() => finish(), 10);
  await stopped;
  assert.equal(finished, true);
  assert.equal(clock.pending.size, 0, "nothing is planned after stop");
});
