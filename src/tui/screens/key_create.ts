/**
 * The Create key form: name, algorithm, usages (none ticked: the algorithm's default),
 * tags as `k=v, k=v`, dual control. The request is checked against the contract's
 * `CreateKeyRequest` schema first, so errors show inline next to their field; the
 * server's answer (an active key, or a staged key with its approval) goes to `onCreated`.
 */

import { Box } from "ink";
import { createElement as h, type ReactElement, useEffect, useState } from "react";
import { CreateKeyRequest } from "../../contract/keys.ts";
import { ALGORITHM_NAMES, USAGE_NAMES } from "../../domain/algorithms.ts";
import type { ApprovalJson } from "../../contract/approvals.ts";
import type { KeyJson } from "../../contract/keys.ts";
import { useTui } from "../ui/context.ts";
import { Form } from "../ui/form.ts";
import { useValues } from "../ui/use_values.ts";
import { Muted, Title } from "../ui/widgets.ts";

interface Values {
  name: string;
  algorithm: string;
  usage: readonly string[];
  tags: string;
  dualControl: boolean;
}

/** Parses `k=v, k=v` tags; a string is an error message. */
export function parseTags(text: string): Record<string, string> | string {
  const tags: Record<string, string> = Object.create(null);
  for (const part of text.split(",").map((p) => p.trim()).filter((p) => p !== "")) {
    const at = part.indexOf("=");
    if (at <= 0) return `Expected key=value, got ${part}`;
    tags[part.slice(0, at).trim()] = part.slice(at + 1).trim();
  }
  return tags;
}

/** The request body for `values`, or field errors. */
export function createRequest(
  values: Values,
): { body: Record<string, unknown> } | { errors: Record<string, string> } {
  const tags = parseTags(values.tags);
  if (typeof tags === "string") return { errors: { tags } };
  const body = {
    name: values.name,
    algorithm: values.algorithm,
    ...(values.usage.length === 0 ? {} : { usage: values.usage }),
    ...(Object.keys(tags).length === 0 ? {} : { tags: { ...tags } }),
    ...(values.dualControl ? { dual_control: true } : {}),
  };
  const parsed = CreateKeyRequest.safeParse(body);
  if (parsed.success) return { body };
  const errors: Record<string, string> = {};
  for (const issue of parsed.error.issues) {
    const field = String(issue.path[0] ?? "name");
    errors[field === "dual_control" ? "dualControl" : field] ??= issue.message;
  }
  return { errors };
}

/** The form; `onCreated` gets the new key (and its approval under dual control). */
export function KeyCreate(
  props: {
    active: boolean;
    onCreated: (key: KeyJson, approval: ApprovalJson | undefined) => void;
    onCancel: () => void;
  },
): ReactElement {
  const { client, report, notify, setEditing } = useTui();
  const [values, change, latest] = useValues<Values>({
    name: "",
    algorithm: "AES-256-GCM",
    usage: [],
    tags: "",
    dualControl: false,
  });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    setEditing(props.active);
    return () => setEditing(false);
  }, [props.active]);

  const submit = async () => {
    if (busy) return;
    const current = latest();
    const request = createRequest(current);
    if ("errors" in request) return setErrors(request.errors);
    setErrors({});
    setBusy(true);
    notify(`Generating ${current.algorithm} key…`);
    try {
      const res = await client.createKey(request.body);
      if ("approval" in res) props.onCreated(res.key, res.approval);
      else props.onCreated(res, undefined);
    } catch (err) {
      report(err);
    } finally {
      setBusy(false);
    }
  };
  return h(
    Box,
    { flexDirection: "column" },
    h(Title, { text: "Create key", extra: "↑/↓ fields · ←/→ choose · space tick · esc cancel" }),
    h(Form, {
      fields: [
        { kind: "text", name: "name", label: "Name", value: values.name, hint: "e.g. payments" },
        {
          kind: "choice",
          name: "algorithm",
          label: "Algorithm",
          value: values.algorithm,
          options: ALGORITHM_NAMES,
        },
        {
          kind: "multi",
          name: "usage",
          label: "Usage",
          values: values.usage,
          options: USAGE_NAMES,
        },
        {
          kind: "text",
          name: "tags",
          label: "Tags",
          value: values.tags,
          hint: "env=prod, team=core",
        },
        { kind: "toggle", name: "dualControl", label: "Dual control", value: values.dualControl },
        { kind: "button", name: "create", label: busy ? "Creating…" : "Create" },
      ],
      errors,
      onChange: change,
      onSubmit: () => void submit(),
      onCancel: props.onCancel,
      active: props.active && !busy,
    }),
    h(Muted, { text: "No usage ticked: the algorithm's default usages." }),
  );
}
