// The INR chart, drawn as SVG by hand: the target range as a band for each version over its own period, the
// critical thresholds as dashed lines, valid INRs joined by a line, and a shape for each kind of point (out of
// range, critical, not a valid INR, corrected, a correction) so that colour is never the only signal.

import { formatInstant, h, svg, words } from "./ui.js";

const WIDTH = 800;
const HEIGHT = 320;
const MARGIN = { left: 44, right: 20, top: 14, bottom: 34 };
const DAY = 86400000;

/** Whether a result is a valid INR: a passed strip, no meter error, not replaced by a correction. */
export function isValidInr(result) {
  return result.qc_passed && !result.meter_error_code && !result.corrected_by;
}

/** Why a result is not a valid INR, in words; "" when it is one. */
export function whyNotValid(result) {
  if (result.corrected_by) return "Corrected by a later entry";
  if (!result.qc_passed) return "Strip failed its quality check";
  if (result.meter_error_code) return `Meter error ${result.meter_error_code}`;
  return "";
}

function shapeOf(result) {
  if (result.corrected_by) return "corrected";
  if (!isValidInr(result)) return "invalid";
  return result.flag ? result.flag.level : "in_range";
}

/** The marker of one point at (x, y): its shape says what the colour says. */
export function marker(kind, x, y) {
  if (kind === "critical_low" || kind === "critical_high") {
    const s = 8;
    return svg("path", { d: `M${x} ${y - s}L${x + s} ${y}L${x} ${y + s}L${x - s} ${y}Z`, class: `chart-point ${kind}` });
  }
  if (kind === "low") return svg("path", { d: `M${x - 6} ${y - 5}H${x + 6}L${x} ${y + 6}Z`, class: "chart-point low" });
  if (kind === "high") return svg("path", { d: `M${x - 6} ${y + 5}H${x + 6}L${x} ${y - 6}Z`, class: "chart-point high" });
  if (kind === "invalid") {
    return svg("path", { d: `M${x - 5} ${y - 5}L${x + 5} ${y + 5}M${x + 5} ${y - 5}L${x - 5} ${y + 5}`,
                         class: "chart-point invalid" });
  }
  if (kind === "corrected") return svg("circle", { cx: x, cy: y, r: 6, class: "chart-point corrected" });
  return svg("circle", { cx: x, cy: y, r: 5, class: `chart-point ${kind}` });
}

function ticks(start, end) {
  const steps = [DAY, 2 * DAY, 7 * DAY, 14 * DAY, 30 * DAY, 91 * DAY, 182 * DAY, 365 * DAY];
  const step = steps.find((s) => (end - start) / s <= 7) || 365 * DAY;
  const first = Math.ceil(start / step) * step;
  const out = [];
  for (let t = first; t <= end; t += step) out.push(t);
  return out;
}

const shortDate = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short" });
const longDate = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short", year: "numeric" });

/**
 * The chart of `results` (ResultOut documents) against `ranges` (target range versions, oldest first) and the
 * clinic's `critical` thresholds, up to `now` (ms). Returns an <svg> element.
 */
