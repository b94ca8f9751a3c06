/**
 * Formatting for the dashboard's views: times in UTC (the audit log's time zone),
 * durations, counts, ratios and short hashes. Pure functions; the locale is fixed so
 * pages read the same on every server.
 */

const COUNT = new Intl.NumberFormat("en-US");
const DECIMAL = new Intl.NumberFormat("en-US", { maximumFractionDigits: 1 });

/** `2025-03-01T12:34:56.789Z` → `2025-03-01 12:34:56 UTC` (the input when unparsable). */
export function formatTime(iso: string): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  return `${new Date(t).toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

/** Seconds as the two largest units: `3 d 4 h`, `5 h 12 min`, `4 min 2 s`, `12 s`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const units: readonly (readonly [number, string])[] = [
    [86_400, "d"],
    [3_600, "h"],
    [60, "min"],
    [1, "s"],
  ];
  const i = units.findIndex(([size]) => s >= size);
  const unit = units[i];
  if (unit === undefined) return "0 s";
  const major = Math.floor(s / unit[0]);
  const next = units[i + 1];
  const minor = next === undefined ? 0 : Math.floor((s % unit[0]) / next[0]);
  return next !== undefined && minor > 0
    ? `${major} ${unit[1]} ${minor} ${next[1]}`
    : `${major} ${unit[1]}`;
}

/** An integer with thousands separators. */
export function formatCount(n: number): string {
  return COUNT.format(n);
}

/** A number with at most one decimal. */
export function formatDecimal(n: number): string {
  return DECIMAL.format(n);
}

/** A ratio in 0..1 as a percentage with one decimal, or `–` when undefined. */
export function formatPercent(ratio: number | undefined): string {
  return ratio === undefined || !Number.isFinite(ratio) ? "–" : `${DECIMAL.format(ratio * 100)} %`;
}

/** The first 12 hex digits of a hash. */
export function shortHash(hash: string): string {
  return hash.slice(0, 12);
}

/** Time left until `expiresAt` at `now` (epoch ms): `23 h 5 min left` or `expired`. */
export function timeLeft(expiresAt: string, now: number): string {
  const left = (Date.parse(expiresAt) - now) / 1000;
  return Number.isNaN(left) || left <= 0 ? "expired" : `${formatDuration(left)} left`;
}
