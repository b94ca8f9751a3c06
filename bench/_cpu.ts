/**
 * Server CPU time for the HTTP benchmarks: the CPU a process and all its descendants
 * used, read from `/proc/<pid>/stat` (Linux). A process's stat already includes all its
 * threads (Web Crypto's thread pool, the SQLite audit writer, offload workers); child
 * processes (policy sandboxes) are found by walking the parent pid of every
 * `/proc/<pid>/stat`. Fields 14–17 (utime, stime, cutime, cstime) are summed, so a child
 * that exited and was reaped during a cell still counts through its parent's cutime/cstime.
 *
 * The files are read through `sh -c cat` because Deno asks for `--allow-all` to read
 * /proc directly; the benchmark tasks hold `--allow-run`. Resolution is one clock tick
 * (`getconf CLK_TCK`, usually 100 Hz = 10 ms) per process, so a cell of a few seconds
 * measures to well under 1 %.
 */

/** CPU time used so far by a process tree, in microseconds. */
export interface CpuSample {
  readonly cpuUs: number;
  /** The pids counted (root first). */
  readonly pids: readonly number[];
}

let ticksPerSecond: number | undefined;

/** Clock ticks per second (`getconf CLK_TCK`; 100 when it cannot be read). */
export async function clockTicks(): Promise<number> {
  if (ticksPerSecond !== undefined) return ticksPerSecond;
  let value = 100;
  try {
    const out = await new Deno.Command("getconf", { args: ["CLK_TCK"], stdout: "piped" }).output();
    const n = Number(new TextDecoder().decode(out.stdout).trim());
    if (out.code === 0 && Number.isInteger(n) && n > 0) value = n;
  } catch {
    // no getconf: Linux's USER_HZ is 100 on every common architecture
  }
  ticksPerSecond = value;
  return value;
}

/** One parsed `/proc/<pid>/stat` line: pid, parent pid and the four time fields in ticks. */
interface StatLine {
  readonly pid: number;
  readonly ppid: number;
  readonly ticks: number;
}

/**
 * Parses a stat line. The command name (field 2) is in parentheses and may hold spaces,
 * so fields are counted from the last `)`: field 3 (state) is the first after it.
 */
export function parseStat(line: string): StatLine | undefined {
  const close = line.lastIndexOf(")");
  if (close < 0) return undefined;
  const pid = Number(line.slice(0, line.indexOf(" ")));
  const rest = line.slice(close + 2).split(" "); // rest[0] is field 3
  const field = (n: number) => Number(rest[n - 3]);
  const ticks = field(14) + field(15) + field(16) + field(17);
  if (!Number.isFinite(pid) || !Number.isFinite(ticks)) return undefined;
  return { pid, ppid: field(4), ticks };
}

/** Sums the CPU time of `root` and every descendant from the stat lines of all processes. */
export function treeTicks(
  lines: readonly StatLine[],
  root: number,
): { ticks: number; pids: number[] } {
  const children = new Map<number, StatLine[]>();
  const byPid = new Map<number, StatLine>();
  for (const l of lines) {
    byPid.set(l.pid, l);
    children.set(l.ppid, [...(children.get(l.ppid) ?? []), l]);
  }
  const pids: number[] = [];
  let ticks = 0;
  const queue = byPid.has(root) ? [root] : [];
  while (queue.length > 0) {
    const pid = queue.shift() as number;
    pids.push(pid);
    ticks += byPid.get(pid)?.ticks ?? 0;
    for (const c of children.get(pid) ?? []) queue.push(c.pid);
  }
  return { ticks, pids };
}

/** The CPU time `root` and its descendants have used so far. @throws Error when `root` is gone */
export async function sampleCpu(root: number): Promise<CpuSample> {
  const hz = await clockTicks();
  const out = await new Deno.Command("sh", {
    args: ["-c", "cat /proc/[0-9]*/stat 2>/dev/null; true"],
    stdout: "piped",
    stderr: "null",
  }).output();
  const lines = new TextDecoder().decode(out.stdout).split("\n").map(parseStat).filter((
    l,
  ): l is StatLine => l !== undefined);
  const { ticks, pids } = treeTicks(lines, root);
  if (pids.length === 0) throw new Error(`process ${root} is not running`);
  return { cpuUs: (ticks * 1e6) / hz, pids };
}

/** Runs `work` and returns its result with the CPU µs the process tree of `root` used. */
export async function withCpu<T>(
  root: number,
  work: () => Promise<T>,
): Promise<{ result: T; cpuUs: number }> {
  const before = await sampleCpu(root);
  const result = await work();
  const after = await sampleCpu(root);
  return { result, cpuUs: after.cpuUs - before.cpuUs };
}

/** CPU time of one process's threads so far, in microseconds per thread name. */
export async function sampleThreads(pid: number): Promise<Map<string, number>> {
  const hz = await clockTicks();
  // One line per thread: its name (comm, may hold spaces) then its stat line.
  const out = await new Deno.Command("sh", {
    args: [
      "-c",
      `for t in /proc/${pid}/task/*; do printf '%s\\t' "$(cat $t/comm)"; cat $t/stat; done 2>/dev/null; true`,
    ],
    stdout: "piped",
    stderr: "null",
  }).output();
  const byName = new Map<string, number>();
  for (const line of new TextDecoder().decode(out.stdout).split("\n")) {
    const tab = line.indexOf("\t");
    if (tab < 0) continue;
    const stat = parseStat(line.slice(tab + 1));
    if (stat === undefined) continue;
    const name = line.slice(0, tab);
    byName.set(name, (byName.get(name) ?? 0) + (stat.ticks * 1e6) / hz);
  }
  if (byName.size === 0) throw new Error(`process ${pid} is not running`);
  return byName;
}