export function inrChart({ results, ranges, critical, now = Date.now(), name = "the patient" }) {
  const points = [...results].sort((a, b) => Date.parse(a.measured_at) - Date.parse(b.measured_at));
  const chart = svg("svg", { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: "img", "aria-labelledby": "chart-title chart-desc",
                             class: "inr-chart" });
  chart.append(svg("title", { id: "chart-title" }, `INR over time for ${name}`));
  const description = svg("desc", { id: "chart-desc" });
  chart.append(description);
  if (!points.length) {
    description.textContent = "No results yet.";
    chart.append(svg("text", { x: WIDTH / 2, y: HEIGHT / 2, "text-anchor": "middle", class: "chart-empty" },
                     "No results yet"));
    return chart;
  }

  const times = points.map((r) => Date.parse(r.measured_at));
  // At least the last week up to now, with a little room on both sides.
  const end = Math.max(now, times[times.length - 1]);
  const start = Math.min(times[0], end - 7 * DAY);
  const t0 = start - (end - start) * 0.03;
  const t1 = end + (end - start) * 0.03;
  const highest = Math.max(...points.map((r) => r.value || 0), ...ranges.map((r) => r.high), critical.high);
  const y0 = 0.5;
  const y1 = Math.min(8.5, Math.ceil(highest + 0.5));
  const X = (t) => MARGIN.left + ((t - t0) / (t1 - t0)) * (WIDTH - MARGIN.left - MARGIN.right);
  const Y = (v) => HEIGHT - MARGIN.bottom - ((v - y0) / (y1 - y0)) * (HEIGHT - MARGIN.top - MARGIN.bottom);
  const round = (n) => Math.round(n * 10) / 10;

  // Grid: a line and a label at each whole INR; a date under each tick.
  const grid = svg("g", { "aria-hidden": "true" });
  for (let v = Math.ceil(y0); v <= y1; v += 1) {
    grid.append(svg("line", { x1: MARGIN.left, x2: WIDTH - MARGIN.right, y1: round(Y(v)), y2: round(Y(v)),
                              class: "chart-grid" }),
                svg("text", { x: MARGIN.left - 8, y: round(Y(v)) + 4, "text-anchor": "end", class: "chart-label" },
                    String(v)));
  }
  for (const t of ticks(t0, t1)) {
    grid.append(svg("line", { x1: round(X(t)), x2: round(X(t)), y1: HEIGHT - MARGIN.bottom,
                              y2: HEIGHT - MARGIN.bottom + 5, class: "chart-axis" }),
                svg("text", { x: round(X(t)), y: HEIGHT - MARGIN.bottom + 18, "text-anchor": "middle",
                              class: "chart-label" }, shortDate.format(new Date(t))));
  }
  grid.append(svg("line", { x1: MARGIN.left, x2: WIDTH - MARGIN.right, y1: HEIGHT - MARGIN.bottom,
                            y2: HEIGHT - MARGIN.bottom, class: "chart-axis" }),
              svg("text", { x: 4, y: MARGIN.top + 2, class: "chart-label" }, "INR"));
  chart.append(grid);

  // The target range: each version over its own period (the first also before it, as the TTR counts it).
  const bands = svg("g", { class: "chart-bands" });
  ranges.forEach((range, i) => {
    const from = i === 0 ? t0 : Math.max(t0, Date.parse(range.effective_from));
    const to = i + 1 < ranges.length ? Math.min(t1, Date.parse(ranges[i + 1].effective_from)) : t1;
    if (to <= from) return;
    const label = `Target ${range.low.toFixed(1)}–${range.high.toFixed(1)}`;
    const band = svg("rect", { x: round(X(from)), y: round(Y(range.high)), width: round(X(to) - X(from)),
                               height: round(Y(range.low) - Y(range.high)), class: "chart-band",
                               "data-low": range.low, "data-high": range.high },
                     svg("title", {}, `${label} from ${longDate.format(new Date(Math.max(from, Date.parse(range.effective_from))))}`));
    bands.append(band);
    if (X(to) - X(from) > 90) {
      bands.append(svg("text", { x: round(X(from)) + 6, y: round(Y(range.high)) + 14, class: "chart-band-label",
                                 "aria-hidden": "true" }, label));
    }
  });
  chart.append(bands);

  // The critical thresholds.
  for (const [value, label] of [[critical.low, `Critical ≤ ${critical.low.toFixed(1)}`],
                                [critical.high, `Critical ≥ ${critical.high.toFixed(1)}`]]) {
    if (value < y0 || value > y1) continue;
    chart.append(svg("line", { x1: MARGIN.left, x2: WIDTH - MARGIN.right, y1: round(Y(value)), y2: round(Y(value)),
                               class: "chart-critical", "data-critical": value }),
                 svg("text", { x: MARGIN.left + 6, y: round(Y(value)) + (value === critical.low ? 15 : -5),
                               class: "chart-critical-label", "aria-hidden": "true" }, label));
  }

  // Valid INRs joined by a line; every result a marker with its own title.
  const valid = points.filter(isValidInr);
  if (valid.length > 1) {
    chart.append(svg("polyline", { class: "chart-line", "aria-hidden": "true",
                                   points: valid.map((r) => `${round(X(Date.parse(r.measured_at)))},${round(Y(r.value))}`).join(" ") }));
  }
  const markers = svg("g", { class: "chart-points" });
  for (const result of points) {
    const x = round(X(Date.parse(result.measured_at)));
    const y = round(Y(result.value ?? y0));
    const kind = shapeOf(result);
    const why = whyNotValid(result);
    const level = result.flag ? words(result.flag.level).toLowerCase() : "";
    const group = svg("g", { class: "chart-result", "data-result-id": result.id, "data-kind": kind,
                             "data-valid": String(isValidInr(result)), "data-reading": result.reading });
    group.append(svg("title", {}, `${formatInstant(result.measured_at)}: INR ${result.reading}` +
                                  (why ? ` — not a valid INR: ${why}` : ` — ${level}`) +
                                  (result.corrects ? " (a correction)" : "")));
    if (result.corrects) group.append(svg("circle", { cx: x, cy: y, r: 11, class: "chart-ring" }));
    group.append(marker(kind, x, y));
    markers.append(group);
  }
  chart.append(markers);

  const latest = points[points.length - 1];
  const outside = valid.filter((r) => r.flag && r.flag.level !== "in_range").length;
  const range = ranges.length ? ranges[ranges.length - 1] : null;
  description.textContent = `${points.length} results from ${longDate.format(new Date(times[0]))} to ` +
    `${longDate.format(new Date(times[times.length - 1]))}; ${outside} valid INRs outside the target range; ` +
    `${points.length - valid.length} readings that are not valid INRs. Latest: ${latest.reading}` +
    (range ? `; target range now ${range.low.toFixed(1)}–${range.high.toFixed(1)}.` : ".") +
    " The results table below lists every value.";
  return chart;
}

/** The chart's legend: each marker shape with its meaning. */
export function chartLegend() {
  const item = (kind, text, extra) => {
    const picture = svg("svg", { viewBox: "0 0 24 24", "aria-hidden": "true", focusable: "false" });
    if (extra) picture.append(svg("circle", { cx: 12, cy: 12, r: 11, class: "chart-ring" }));
    picture.append(marker(kind, 12, 12));
    return h("span", {}, picture, text);
  };
  const band = svg("svg", { viewBox: "0 0 24 24", "aria-hidden": "true", focusable: "false" },
                   svg("rect", { x: 1, y: 6, width: 22, height: 12, class: "chart-band" }));
  const line = svg("svg", { viewBox: "0 0 24 24", "aria-hidden": "true", focusable: "false" },
                   svg("line", { x1: 1, x2: 23, y1: 12, y2: 12, class: "chart-critical" }));
  return [
    h("span", {}, band, "Target range (each version over its period)"),
    h("span", {}, line, "Critical threshold"),
    item("in_range", "In range"),
    item("low", "Low"),
    item("high", "High"),
    item("critical_low", "Critical"),
    item("invalid", "Not a valid INR (failed strip or meter error)"),
    item("corrected", "Corrected (replaced)"),
    item("in_range", "A correction", true),
  ];
}
