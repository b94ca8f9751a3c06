/**
 * The command palette's parsing: a command line split into words like a POSIX shell
 * would (single quotes, double quotes with backslash escapes, backslash outside quotes;
 * no expansion of any kind), and the few CLI command lines the TUI will not run
 * in-process because they would take over the terminal or the process: `serve`, `tui`,
 * commands reading stdin (which is the TUI's keyboard) and an endless `audit tail
 * --follow`.
 */

/** Global options of the CLI that take a value. */
const VALUE_OPTIONS = new Set(["--addr", "--token", "--cert", "--key", "--ca"]);

/** Commands that read their input from stdin unless given `--in FILE`. */
const STDIN_COMMANDS = new Set(["encrypt", "decrypt", "sign", "verify"]);

/** The words of `line`, or a message when the quoting is unbalanced. */
export function splitCommandLine(line: string): string[] | { error: string } {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i] ?? "";
    if (quote === "'") {
      if (ch === "'") quote = undefined;
      else word += ch;
    } else if (quote === '"') {
      if (ch === '"') quote = undefined;
      else if (ch === "\\" && i + 1 < line.length && '"\\$`'.includes(line[i + 1] ?? "")) {
        word += line[++i];
      } else word += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      inWord = true;
    } else if (ch === "\\" && i + 1 < line.length) {
      word += line[++i];
      inWord = true;
    } else if (ch === " " || ch === "\t") {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (quote !== undefined) return { error: "Cannot run the command: unbalanced quote" };
  if (inWord) words.push(word);
  if (words[0] === "ferrohsm") words.shift();
  return words;
}

/** The command words of `argv` (global options and their values skipped). */
export function commandWords(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i] ?? "";
    if (VALUE_OPTIONS.has(word)) i++;
    else if (!word.startsWith("-")) out.push(word);
  }
  return out;
}

/** Why the palette refuses to run `argv`, or undefined when it may run. */
export function paletteRefusal(argv: readonly string[]): string | undefined {
  if (argv.length === 0) return "Type a ferrohsm command line, e.g. key list --state active";
  if (argv.includes("--help") || argv.includes("-h")) return undefined;
  const [command, sub] = commandWords(argv);
  if (command === "serve" || command === "tui") {
    return `Cannot run ${command} inside the TUI: run it from a shell`;
  }
  if (command !== undefined && STDIN_COMMANDS.has(command)) {
    const at = argv.indexOf("--in");
    const inline = argv.find((w) => w.startsWith("--in="))?.slice("--in=".length);
    const file = inline ?? (at < 0 ? undefined : argv[at + 1]);
    if (file === undefined || file === "-") {
      return `Cannot read stdin inside the TUI: give ${command} --in FILE, or use the Crypto screen`;
    }
  }
  if (command === "audit" && sub === "tail" && argv.includes("--follow")) {
    if (!argv.includes("--follow-timeout")) {
      return "Cannot follow without end inside the TUI: add --follow-timeout S, or use the Audit screen";
    }
  }
  return undefined;
}
