/**
 * The TUI's colour themes: dark (for dark terminals), light (for light ones) and
 * high-contrast (bright colours, bold, no dim text). A theme names a colour per role;
 * screens never name colours themselves. With NO_COLOR set, `monochrome` keeps the
 * structure (bold, inverse) and drops every colour.
 */

/** What a colour is used for (an Ink colour; "" means the terminal's default). */
export interface Theme {
  readonly name: ThemeName;
  /** Titles, the active tab, focused fields. */
  readonly accent: string;
  /** Secondary text (hints, labels). */
  readonly muted: string;
  /** Dim muted text (false where dim text would be hard to read). */
  readonly dimMuted: boolean;
  /** Selected row: background and foreground. */
  readonly selectBg: string;
  readonly selectFg: string;
  readonly ok: string;
  readonly warn: string;
  readonly error: string;
  readonly border: string;
  /** JSON syntax colours. */
  readonly json: {
    readonly key: string;
    readonly string: string;
    readonly number: string;
    readonly literal: string;
    readonly punct: string;
  };
  /** Bold emphasis on accents (the high-contrast theme leans on it). */
  readonly bold: boolean;
}

/** The themes a config file may name. */
export const THEME_NAMES = ["dark", "light", "high-contrast"] as const;

/** A theme name. */
export type ThemeName = typeof THEME_NAMES[number];

const DARK: Theme = {
  name: "dark",
  accent: "cyan",
  muted: "gray",
  dimMuted: false,
  selectBg: "blue",
  selectFg: "whiteBright",
  ok: "green",
  warn: "yellow",
  error: "red",
  border: "gray",
  json: { key: "cyan", string: "green", number: "magenta", literal: "yellow", punct: "gray" },
  bold: false,
};

const LIGHT: Theme = {
  name: "light",
  accent: "blue",
  muted: "gray",
  dimMuted: false,
  selectBg: "cyan",
  selectFg: "black",
  ok: "green",
  warn: "#8a5a00",
  error: "red",
  border: "gray",
  json: { key: "blue", string: "green", number: "magenta", literal: "#8a5a00", punct: "black" },
  bold: false,
};

const HIGH_CONTRAST: Theme = {
  name: "high-contrast",
  accent: "yellowBright",
  muted: "whiteBright",
  dimMuted: false,
  selectBg: "whiteBright",
  selectFg: "black",
  ok: "greenBright",
  warn: "yellowBright",
  error: "redBright",
  border: "whiteBright",
  json: {
    key: "cyanBright",
    string: "greenBright",
    number: "magentaBright",
    literal: "yellowBright",
    punct: "whiteBright",
  },
  bold: true,
};

const THEMES: Readonly<Record<ThemeName, Theme>> = {
  dark: DARK,
  light: LIGHT,
  "high-contrast": HIGH_CONTRAST,
};

/** The theme called `name`. */
export function themeNamed(name: ThemeName): Theme {
  return THEMES[name];
}

/** `theme` without colours (for NO_COLOR): structure through bold and inverse only. */
export function monochrome(theme: Theme): Theme {
  return {
    name: theme.name,
    accent: "",
    muted: "",
    dimMuted: false,
    selectBg: "",
    selectFg: "",
    ok: "",
    warn: "",
    error: "",
    border: "",
    json: {
      key: "",
      string: "",
      number: "",
      literal: "",
      punct: "",
    },
    bold: true,
  };
}

/** The theme after `name` (cycling through every theme). */
export function nextThemeName(name: ThemeName): ThemeName {
  const i = THEME_NAMES.indexOf(name);
  return THEME_NAMES[(i + 1) % THEME_NAMES.length] ?? "dark";
}
