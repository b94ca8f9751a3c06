/**
 * The Crypto screen: encrypt, decrypt, sign or verify with a key, the input typed (as
 * text or base64) or read from a file. The result is shown in full (escaped), as the
 * API's JSON, and can be copied (`y`, OSC 52 clipboard) or written to a file (`w`,
 * mode 0600). Plaintext is kept only in this screen's state and wiped when replaced.
 */

import { Box, Text, useInput } from "ink";
import { createElement as h, type ReactElement, useEffect, useState } from "react";
import {
  CRYPTO_OPERATIONS,
  cryptoBody,
  type CryptoOperation,
  type CryptoResult,
  cryptoResult,
  type CryptoValues,
  INPUT_MODES,
} from "../crypto_request.ts";
import { type ActionName, isAction, keyName, keysOf } from "../key_bindings.ts";
import { safeText } from "../sanitize.ts";
import { useTui } from "../ui/context.ts";
import { type FieldSpec, Form } from "../ui/form.ts";
import { useValues } from "../ui/use_values.ts";
import { JsonView, Muted, Title } from "../ui/widgets.ts";

const INPUT_LABELS: Readonly<Record<CryptoOperation, string>> = {
  encrypt: "Plaintext",
  decrypt: "Ciphertext",
  sign: "Message",
  verify: "Message",
};

/** The fields shown for `v`. */
function fieldsOf(v: CryptoValues): FieldSpec[] {
  const signing = v.operation === "sign" || v.operation === "verify";
  const label = v.inputMode === "file"
    ? `${INPUT_LABELS[v.operation]} file`
    : INPUT_LABELS[v.operation];
  return [
    { kind: "text", name: "keyId", label: "Key id", value: v.keyId },
    {
      kind: "choice",
      name: "operation",
      label: "Operation",
      value: v.operation,
      options: CRYPTO_OPERATIONS,
    },
    { kind: "choice", name: "inputMode", label: "Input", value: v.inputMode, options: INPUT_MODES },
    { kind: "text", name: "input", label, value: v.input },
    ...(signing ? [] : [{ kind: "text", name: "aad", label: "AAD (text)", value: v.aad } as const]),
    ...(v.operation === "verify"
      ? [
        {
          kind: "text",
          name: "signature",
          label: "Signature",
          value: v.signature,
          hint: "base64 or @file",
        } as const,
      ]
      : []),
    ...(signing
      ? [
        { kind: "toggle", name: "digest", label: "Is a digest", value: v.digest } as const,
        {
          kind: "choice",
          name: "hash",
          label: "Hash",
          value: v.hash,
          options: ["default", "SHA-256", "SHA-384", "SHA-512"],
        } as const,
        {
          kind: "choice",
          name: "padding",
          label: "RSA padding",
          value: v.padding,
          options: ["default", "pkcs1", "pss"],
        } as const,
        {
          kind: "choice",
          name: "format",
          label: "ECDSA format",
          value: v.format,
          options: ["default", "der", "raw"],
        } as const,
      ]
      : []),
    { kind: "button", name: "run", label: `Run ${v.operation}` },
  ];
}

