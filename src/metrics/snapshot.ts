/**
 * Reads the Prometheus text exposition that `/metrics` serves back into samples, so the
 * dashboard shows exactly the figures a scrape would see (one source of truth: the
 * registry's rendering). Understands the subset our registry writes: `# HELP`/`# TYPE`
 * comments, `name{label="value",...} number` lines with `\\`, `\"` and `\n` escapes.
 * Lines it cannot read are skipped, never guessed.
 */

/** One sample line. */
export interface MetricSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const LINE_RE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$/;
const LABEL_RE = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|\})/y;

/** The samples of one rendering, looked up by metric name. */
export class MetricsSnapshot {
  readonly #byName = new Map<string, MetricSample[]>();

  /** Parses exposition text. */
  static parse(text: string): MetricsSnapshot {
    const snapshot = new MetricsSnapshot();
    for (const line of text.split("\n")) {
      if (line === "" || line.startsWith("#")) continue;
      const sample = parseSample(line);
      if (sample === undefined) continue;
      const list = snapshot.#byName.get(sample.name);
      if (list === undefined) snapshot.#byName.set(sample.name, [sample]);
      else list.push(sample);
    }
    return snapshot;
  }

  /** Every sample of `name` (empty when absent). */
  samples(name: string): readonly MetricSample[] {
    return this.#byName.get(name) ?? [];
  }

  /** The value of the sample of `name` whose labels include `labels`, if any. */
  value(name: string, labels: Readonly<Record<string, string>> = {}): number | undefined {
    return this.samples(name).find((s) => hasLabels(s, labels))?.value;
  }

  /** The sum of the samples of `name` that `where` accepts (all when omitted). */
  sum(name: string, where?: (labels: Readonly<Record<string, string>>) => boolean): number {
    let total = 0;
    for (const s of this.samples(name)) {
      if (where === undefined || where(s.labels)) total += s.value;
    }
    return total;
  }
}

function parseSample(line: string): MetricSample | undefined {
  const m = LINE_RE.exec(line);
  if (m === null) return undefined;
  const value = parseValue(m[3] as string);
  if (value === undefined) return undefined;
  const labels: Record<string, string> = Object.create(null);
  const text = m[2];
  if (text !== undefined && text !== "{}") {
    let at = 1;
    while (at < text.length) {
      LABEL_RE.lastIndex = at;
      const l = LABEL_RE.exec(text);
      if (l === null) return undefined;
      labels[l[1] as string] = unescape(l[2] as string);
      at = LABEL_RE.lastIndex;
    }
  }
  return { name: m[1] as string, labels, value };
}

function parseValue(text: string): number | undefined {
  if (text === "+Inf") return Infinity;
  if (text === "-Inf") return -Infinity;
  if (text === "NaN") return NaN;
  const n = Number(text);
  return Number.isNaN(n) ? undefined : n;
}

function unescape(text: string): string {
  return text.replace(/\\(.)/g, (_, ch: string) => (ch === "n" ? "\n" : ch));
}

function hasLabels(sample: MetricSample, labels: Readonly<Record<string, string>>): boolean {
  return Object.entries(labels).every(([k, v]) => sample.labels[k] === v);
}
