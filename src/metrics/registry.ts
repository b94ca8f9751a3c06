/**
 * A small, dependency-free metrics registry rendering the Prometheus text exposition
 * format 0.0.4: counters, gauges and fixed-bucket histograms, with labels, and counters
 * or gauges whose values are read from a callback at scrape time.
 *
 * Security caveats: label values end up verbatim (escaped) in a document that is often
 * served without authentication, so never label with secrets, key material, tokens or
 * raw request paths. Each metric holds at most `maxSeries` label combinations (1000 by
 * default); recording a new combination beyond that goes to one series whose every
 * label is `other`, so attacker-influenced labels cannot exhaust memory.
 */

/** The `Content-Type` of the rendered exposition. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** Default cap on label combinations per metric. */
export const DEFAULT_MAX_SERIES = 1000;

/** The label value every label takes in the overflow series. */
export const OVERFLOW_LABEL_VALUE = "other";

/** Default histogram buckets for request latencies, in seconds. */
export const DEFAULT_LATENCY_BUCKETS: readonly number[] = Object.freeze([
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
]);

/** Label values keyed by label name. */
export type LabelValues<L extends string> = Readonly<Record<L, string>>;

/** One sample supplied by a scrape-time callback. */
export interface CollectedSample<L extends string> {
  readonly labels: LabelValues<L>;
  readonly value: number;
}

/** A scrape-time callback: one number (no labels) or one sample per label combination. */
export type Collector<L extends string> = () => number | readonly CollectedSample<L>[];

/** Options shared by every metric. */
export interface MetricOptions<L extends string> {
  /** Metric name: `[a-zA-Z_:][a-zA-Z0-9_:]*`; counters must end in `_total`. */
  readonly name: string;
  /** One-line description for the HELP line. */
  readonly help: string;
  readonly labelNames?: readonly L[];
  /** Cap on label combinations (default DEFAULT_MAX_SERIES). */
  readonly maxSeries?: number;
}

/** Options of a counter or gauge. */
export interface ScalarOptions<L extends string> extends MetricOptions<L> {
  /** Reads the values at scrape time instead of recording them (then inc/set throw). */
  readonly collect?: Collector<L>;
}

/** Options of a histogram. */
export interface HistogramOptions<L extends string> extends MetricOptions<L> {
  /** Upper bounds, strictly increasing and finite (`+Inf` is added). */
  readonly buckets?: readonly number[];
}

/** Options of a registry. */
export interface RegistryOptions {
  /** Called when a scrape-time callback throws; its metric renders without samples. */
  readonly onCollectError?: (metric: string, error: unknown) => void;
}

type MetricType = "counter" | "gauge" | "histogram";

const NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Base of every metric: name, help, labels and the series cap. */
abstract class Metric<L extends string, S> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
  abstract readonly type: MetricType;
  readonly #maxSeries: number;
  readonly #series = new Map<string, { labels: readonly string[]; state: S }>();

  constructor(options: MetricOptions<L>, reserved: readonly string[]) {
    if (!NAME_RE.test(options.name)) throw new TypeError(`Invalid metric name ${options.name}`);
    const labelNames = [...(options.labelNames ?? [])];
    for (const label of labelNames) {
      if (!LABEL_RE.test(label) || label.startsWith("__") || reserved.includes(label)) {
        throw new TypeError(`Invalid label name ${label} for metric ${options.name}`);
      }
    }
    if (new Set(labelNames).size !== labelNames.length) {
      throw new TypeError(`Duplicate label name for metric ${options.name}`);
    }
    const maxSeries = options.maxSeries ?? DEFAULT_MAX_SERIES;
    if (!Number.isSafeInteger(maxSeries) || maxSeries < 1) {
      throw new RangeError("maxSeries must be a positive integer");
    }
    this.name = options.name;
    this.help = options.help;
    this.labelNames = Object.freeze(labelNames);
    this.#maxSeries = maxSeries;
  }

  /** Label combinations currently held (the overflow series included). */
  get seriesCount(): number {
    return this.#series.size;
  }

  /** Sample lines of this metric (without HELP/TYPE). */
  abstract samples(): string[];

  /** The state of the series for `labels`, created on first use (or the overflow series). */
  protected series(labels: LabelValues<L> | undefined, init: () => S): S {
    const values = this.labelNames.map((name) => {
      const value = labels?.[name];
      if (typeof value !== "string") {
        throw new TypeError(`Missing label ${name} for metric ${this.name}`);
      }
      return value.toWellFormed();
    });
    let key = JSON.stringify(values);
    let entry = this.#series.get(key);
    if (entry === undefined) {
      if (this.#series.size >= this.#maxSeries) {
        const other = this.labelNames.map(() => OVERFLOW_LABEL_VALUE);
        key = JSON.stringify(other);
        entry = this.#series.get(key);
        if (entry === undefined) {
          entry = { labels: other, state: init() };
          this.#series.set(key, entry);
        }
      } else {
        entry = { labels: values, state: init() };
        this.#series.set(key, entry);
      }
    }
    return entry.state;
  }

  /** Every recorded series with its label values, in creation order. */
  protected entries(): { labels: readonly string[]; state: S }[] {
    return [...this.#series.values()];
  }

  /** Forgets every recorded series. */
  reset(): void {
    this.#series.clear();
  }

  /** The `{a="x",b="y"}` part for label values in labelNames order plus extras. */
  protected labelText(values: readonly string[], extra?: readonly [string, string]): string {
    const pairs = this.labelNames.map((name, i) =>
      `${name}="${escapeLabelValue(values[i] ?? "")}"`
    );
    if (extra !== undefined) pairs.push(`${extra[0]}="${escapeLabelValue(extra[1])}"`);
    return pairs.length === 0 ? "" : `{${pairs.join(",")}}`;
  }

  /** Checks a collector's samples and renders them (at most maxSeries of them). */
  protected collected(result: number | readonly CollectedSample<L>[]): string[] {
    if (typeof result === "number") {
      if (this.labelNames.length > 0) {
        throw new TypeError(`Collector of ${this.name} must return labelled samples`);
      }
      return [`${this.name} ${formatValue(result)}`];
    }
    return result.slice(0, this.#maxSeries).map((sample) => {
      const values = this.labelNames.map((name) => {
        const value = sample.labels[name];
        if (typeof value !== "string") {
          throw new TypeError(`Missing label ${name} for metric ${this.name}`);
        }
        return value.toWellFormed();
      });
      return `${this.name}${this.labelText(values)} ${formatValue(sample.value)}`;
    });
  }
}

