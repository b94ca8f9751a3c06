/**
 * A server-rendered SVG line chart of requests (and errors) per second, so the browser
 * runs no chart library. Styling comes from classes in ui.css (the CSP forbids inline
 * styles); the numbers are also given as text for screen readers.
 */

import type { View } from "./view.ts";
import { formatDecimal } from "./format.ts";

/** The chart's data: mean rates per second of consecutive steps, oldest first. */
export interface ChartModel {
  readonly requests: readonly number[];
  readonly errors: readonly number[];
  /** Seconds each point covers. */
  readonly stepSeconds: number;
}

const WIDTH = 720;
const HEIGHT = 180;
const PAD_LEFT = 40;
const PAD_RIGHT = 8;
const PAD_TOP = 10;
const PAD_BOTTOM = 22;

/** The y-axis top: 1, 2 or 5 times a power of ten, at least `max`. */
export function niceCeiling(max: number): number {
  if (!(max > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 5, 10]) {
    if (step * power >= max) return step * power;
  }
  return 10 * power;
}

/** SVG `points` for `values` scaled into the plot area. */
export function polylinePoints(values: readonly number[], top: number): string {
  const plotW = WIDTH - PAD_LEFT - PAD_RIGHT;
  const plotH = HEIGHT - PAD_TOP - PAD_BOTTOM;
  const n = Math.max(values.length - 1, 1);
  return values.map((v, i) => {
    const x = PAD_LEFT + (plotW * i) / n;
    const y = PAD_TOP + plotH - (plotH * Math.min(v, top)) / top;
    return `${x.toFixed(1)},${y.toFixed(1)}`;
  }).join(" ");
}

/** The requests-per-second chart. */
export function RequestChart(props: { model: ChartModel }): View {
  const { requests, errors, stepSeconds } = props.model;
  const top = niceCeiling(Math.max(0, ...requests));
  const minutes = Math.round((requests.length * stepSeconds) / 60);
  const base = HEIGHT - PAD_BOTTOM;
  const line = polylinePoints(requests, top);
  const area = `${PAD_LEFT},${base} ${line} ${WIDTH - PAD_RIGHT},${base}`;
  const peak = Math.max(0, ...requests);
  const mean = requests.reduce((a, b) => a + b, 0) / Math.max(requests.length, 1);
  const gridValues = [0, top / 2, top];
  const yOf = (v: number) => PAD_TOP + (HEIGHT - PAD_TOP - PAD_BOTTOM) * (1 - v / top);
  return (
    <figure class="chart-figure">
      <svg
        class="chart"
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        role="img"
        aria-labelledby="chart-title chart-desc"
      >
        <title id="chart-title">Requests per second, last {minutes} minutes</title>
        <desc id="chart-desc">
          {`Peak ${formatDecimal(peak)} and mean ${
            formatDecimal(mean)
          } requests per second over ${stepSeconds}-second steps.`}
        </desc>
        {gridValues.map((v) => (
          <>
            <line
              class="grid-line"
              x1={PAD_LEFT}
              x2={WIDTH - PAD_RIGHT}
              y1={yOf(v).toFixed(1)}
              y2={yOf(v).toFixed(1)}
            />
            <text class="axis-label" x={PAD_LEFT - 6} y={(yOf(v) + 4).toFixed(1)} text-anchor="end">
              {formatDecimal(v)}
            </text>
          </>
        ))}
        <polygon class="series-area" points={area} />
        <polyline class="series" points={line} />
        <polyline class="series-errors" points={polylinePoints(errors, top)} />
        <text class="axis-label" x={PAD_LEFT} y={HEIGHT - 6}>−{minutes} min</text>
        <text class="axis-label" x={WIDTH - PAD_RIGHT} y={HEIGHT - 6} text-anchor="end">now</text>
      </svg>
      <ul class="legend">
        <li>
          <span class="swatch"></span>requests/s
        </li>
        <li>
          <span class="swatch errors"></span>errors/s (status 400 and above)
        </li>
      </ul>
    </figure>
  );
}
