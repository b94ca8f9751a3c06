/**
 * Reporting helpers of the benchmarks: medians, an in-process rate loop, machine facts
 * (read from /proc through `cat`, since Deno wants `--allow-all` for /proc itself),
 * Markdown tables and number formats, and the writer that replaces a marked section of
 * docs/performance.md.
 */

/**
 * Reads a /proc file through `cat`: Deno asks for `--allow-all` to read /proc directly,
 * and the benchmark tasks hold `--allow-run` but not that.
 */
export async function readProc(path: string): Promise<string> {
  try {
    const out = await new Deno.Command("cat", { args: [path], stdout: "piped", stderr: "null" })
      .output();
    return out.code === 0 ? new TextDecoder().decode(out.stdout) : "";
  } catch {
    return ""; // no --allow-run
  }
}

/** The median of `values` (mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] as number : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** Runs `op` from `concurrency` loops for `seconds` after a warm-up; returns ops/s. */
export async function rate(
  op: () => Promise<unknown> | unknown,
  seconds: number,
  concurrency = 1,
): Promise<number> {
  const warmEnd = performance.now() + Math.min(300, seconds * 100);
  while (performance.now() < warmEnd) await op();
  let count = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        await op();
        count++;
      }
    }),
  );
  return count / ((performance.now() - start) / 1000);
}

/** Where and when a run happened. */
export interface MachineInfo {
  readonly cpu: string;
  readonly cores: number;
  readonly memory: string;
  readonly kernel: string;
  readonly deno: string;
  readonly wrk: string;
  readonly date: string;
}

/** Describes this machine (Linux). */
export async function machineInfo(): Promise<MachineInfo> {
  const cpuinfo = await readProc("/proc/cpuinfo");
  const meminfo = await readProc("/proc/meminfo");
  const memKib = Number(/^MemTotal:\s+(\d+)/m.exec(meminfo)?.[1] ?? 0);
  let wrk = "wrk: none";
  try {
    const o = await new Deno.Command("wrk", {
      args: ["--version"],
      stdout: "piped",
      stderr: "null",
    })
      .output();
    wrk = new TextDecoder().decode(o.stdout).split("\n")[0] ?? wrk;
  } catch {
    // not installed, or no --allow-run
  }
  return {
    cpu: /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1]?.trim() ?? "unknown",
    cores: navigator.hardwareConcurrency,
    memory: `${Math.round(memKib / 1024 / 1024)} GiB`,
    kernel: `${Deno.build.os} ${Deno.osRelease()} ${Deno.build.arch}`,
    deno: Deno.version.deno,
    wrk: wrk.replace(/ Copyright.*$/, "").trim(),
    date: new Date().toISOString().slice(0, 16).replace("T", " ") + " UTC",
  };
}

/** One line describing the machine. */
export function machineLine(m: MachineInfo): string {
  return `${m.cores} × ${m.cpu}, ${m.memory}, ${m.kernel}; Deno ${m.deno}; ${m.wrk}; ${m.date}`;
}

/** A Markdown table from a header row and rows (right-aligns columns given in `right`). */
export function markdownTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  right: ReadonlySet<number> = new Set(),
): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const cell = (text: string, i: number) =>
    right.has(i) ? text.padStart(widths[i] as number) : text.padEnd(widths[i] as number);
  const line = (cells: readonly string[]) => `| ${cells.map(cell).join(" | ")} |`;
  const rule = `| ${
    widths.map((w, i) => (right.has(i) ? `${"-".repeat(w - 1)}:` : "-".repeat(w))).join(" | ")
  } |`;
  return [line(header), rule, ...rows.map(line)].join("\n");
}

/** Formats a rate: `12 345`, `1 234`, `98.1`. */
export function fmtRate(n: number): string {
  if (!Number.isFinite(n)) return "–";
  if (n >= 1000) return Math.round(n).toLocaleString("en-US").replace(/,/g, " ");
  if (n >= 100) return n.toFixed(0);
  return n.toFixed(1);
}

/** Formats a latency given in microseconds. */
export function fmtLatency(us: number): string {
  if (!Number.isFinite(us)) return "–";
  if (us >= 100_000) return `${(us / 1000).toFixed(0)} ms`;
  if (us >= 1000) return `${(us / 1000).toFixed(1)} ms`;
  return `${Math.round(us)} µs`;
}

/** Formats a ratio with two decimals. */
export function fmtRatio(n: number): string {
  return Number.isFinite(n) ? n.toFixed(2) : "–";
}

/**
 * Replaces the text between `<!-- NAME:start -->` and `<!-- NAME:end -->` in `file`, or
 * appends a section `heading` holding the markers when they are absent; then runs
 * `deno fmt` on the file (the `check` task keeps docs formatted).
 */
export async function writeDocsSection(
  file: string,
  name: string,
  heading: string,
  body: string,
): Promise<void> {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const block = `${start}\n\n${body.trim()}\n\n${end}`;
  const text = await Deno.readTextFile(file);
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  const next = a >= 0 && b > a
    ? text.slice(0, a) + block + text.slice(b + end.length)
    : `${text.trimEnd()}\n\n${heading}\n\n${block}\n`;
  await Deno.writeTextFile(file, next);
  await new Deno.Command(Deno.execPath(), { args: ["fmt", "--quiet", file], stdout: "null" })
    .output();
}

/** Writes a progress line to stderr (benchmarks report on stdout). */
export function progress(text: string): void {
  Deno.stderr.writeSync(new TextEncoder().encode(`${text}\n`));
}