/** The Crypto screen; `keyId` preselects a key (from the key detail's `c`). */
export function CryptoScreen(
  props: {
    active: boolean;
    keyId: string | undefined;
    readFile?: (path: string) => Promise<Uint8Array>;
  },
): ReactElement {
  const tui = useTui();
  const { client, theme, bindings, height, setEditing } = tui;
  const [values, change, latest, setAll] = useValues<CryptoValues>({
    keyId: props.keyId ?? "",
    operation: "encrypt",
    inputMode: "text",
    input: "",
    aad: "",
    signature: "",
    digest: false,
    hash: "default",
    padding: "default",
    format: "default",
  });
  const [editing, setFormEditing] = useState(false);
  const [saving, setSaving] = useState(false);
  const [save, changeSave, latestSave, setSave] = useValues({ path: "" });
  const [result, setResult] = useState<CryptoResult | undefined>();
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (props.keyId === undefined) return;
    setAll({ ...latest(), keyId: props.keyId ?? "" });
    setFormEditing(true);
  }, [props.keyId]);
  const capturing = props.active && (editing || saving);
  useEffect(() => {
    setEditing(capturing);
  }, [capturing]);

  const run = async () => {
    if (busy) return;
    setBusy(true);
    try {
      const current = latest();
      const body = await cryptoBody(current, props.readFile ?? ((p) => Deno.readFile(p)));
      const answer = await client.crypto<Record<string, unknown>>(
        current.keyId.trim(),
        current.operation,
        body,
      );
      result?.bytes?.fill(0);
      setResult(cryptoResult(current.operation, answer));
      setFormEditing(false);
      tui.notify(`${current.operation} done with version ${String(answer.version)}`, "ok");
    } catch (err) {
      if (err instanceof TypeError) tui.notify(err.message, "error");
      else if (err instanceof Deno.errors.NotFound) {
        tui.notify("Cannot read the file: not found", "error");
      } else tui.report(err);
    } finally {
      setBusy(false);
    }
  };

  useInput((input, key) => {
    const name = keyName(input, key);
    const is = (a: ActionName) => isAction(bindings, a, name);
    if (is("edit") || is("open")) setFormEditing(true);
    else if (is("copy") && result !== undefined) {
      tui.copy(result.text);
      tui.notify(`Copied the ${result.label} (OSC 52)`, "ok");
    } else if (is("save") && result?.bytes !== undefined) {
      setSave({ path: "" });
      setSaving(true);
    }
  }, { isActive: props.active && !capturing });

  const savePrompt = !saving ? null : h(Form, {
    fields: [{
      kind: "text",
      name: "path",
      label: "Write to",
      value: save.path,
      hint: "file path",
    }],
    onChange: changeSave,
    onSubmit: () => {
      const path = latestSave().path.trim();
      const bytes = result?.bytes;
      setSaving(false);
      if (path === "" || bytes === undefined) return;
      tui.saveFile(path, bytes).then(
        () => tui.notify(`Wrote ${bytes.length} bytes to ${path}`, "ok"),
        (err) =>
          tui.notify(`Cannot write ${path}: ${err instanceof Error ? err.name : "error"}`, "error"),
      );
    },
    onCancel: () => setSaving(false),
    active: props.active,
    submitOnEnter: true,
    labelWidth: 10,
  });
  const fields = fieldsOf(values);
  const resultRoom = Math.max(3, height - (editing ? fields.length + 3 : 4));
  return h(
    Box,
    { flexDirection: "column" },
    h(Title, {
      text: "Crypto",
      extra: editing
        ? "↑/↓ fields · ←/→ choose · enter next · esc done"
        : `${keysOf(bindings, "edit")} edit · ${keysOf(bindings, "copy")} copy · ${
          keysOf(bindings, "save")
        } write to file`,
    }),
    editing
      ? h(Form, {
        fields: fields.map((f) => f.kind === "button" && busy ? { ...f, label: "Running…" } : f),
        onChange: change,
        onSubmit: () => void run(),
        onCancel: () => setFormEditing(false),
        active: props.active && !saving && !busy,
      })
      : h(Muted, {
        text: `${values.operation} with ${values.keyId || "no key"} — press ${
          keysOf(bindings, "edit")
        } to edit`,
      }),
    savePrompt,
    result === undefined ? null : h(
      Box,
      { flexDirection: "column", marginTop: editing ? 0 : 1 },
      h(
        Text,
        { color: result.ok ? theme.ok : theme.error, bold: true },
        `${result.operation} → ${result.label}`,
      ),
      editing ? null : h(Text, { wrap: "wrap" }, safeText(result.text)),
      h(JsonView, {
        value: result.answer,
        height: Math.max(1, resultRoom - Math.ceil(result.text.length / 78)),
      }),
    ),
  );
}
