/**
 * The TUI's small config file: `~/.config/ferrohsm/tui.json` (or `$XDG_CONFIG_HOME`),
 * or the file given with `--tui-config`. It may name a theme and rebind actions:
 *
 * ```json
 * { "theme": "light", "keys": { "rotate": ["ctrl+o"], "quit": ["q"] } }
 * ```
 *
 * A missing default file means defaults; a missing `--tui-config` file, invalid JSON,
 * an unknown theme, action or key name, or a key bound twice on one screen is a usage
 * error. The file holds no secret (tokens come from `--token`/FERROHSM_TOKEN).
 */

import { join } from "node:path";
import { z } from "zod";
import { UsageError } from "../cli/errors.ts";
import {
  ACTION_NAMES,
  type Bindings,
  defaultBindings,
  findCollision,
  isKeySpec,
} from "./key_bindings.ts";
import { THEME_NAMES, type ThemeName } from "./theme.ts";

/** The TUI's settings. */
export interface TuiConfig {
  readonly theme: ThemeName;
  readonly bindings: Bindings;
  /** Seconds between refreshes of the health screen and the audit live tail. */
  readonly refreshSeconds: number;
  /** Where the settings came from (undefined: defaults). */
  readonly source: string | undefined;
}

const ConfigFile = z.strictObject({
  theme: z.enum(THEME_NAMES).optional(),
  refresh_seconds: z.number().int().min(1).max(3600).optional(),
  keys: z.partialRecord(
    z.enum(ACTION_NAMES as [string, ...string[]]),
    z.array(z.string().refine(isKeySpec, "not a key name")).min(1).max(8),
  ).optional(),
});

/** The default config file path (undefined without HOME or XDG_CONFIG_HOME). */
export function defaultConfigPath(env: (name: string) => string | undefined): string | undefined {
  const xdg = env("XDG_CONFIG_HOME");
  if (xdg !== undefined && xdg !== "") return join(xdg, "ferrohsm", "tui.json");
  const home = env("HOME");
  return home === undefined || home === ""
    ? undefined
    : join(home, ".config", "ferrohsm", "tui.json");
}

/** Settings with nothing configured. */
export function defaultTuiConfig(): TuiConfig {
  return { theme: "dark", bindings: defaultBindings(), refreshSeconds: 2, source: undefined };
}

/**
 * Parses the config file text (`source` names it in errors).
 * @throws UsageError for invalid JSON, unknown names or colliding keys
 */
export function parseTuiConfig(text: string, source: string): TuiConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new UsageError(`Cannot read TUI config ${source}: invalid JSON`);
  }
  const parsed = ConfigFile.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.join(".") ?? "";
    throw new UsageError(
      `Cannot read TUI config ${source}: ${where === "" ? "" : `${where}: `}${issue?.message}`,
    );
  }
  const bindings = { ...defaultBindings() } as Record<string, readonly string[]>;
  for (const [action, keys] of Object.entries(parsed.data.keys ?? {})) {
    if (keys !== undefined) bindings[action] = keys;
  }
  const collision = findCollision(bindings as Bindings);
  if (collision !== undefined) {
    throw new UsageError(`Cannot read TUI config ${source}: ${collision}`);
  }
  return Object.freeze({
    theme: parsed.data.theme ?? "dark",
    bindings: Object.freeze(bindings) as Bindings,
    refreshSeconds: parsed.data.refresh_seconds ?? 2,
    source,
  });
}

/**
 * Reads the config: `path` when given (it must exist), else the default file if present.
 * @throws UsageError for an unreadable or invalid file
 */
export async function loadTuiConfig(
  path: string | undefined,
  env: (name: string) => string | undefined = (n) => Deno.env.get(n),
): Promise<TuiConfig> {
  const file = path ?? defaultConfigPath(env);
  if (file === undefined) return defaultTuiConfig();
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (err) {
    if (path === undefined && err instanceof Deno.errors.NotFound) return defaultTuiConfig();
    throw new UsageError(
      `Cannot read TUI config ${file}: ${err instanceof Error ? err.name : "error"}`,
    );
  }
  return parseTuiConfig(text, file);
}
