/**
 * A reader of the Prometheus text exposition format (what `GET /metrics` answers):
 * samples with their labels and values, and lookups by name and labels. Malformed lines
 * are skipped (a scrape is display data, never a reason to fail the screen). Label
 * values are kept as sent; the screens escape them before display.
 */

/** One sample line. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;

/** One parsed scrape. */
export class MetricsSnapshot {
  readonly #byName = new Map<string, Sample[]>();

  constructor(samples: readonly Sample[]) {
    for (const s of samples) {
      const list = this.#byName.get(s.name);
      if (list === undefined) this.#byName.set(s.name, [s]);
      else list.push(s);
    }
  }

  /** Parses exposition text. */
  static parse(text: string): MetricsSnapshot {
    const samples: Sample[] = [];
    for (const line of text.split("\n")) {
      const sample = parseLine(line.trim());
      if (sample !== undefined) samples.push(sample);
    }
    return new MetricsSnapshot(samples);
  }

  /** Every sample of `name`. */
  samples(name: string): readonly Sample[] {
    return this.#byName.get(name) ?? [];
  }

  /** The value of the first sample of `name` whose labels include `labels`. */
  value(name: string, labels: Readonly<Record<string, string>> = {}): number | undefined {
    return this.samples(name).find((s) => hasLabels(s, labels))?.value;
  }

  /** The sum of the samples of `name` that `keep` accepts (all by default). */
  sum(
    name: string,
    keep: (labels: Readonly<Record<string, string>>) => boolean = () => true,
  ): number {
    let total = 0;
    for (const s of this.samples(name)) if (keep(s.labels)) total += s.value;
    return total;
  }
}

function hasLabels(sample: Sample, labels: Readonly<Record<string, string>>): boolean {
  return Object.entries(labels).every(([k, v]) => sample.labels[k] === v);
}

function parseLine(line: string): Sample | undefined {
  if (line === "" || line.startsWith("#")) return undefined;
  const name = NAME.exec(line)?.[0];
  if (name === undefined) return undefined;
  let rest = line.slice(name.length);
  const labels: Record<string, string> = Object.create(null);
  if (rest.startsWith("{")) {
    const parsed = parseLabels(rest);
    if (parsed === undefined) return undefined;
    Object.assign(labels, parsed.labels);
    rest = rest.slice(parsed.length);
  }
  const valueText = rest.trim().split(/\s+/)[0] ?? "";
  const value = parseValue(valueText);
  return value === undefined ? undefined : { name, labels, value };
}

/** Parses `{a="1",b="x\"y"}` at the start of `text`. */
function parseLabels(
  text: string,
): { labels: Record<string, string>; length: number } | undefined {
  const labels: Record<string, string> = Object.create(null);
  let i = 1;
  for (;;) {
    while (text[i] === " " || text[i] === ",") i++;
    if (text[i] === "}") return { labels, length: i + 1 };
    const key = NAME.exec(text.slice(i))?.[0];
    if (key === undefined || text[i + key.length] !== "=" || text[i + key.length + 1] !== '"') {
      return undefined;
    }
    i += key.length + 2;
    let value = "";
    for (;;) {
      const ch = text[i];
      if (ch === undefined) return undefined;
      i++;
      if (ch === '"') break;
      if (ch === "\\") {
        const next = text[i++];
        value += next === "n" ? "\n" : next ?? "";
      } else value += ch;
    }
    labels[key] = value;
  }
}

function parseValue(text: string): number | undefined {
  if (text === "NaN") return NaN;
  if (text === "+Inf" || text === "Inf") return Infinity;
  if (text === "-Inf") return -Infinity;
  if (!/^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/.test(text)) return undefined;
  return Number(text);
}
