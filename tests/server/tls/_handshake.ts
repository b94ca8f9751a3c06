/**
 * What a TLS client sees of the server's certificate, through `openssl s_client`: the
 * leaf's serial and whether an OCSP response was stapled (`-status`).
 */

/** The served leaf's serial (uppercase hex) and the stapling line of s_client. */
export interface Handshake {
  readonly serial: string | undefined;
  /** s_client's `OCSP response:` line, e.g. "no response sent". */
  readonly ocsp: string | undefined;
}

/** Handshakes with 127.0.0.1:`port` (SNI `servername`) and reads the served certificate. */
export async function handshake(port: number, servername = "localhost"): Promise<Handshake> {
  const out = await new Deno.Command("sh", {
    args: [
      "-c",
      'openssl s_client -connect "127.0.0.1:$1" -servername "$2" -status </dev/null 2>/dev/null' +
      " | tee /dev/stderr | openssl x509 -noout -serial",
      "sh",
      String(port),
      servername,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  const session = new TextDecoder().decode(out.stderr);
  return {
    serial: /serial=([0-9A-F]+)/.exec(text)?.[1],
    ocsp: /OCSP response: ?(.*)/.exec(session)?.[1]?.trim(),
  };
}

/** Polls `handshake` until the serial differs from `previous` (bounded: 20 s). */
export async function nextSerial(port: number, previous: string | undefined): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const { serial } = await handshake(port);
    if (serial !== undefined && serial !== previous) return serial;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`The served certificate is still ${previous}`);
}

/** A serial without leading zeros (openssl and node:crypto differ there). */
export function bare(serial: string | undefined): string | undefined {
  return serial?.toUpperCase().replace(/^0+(?=.)/, "");
}
