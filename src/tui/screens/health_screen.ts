/**
 * The Health screen: the figures of the web dashboard's Overview (see `overview.ts`),
 * from `/healthz` and `/metrics`, refreshed every `refreshSeconds` while the screen is
 * shown; rates are over the last minute of scrapes. `/metrics` may need the token
 * (`--metrics-auth`); a 401 there asks for a new one like any call.
 */

import { Box, Text } from "ink";
import { createElement as h, type ReactElement, useEffect, useRef, useState } from "react";
import { type OverviewFigures, overviewFigures, ScrapeWindow } from "../overview.ts";
import { MetricsSnapshot } from "../prometheus_text.ts";
import { type ScreenProps, useTui } from "../ui/context.ts";
import { Details, Muted, stateColor, Title } from "../ui/widgets.ts";

/** "3d 4h", "2h 5m", "4m 10s". */
export function formatUptime(seconds: number | undefined): string {
  if (seconds === undefined) return "—";
  const s = Math.floor(seconds);
  if (s >= 86400) return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
  if (s >= 3600) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 60)}m ${s % 60}s`;
}

function percent(ratio: number | undefined): string {
  return ratio === undefined ? "—" : `${(ratio * 100).toFixed(1)}%`;
}

function count(n: number): string {
  return Number.isInteger(n) ? n.toLocaleString("en-US") : n.toFixed(2);
}

function Section(props: { title: string; children: ReactElement }): ReactElement {
  const { theme } = useTui();
  return h(
    Box,
    { flexDirection: "column", marginBottom: 1 },
    h(Text, { bold: true, color: theme.accent }, props.title),
    props.children,
  );
}

/** The Health screen. */
export function HealthScreen(
  props: ScreenProps,
): ReactElement {
  const tui = useTui();
  const { client, theme, width } = tui;
  const [figures, setFigures] = useState<OverviewFigures | undefined>();
  const [updated, setUpdated] = useState<string | undefined>();
  const scrapes = useRef(new ScrapeWindow());

  const load = async () => {
    try {
      const [health, text] = await Promise.all([client.health(), client.metricsText()]);
      const snapshot = MetricsSnapshot.parse(text);
      const now = tui.clock();
      setFigures(overviewFigures(health, snapshot, scrapes.current.add(snapshot, now)));
      setUpdated(new Date(now).toISOString().slice(11, 19));
    } catch (err) {
      tui.report(err);
    }
  };
  useEffect(() => {
    if (!props.visible) return;
    void load();
    const timer = setInterval(() => void load(), tui.refreshSeconds * 1000);
    return () => clearInterval(timer);
  }, [props.visible, props.refreshTick]);

  if (figures === undefined) return h(Muted, { text: "Loading health and metrics…" });
  const f = figures;
  const last = tui.lastVerification;
  const left = h(
    Box,
    { flexDirection: "column", width: Math.floor(width / 2) },
    h(Section, {
      title: "Server",
      children: h(Details, {
        rows: [
          ["status", f.status, f.status === "ok" ? theme.ok : theme.error],
          ["version", f.version ?? "—"],
          ["uptime", formatUptime(f.uptimeSeconds)],
          [
            "self-test",
            f.selfTestPassed === undefined ? "—" : f.selfTestPassed ? "passed" : "FAILED",
            f.selfTestPassed === false ? theme.error : theme.ok,
          ],
          [
            "memory",
            f.residentMemoryBytes === undefined
              ? "—"
              : `${(f.residentMemoryBytes / 1048576).toFixed(0)} MiB`,
          ],
          ...f.stores.map((s) =>
            [
              `${s.name} store`,
              `${s.ok ? "ok" : "DOWN"} ${s.kind} ${s.latencyMs} ms`,
              stateColor(theme, s.ok ? "ok" : "revoked"),
            ] as const
          ),
        ],
      }),
    }),
    h(Section, {
      title: "Audit",
      children: h(Details, {
        rows: [
          ["head seq", f.auditHeadSeq ?? "—"],
          [
            "write failures",
            count(f.auditWriteFailures),
            f.auditWriteFailures > 0 ? theme.error : "",
          ],
          [
            "verified",
            last === undefined
              ? "not yet (Audit, v)"
              : last.result.valid
              ? `intact ${last.result.entries} @${new Date(last.atMs).toISOString().slice(11, 19)}`
              : `BROKEN at ${last.result.first_bad_seq}: ${last.result.reason}`,
            last === undefined ? "" : last.result.valid ? theme.ok : theme.error,
          ],
        ],
      }),
    }),
  );
  const right = h(
    Box,
    { flexDirection: "column", flexGrow: 1 },
    h(Section, {
      title: "Requests",
      children: h(Details, {
        rows: [
          ["total", count(f.requests.total)],
          ["4xx / 5xx", `${count(f.requests.clientErrors)} / ${count(f.requests.serverErrors)}`],
          [
            "per second",
            f.requests.perSecond === undefined ? "—" : f.requests.perSecond.toFixed(2),
          ],
          ["error ratio", percent(f.requests.errorRatio)],
          [
            "in flight",
            `${f.concurrency.inFlight} (queued ${f.concurrency.queued}, shed ${
              count(f.concurrency.shed)
            })`,
          ],
        ],
      }),
    }),
    h(Section, {
      title: "Rate limiter",
      children: h(Details, {
        rows: [
          ["actors tracked", f.rateLimiter.actorsTracked ?? "—"],
          [
            "limited",
            `${count(f.rateLimiter.limitedActors)} actor · ${
              count(f.rateLimiter.limitedAddresses)
            } address`,
          ],
          ["approvals", `${f.approvalsPending} pending`, f.approvalsPending > 0 ? theme.warn : ""],
        ],
      }),
    }),
    h(Section, {
      title: "Caches (hit ratio)",
      children: h(Details, {
        rows: f.caches.length === 0
          ? [["—", "no cache figures"]]
          : f.caches.map((c) => [c.name, `${percent(c.ratio)} (${count(c.hits)} hits)`] as const),
      }),
    }),
  );
  return h(
    Box,
    { flexDirection: "column" },
    h(Title, {
      text: "Health and metrics",
      extra: `updated ${updated ?? "—"} · every ${tui.refreshSeconds}s`,
    }),
    h(Box, null, left, right),
  );
}
