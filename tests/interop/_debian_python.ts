/**
 * Debian's Python for the interop tests: `/usr/bin/python3` (not a user's pyenv shim,
 * which does not see Debian's `python3-*` packages), and whether a module is importable.
 */

/** The Python interpreter Debian's `python3-*` packages install into. */
export const DEBIAN_PYTHON = "/usr/bin/python3";

/** True when Debian's Python can import every module of `modules`. */
export async function pythonHas(...modules: string[]): Promise<boolean> {
  try {
    const out = await new Deno.Command(DEBIAN_PYTHON, {
      args: ["-c", modules.map((m) => `import ${m}`).join("; ")],
      stdout: "null",
      stderr: "null",
    }).output();
    return out.success;
  } catch {
    return false;
  }
}

/** Runs Debian's Python with `args` (cwd `cwd`) and collects its output. */
export async function runPython(
  args: string[],
  cwd?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(DEBIAN_PYTHON, {
    args,
    ...(cwd === undefined ? {} : { cwd }),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}
