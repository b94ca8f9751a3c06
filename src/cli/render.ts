/**
 * Rendering for people: aligned tables, key/value details and the domain views (keys,
 * versions, approvals, audit entries). Colours only when the caller says the output is
 * a terminal. Nothing here sees key material: the API never returns any. Every string a
 * server supplied is passed through `escapeControls` before it is styled, so only the
 * escape sequences this module writes reach the terminal.
 */

import type { ApprovalJson } from "../contract/approvals.ts";
import type { AuditEntryJson } from "../contract/audit.ts";
import type { KeyJson, KeyVersionJson } from "../contract/keys.ts";
import { escapeControls as t } from "./terminal_text.ts";

/** ANSI styling, or identity functions when colours are off. */
export interface Style {
  bold(text: string): string;
  dim(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  red(text: string): string;
}

/** A Style that colours only when `enabled`. */
export function style(enabled: boolean): Style {
  const sgr = (code: number) => (text: string) => enabled ? `\x1b[${code}m${text}\x1b[0m` : text;
  return { bold: sgr(1), dim: sgr(2), green: sgr(32), yellow: sgr(33), red: sgr(31) };
}

// deno-lint-ignore no-control-regex -- strips the SGR sequences this module writes
const ANSI = /\x1b\[[0-9;]*m/g;

function visibleLength(text: string): number {
  return text.replace(ANSI, "").length;
}

function pad(text: string, width: number): string {
  return text + " ".repeat(Math.max(0, width - visibleLength(text)));
}

/** An aligned table: bold headers, columns separated by two spaces. */
export function table(headers: readonly string[], rows: readonly string[][], s: Style): string {
  const widths = headers.map((h, i) =>
    Math.max(h.length, ...rows.map((r) => visibleLength(r[i] ?? "")))
  );
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => pad(c, widths[i] ?? 0)).join("  ").trimEnd();
  return [line(headers.map((h) => s.bold(h))), ...rows.map(line)]
    .join("\n");
}

/** Aligned `label  value` lines. */
export function details(pairs: readonly (readonly [string, string])[], s: Style): string {
  const width = Math.max(0, ...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${pad(s.bold(k), width)}  ${v}`.trimEnd()).join("\n");
}

/** Colours a key or approval state. */
export function stateText(state: string, s: Style): string {
  switch (state) {
    case "active":
    case "executed":
    case "approved":
      return s.green(state);
    case "staged":
    case "pending":
    case "revoked":
      return s.yellow(state);
    case "destroyed":
    case "denied":
    case "expired":
      return s.red(state);
    default:
      return t(state);
  }
}

function tagsText(tags: Readonly<Record<string, string>>): string {
  return Object.entries(tags).map(([k, v]) => `${t(k)}=${t(v)}`).join(",");
}

/** One key's metadata, one field a line. */
export function keyDetails(key: KeyJson, s: Style): string {
  return details([
    ["id", t(key.id)],
    ["name", t(key.name)],
    ["algorithm", t(key.algorithm)],
    ["usage", t(key.usage.join(","))],
    ["tags", tagsText(key.tags)],
    ["state", stateText(key.state, s)],
    ["version", t(String(key.current_version))],
    ["dual control", key.dual_control === true ? "yes" : "no"],
    ...(key.origin === undefined ? [] : [["origin", t(key.origin)] as const]),
    ...(key.rotation_period === undefined
      ? []
      : [["rotation period", t(key.rotation_period)] as const]),
    ...(key.min_decryption_version === undefined
      ? []
      : [["min decryption version", String(key.min_decryption_version)] as const]),
    ["created", t(key.created_at)],
    ["updated", t(key.updated_at)],
  ], s);
}

/** Keys as a table. */
export function keyTable(keys: readonly KeyJson[], s: Style): string {
  return table(
    ["ID", "NAME", "ALGORITHM", "STATE", "VERSION", "TAGS", "CREATED"],
    keys.map((k) => [
      t(k.id),
      t(k.name),
      t(k.algorithm),
      stateText(k.state, s),
      t(String(k.current_version)),
      tagsText(k.tags),
      t(k.created_at),
    ]),
    s,
  );
}

/** Versions as a table. */
export function versionTable(versions: readonly KeyVersionJson[], s: Style): string {
  return table(
    ["VERSION", "STATE", "CREATED", "FROM", "OPERATIONS"],
    versions.map((v) => [
      t(String(v.version)),
      stateText(v.state, s),
      t(v.created_at),
      v.source_version === undefined ? "" : t(`v${v.source_version}`),
      v.operations === undefined ? "" : String(v.operations),
    ]),
    s,
  );
}

/** One approval, one field a line. */
export function approvalDetails(a: ApprovalJson, s: Style): string {
  return details([
    ["id", t(a.id)],
    ["action", t(a.action)],
    ["key", t(a.key_id ?? "")],
    ["requested by", t(a.requested_by)],
    [
      "approvals",
      [t(`${a.approvals.length}/${a.quorum}`), ...a.approvals.map((x) => t(x.actor))].join(" "),
    ],
    ["state", stateText(a.state, s)],
    ["created", t(a.created_at)],
    ["expires", t(a.expires_at)],
  ], s);
}

/** Approvals as a table. */
export function approvalTable(items: readonly ApprovalJson[], s: Style): string {
  return table(
    ["ID", "ACTION", "KEY", "REQUESTED BY", "VOTES", "STATE", "EXPIRES"],
    items.map((a) => [
      t(a.id),
      t(a.action),
      t(a.key_id ?? ""),
      t(a.requested_by),
      t(`${a.approvals.length}/${a.quorum}`),
      stateText(a.state, s),
      t(a.expires_at),
    ]),
    s,
  );
}

/** Audit entries as table rows (header included when `header`). */
export function auditTable(entries: readonly AuditEntryJson[], s: Style, header = true): string {
  if (entries.length === 0 && !header) return "";
  const text = table(
    ["SEQ", "TIME", "ACTOR", "ACTION", "KEY", "RESULT"],
    entries.map((e) => [
      t(String(e.seq)),
      t(e.ts),
      t(e.actor),
      t(e.action),
      t(e.key_id ?? ""),
      e.result === "ok" ? e.result : s.yellow(t(e.result)),
    ]),
    s,
  );
  return header ? text : text.slice(text.indexOf("\n") + 1);
}