/** A monotonically increasing count. */
export class Counter<L extends string = never> extends Metric<L, { value: number }> {
  readonly type = "counter";
  readonly #collect: Collector<L> | undefined;

  /** @throws TypeError for an invalid name or labels, or a name without `_total` */
  constructor(options: ScalarOptions<L>) {
    super(options, []);
    if (!options.name.endsWith("_total")) {
      throw new TypeError(`Counter name ${options.name} must end in _total`);
    }
    this.#collect = options.collect;
  }

  /**
   * Adds `value` (default 1) to the series for `labels`.
   * @throws RangeError for a negative or non-finite value
   */
  inc(labels?: LabelValues<L>, value = 1): void {
    if (this.#collect !== undefined) throw new TypeError(`Counter ${this.name} is collected`);
    if (!Number.isFinite(value) || value < 0) {
      throw new RangeError(`Counter ${this.name} can only increase`);
    }
    this.series(labels, () => ({ value: 0 })).value += value;
  }

  /** The current value of the series for `labels` (0 when never recorded). */
  get(labels?: LabelValues<L>): number {
    const key = this.labelNames.map((name) => labels?.[name] ?? "");
    return this.entries().find((e) => sameLabels(e.labels, key))?.state.value ?? 0;
  }

  /** Sample lines of this metric. */
  samples(): string[] {
    if (this.#collect !== undefined) return this.collected(this.#collect());
    return this.entries().map((e) =>
      `${this.name}${this.labelText(e.labels)} ${formatValue(e.state.value)}`
    );
  }
}

/** A value that goes up and down. */
export class Gauge<L extends string = never> extends Metric<L, { value: number }> {
  readonly type = "gauge";
  readonly #collect: Collector<L> | undefined;

  /** @throws TypeError for an invalid name or labels */
  constructor(options: ScalarOptions<L>) {
    super(options, []);
    this.#collect = options.collect;
  }

  /** Sets the series for `labels` to `value`. */
  set(labels: LabelValues<L> | undefined, value: number): void {
    if (this.#collect !== undefined) throw new TypeError(`Gauge ${this.name} is collected`);
    this.series(labels, () => ({ value: 0 })).value = value;
  }

  /** Adds `value` (default 1; negative to decrease) to the series for `labels`. */
  inc(labels?: LabelValues<L>, value = 1): void {
    if (this.#collect !== undefined) throw new TypeError(`Gauge ${this.name} is collected`);
    this.series(labels, () => ({ value: 0 })).value += value;
  }

  /** Sample lines of this metric. */
  samples(): string[] {
    if (this.#collect !== undefined) return this.collected(this.#collect());
    return this.entries().map((e) =>
      `${this.name}${this.labelText(e.labels)} ${formatValue(e.state.value)}`
    );
  }
}

interface HistogramState {
  /** Non-cumulative count per finite bucket; the last slot counts beyond every bound. */
  readonly counts: number[];
  sum: number;
  count: number;
}

/** Observations counted into fixed buckets, rendered cumulatively with `_sum` and `_count`. */
export class Histogram<L extends string = never> extends Metric<L, HistogramState> {
  readonly type = "histogram";
  readonly buckets: readonly number[];

  /** @throws TypeError for an invalid name or labels (`le` is reserved), RangeError for buckets */
  constructor(options: HistogramOptions<L>) {
    super(options, ["le"]);
    const buckets = [...(options.buckets ?? DEFAULT_LATENCY_BUCKETS)];
    if (buckets.length === 0) throw new RangeError(`Histogram ${options.name} needs buckets`);
    for (const [i, b] of buckets.entries()) {
      if (!Number.isFinite(b) || (i > 0 && b <= (buckets[i - 1] as number))) {
        throw new RangeError(`Buckets of ${options.name} must be finite and strictly increasing`);
      }
    }
    this.buckets = Object.freeze(buckets);
  }

  /**
   * Records one observation in the series for `labels`.
   * @throws RangeError for NaN
   */
  observe(labels: LabelValues<L> | undefined, value: number): void {
    if (Number.isNaN(value)) throw new RangeError(`Histogram ${this.name} cannot observe NaN`);
    const state = this.series(
      labels,
      () => ({ counts: new Array<number>(this.buckets.length + 1).fill(0), sum: 0, count: 0 }),
    );
    let i = this.buckets.findIndex((bound) => value <= bound);
    if (i === -1) i = this.buckets.length;
    state.counts[i] = (state.counts[i] ?? 0) + 1;
    state.sum += value;
    state.count++;
  }

  /** Observations recorded in the series for `labels`. */
  count(labels?: LabelValues<L>): number {
    const key = this.labelNames.map((name) => labels?.[name] ?? "");
    return this.entries().find((e) => sameLabels(e.labels, key))?.state.count ?? 0;
  }

  /** Sample lines of this metric: cumulative `_bucket`s up to `+Inf`, `_sum`, `_count`. */
  samples(): string[] {
    const lines: string[] = [];
    for (const { labels, state } of this.entries()) {
      let cumulative = 0;
      this.buckets.forEach((bound, i) => {
        cumulative += state.counts[i] ?? 0;
        const le = this.labelText(labels, ["le", formatValue(bound)]);
        lines.push(`${this.name}_bucket${le} ${cumulative}`);
      });
      lines.push(`${this.name}_bucket${this.labelText(labels, ["le", "+Inf"])} ${state.count}`);
      lines.push(`${this.name}_sum${this.labelText(labels)} ${formatValue(state.sum)}`);
      lines.push(`${this.name}_count${this.labelText(labels)} ${state.count}`);
    }
    return lines;
  }
}

// deno-lint-ignore no-explicit-any -- a registry holds metrics of any label set
type AnyMetric = Counter<any> | Gauge<any> | Histogram<any>;

/** A set of uniquely named metrics rendered together. */
export class Registry {
  readonly #metrics = new Map<string, AnyMetric>();
  readonly #onCollectError: ((metric: string, error: unknown) => void) | undefined;

  constructor(options: RegistryOptions = {}) {
    this.#onCollectError = options.onCollectError;
  }

  /**
   * Creates and registers a counter.
   * @throws TypeError for an invalid or already registered name
   */
  counter<L extends string = never>(options: ScalarOptions<L>): Counter<L> {
    return this.#add(new Counter<L>(options));
  }

  /**
   * Creates and registers a gauge.
   * @throws TypeError for an invalid or already registered name
   */
  gauge<L extends string = never>(options: ScalarOptions<L>): Gauge<L> {
    return this.#add(new Gauge<L>(options));
  }

  /**
   * Creates and registers a histogram.
   * @throws TypeError for an invalid or already registered name
   */
  histogram<L extends string = never>(options: HistogramOptions<L>): Histogram<L> {
    return this.#add(new Histogram<L>(options));
  }

  /** The registered metric called `name`, if any. */
  get(name: string): AnyMetric | undefined {
    return this.#metrics.get(name);
  }

  /** Renders every metric (HELP, TYPE, then samples) in registration order. */
  render(): string {
    const out: string[] = [];
    for (const metric of this.#metrics.values()) {
      let samples: string[];
      try {
        samples = metric.samples();
      } catch (err) {
        this.#onCollectError?.(metric.name, err);
        samples = [];
      }
      out.push(`# HELP ${metric.name} ${escapeHelp(metric.help)}`);
      out.push(`# TYPE ${metric.name} ${metric.type}`);
      out.push(...samples);
    }
    return out.length === 0 ? "" : out.join("\n") + "\n";
  }

  #add<M extends AnyMetric>(metric: M): M {
    const clash = [...this.#metrics.values()].find((m) =>
      familyNames(m).some((n) => familyNames(metric).includes(n))
    );
    if (clash !== undefined) {
      throw new TypeError(`Metric ${metric.name} clashes with registered metric ${clash.name}`);
    }
    this.#metrics.set(metric.name, metric);
    return metric;
  }
}

/** Escapes a label value: backslash, double quote and line feed. */
export function escapeLabelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (ch) => ch === "\n" ? "\\n" : `\\${ch}`);
}

/** Escapes HELP text: backslash and line feed. */
export function escapeHelp(text: string): string {
  return text.replace(/[\\\n]/g, (ch) => ch === "\n" ? "\\n" : "\\\\");
}

/** Formats a sample value as the exposition format spells it (`+Inf`, `-Inf`, `NaN`). */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

/** Every sample name a metric renders, for clash detection. */
function familyNames(metric: AnyMetric): string[] {
  return metric.type === "histogram"
    ? [metric.name, `${metric.name}_bucket`, `${metric.name}_sum`, `${metric.name}_count`]
    : [metric.name];
}

function sameLabels(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
