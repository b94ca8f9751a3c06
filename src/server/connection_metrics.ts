/**
 * The listener's connection figures as metrics: connections open now, and connections
 * refused (over the bound) or closed for a slow client (header, request or idle timeout)
 * since the start. Read at scrape time; absent for the node:https (mutual TLS) listener,
 * which applies the same limits inside node.
 */

import type { FerroHsmMetrics } from "../metrics/ferrohsm_metrics.ts";
import type { ListenerStats } from "./listener.ts";

/** Registers the connection metrics, read from `stats` at scrape time. */
export function registerConnectionMetrics(
  metrics: FerroHsmMetrics,
  stats: () => ListenerStats | undefined,
): void {
  const r = metrics.registry;
  const figure = (pick: (s: ListenerStats) => number) => () => {
    const s = stats();
    return s === undefined ? [] : [{ labels: {}, value: pick(s) }];
  };
  r.gauge({
    name: "ferrohsm_connections_open",
    help: "Client connections open now",
    collect: figure((s) => s.open),
  });
  r.counter({
    name: "ferrohsm_connections_refused_total",
    help: "Connections closed when accepted because the connection bound was reached",
    collect: figure((s) => s.refused),
  });
  r.counter({
    name: "ferrohsm_connections_timed_out_total",
    help: "Connections closed for a slow client (header, request or idle timeout)",
    collect: figure((s) => s.timedOut),
  });
}
