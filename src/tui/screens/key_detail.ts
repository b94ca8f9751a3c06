/**
 * One key: its metadata, tags and version timeline (the current version marked), the
 * public key on `p`, and the lifecycle actions — rotate, roll back to the selected
 * version, revoke, request destruction — each behind a confirmation. A change held for
 * dual control shows its approval id on the status line.
 */

import { Box, useInput } from "ink";
import { createElement as h, type ReactElement, useEffect, useState } from "react";
import type { ApprovalJson } from "../../contract/approvals.ts";
import type { KeyJson, KeyVersionJson, PublicKeyJson } from "../../contract/keys.ts";
import { type ActionName, isAction, keyName, keysOf } from "../key_bindings.ts";
import { safeLines } from "../sanitize.ts";
import type { ChangeJson } from "../tui_client.ts";
import { useTui } from "../ui/context.ts";
import { listMove } from "../ui/list_nav.ts";
import { Details, JsonView, Line, Muted, stateColor, Table, Title } from "../ui/widgets.ts";

function isApproval(body: ChangeJson): body is ApprovalJson {
  return "quorum" in body;
}

/** The key detail view. */
export function KeyDetail(
  props: { keyId: string; active: boolean; refreshTick: number; onBack: () => void },
): ReactElement {
  const tui = useTui();
  const { client, theme, bindings, height } = tui;
  const [key, setKey] = useState<KeyJson | undefined>();
  const [versions, setVersions] = useState<KeyVersionJson[]>([]);
  const [selected, setSelected] = useState(0);
  const [pub, setPub] = useState<PublicKeyJson | undefined>();
  const [pubOffset, setPubOffset] = useState(0);

  const load = async () => {
    try {
      const [k, v] = await Promise.all([
        client.getKey(props.keyId),
        client.versions(props.keyId),
      ]);
      setKey(k);
      setVersions(v);
      setSelected((s) => Math.min(s, Math.max(0, v.length - 1)));
    } catch (err) {
      tui.report(err);
    }
  };
  useEffect(() => void load(), [props.keyId, props.refreshTick]);

  const change = (verb: string, question: string, run: () => Promise<ChangeJson>) =>
    tui.confirm(question, async () => {
      try {
        const res = await run();
        if (isApproval(res)) {
          tui.notify(
            `${verb}: held for approval ${res.id} (${res.approvals.length}/${res.quorum})`,
            "ok",
          );
        } else {tui.notify(
            `${verb}: ${res.name} is ${res.state}, version ${res.current_version}`,
            "ok",
          );}
      } catch (err) {
        tui.report(err);
      }
      await load();
    });

  useInput((input, k) => {
    const name = keyName(input, k);
    const is = (a: ActionName) => isAction(bindings, a, name);
    if (pub !== undefined) {
      if (is("back")) setPub(undefined);
      else if (is("down")) setPubOffset((o) => o + 1);
      else if (is("up")) setPubOffset((o) => Math.max(0, o - 1));
      return;
    }
    if (is("back")) return props.onBack();
    const moved = listMove(bindings, name, selected, versions.length, 5);
    if (moved !== undefined) {
      return setSelected((s) => listMove(bindings, name, s, versions.length, 5) ?? s);
    }
    if (key === undefined) return;
    const label = `${key.name} (${key.id})`;
    if (is("rotate")) {
      change(
        "Rotated",
        `Rotate ${label}? A new version becomes current.`,
        () => client.rotate(key.id),
      );
    } else if (is("rollback")) {
      const version = versions[selected]?.version;
      if (version === undefined) return;
      change(
        "Rolled back",
        `Roll back ${label} to version ${version}? Its material becomes a new current version.`,
        () => client.rollback(key.id, version),
      );
    } else if (is("revoke")) {
      change(
        "Revoked",
        `Revoke ${label}? It can then only decrypt and verify.`,
        () => client.revoke(key.id),
      );
    } else if (is("destroy")) {
      change(
        "Destruction requested",
        `Request destruction of ${label}? A second administrator must approve it.`,
        () => client.destroy(key.id),
      );
    } else if (is("publicKey")) {
      client.publicKey(key.id).then((p) => {
        setPub(p);
        setPubOffset(0);
      }, tui.report);
    } else if (is("useKey")) tui.useKeyForCrypto(key.id);
  }, { isActive: props.active });

  if (key === undefined) return h(Muted, { text: `Loading key ${props.keyId}…` });
  if (pub !== undefined) {
    const pem = safeLines(pub.pem).split("\n").filter((l) => l !== "");
    return h(
      Box,
      { flexDirection: "column" },
      h(Title, { text: `Public key of ${key.name}`, extra: `version ${pub.version} · esc back` }),
      ...pem.slice(0, Math.max(0, height - 8)).map((l, i) => h(Line, { key: i, text: l })),
      h(JsonView, {
        value: { jwk: pub.jwk },
        offset: pubOffset,
        height: Math.max(3, height - pem.length - 2),
      }),
    );
  }
  const tags = Object.entries(key.tags).map(([k, v]) => `${k}=${v}`).join(", ");
  const hint = (["rotate", "rollback", "revoke", "destroy", "publicKey", "useKey"] as const)
    .map((a) =>
      `${keysOf(bindings, a)} ${a === "publicKey" ? "public" : a === "useKey" ? "use" : a}`
    )
    .join(" · ");
  return h(
    Box,
    { flexDirection: "column" },
    h(Title, { text: key.name, extra: "esc back" }),
    h(Details, {
      rows: [
        ["id", key.id],
        ["algorithm", key.algorithm],
        ["state", key.state, stateColor(theme, key.state)],
        ["usage", key.usage.join(", ")],
        ["tags", tags === "" ? "—" : tags],
        ["version", `${key.current_version} (current)${key.dual_control ? " · dual control" : ""}`],
        ["created", key.created_at],
        ["updated", key.updated_at],
      ],
    }),
    h(Muted, { text: hint }),
    h(Table<KeyVersionJson>, {
      columns: [
        { title: "VERSION", width: 8, value: (v) => v.version },
        {
          title: "STATE",
          width: 10,
          value: (v) => v.state,
          color: (v) => stateColor(theme, v.state),
        },
        { title: "CREATED", width: 25, value: (v) => v.created_at },
        {
          title: "NOTE",
          value: (v) =>
            `${v.version === key.current_version ? "current" : "retired"}${
              v.source_version === undefined ? "" : ` · from v${v.source_version}`
            }`,
        },
      ],
      rows: versions,
      selected,
      height: Math.max(3, height - 11),
    }),
  );
}
