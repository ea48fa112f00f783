// Small SVG line chart. One <path class="series"> per series whose `d` has exactly one
// command per finite point (M, then L…). Non-finite values (NaN, ±Infinity) are skipped.

import { s, formatTime } from './ui.js';

export const PALETTE = [
  '#2d63d8', '#e8710a', '#1e9e6a', '#c2338a', '#7a4fd6',
  '#0f97b0', '#b58a00', '#d64545', '#5b7083', '#8c5a2b',
];

export function seriesColor(i) {
  return PALETTE[((i % PALETTE.length) + PALETTE.length) % PALETTE.length];
}

function num(v) {
  // ±Number.MAX_VALUE is how MLflow's SQL stores persist ±Infinity: treat it as non-finite.
  if (typeof v === 'number') return Math.abs(v) >= Number.MAX_VALUE ? NaN : v;
  if (v === 'NaN') return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  if (typeof v === 'string' && v.trim() !== '') return Number(v);
  return NaN;
}

/** Finite points of a series, sorted by x (stable). */
export function finitePoints(points) {
  const out = [];
  (points || []).forEach((p, i) => {
    if (!p) return;
    const x = num(p[0]);
    const y = num(p[1]);
    if (Number.isFinite(x) && Number.isFinite(y)) out.push([x, y, i]);
  });
  out.sort((a, b) => a[0] - b[0] || a[2] - b[2]);
  return out.map(([x, y]) => [x, y]);
}

function niceStep(raw) {
  if (!(raw > 0) || !Number.isFinite(raw)) return 1;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  const nice = f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10;
  return nice * mag;
}

/** Ticks for [min, max] with about `count` intervals. */
export function niceTicks(min, max, count = 5) {
  if (!(max > min)) return { ticks: [min], step: 1 };
  const step = niceStep((max - min) / count);
  const first = Math.ceil(min / step - 1e-9) * step;
  const ticks = [];
  for (let t = first; t <= max + step * 1e-9 && ticks.length < 50; t += step) {
    ticks.push(Math.abs(t) < step * 1e-9 ? 0 : Number(t.toPrecision(12)));
  }
  return { ticks, step };
}

const TIME_STEPS = [
  1e3, 2e3, 5e3, 10e3, 15e3, 30e3, 60e3, 120e3, 300e3, 600e3, 900e3, 1800e3,
  3600e3, 2 * 3600e3, 3 * 3600e3, 6 * 3600e3, 12 * 3600e3, 86400e3, 2 * 86400e3, 7 * 86400e3,
  14 * 86400e3, 30 * 86400e3, 90 * 86400e3, 365 * 86400e3,
];

function timeTicks(min, max, count = 5) {
  const raw = (max - min) / count;
  let step = TIME_STEPS.find((st) => st >= raw) || TIME_STEPS[TIME_STEPS.length - 1];
  if (raw < 1e3) return niceTicks(min, max, count);
  const tz = new Date(min).getTimezoneOffset() * 60e3;
  const first = Math.ceil((min - tz) / step) * step + tz;
  const ticks = [];
  for (let t = first; t <= max && ticks.length < 50; t += step) ticks.push(t);
  return { ticks, step };
}

function pad2(n) { return String(n).padStart(2, '0'); }

function formatTimeTick(ms, step) {
  const d = new Date(ms);
  if (step < 60e3) return `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
  if (step < 86400e3) return `${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
  return `${d.getFullYear() % 100 === new Date().getFullYear() % 100 ? '' : `${d.getFullYear()}-`}${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}`;
}

/** Tick label for a value given the tick step (decimals follow the step; big values get k/M/G). */
export function formatTick(v, step) {
  if (v === 0) return '0';
  const abs = Math.abs(v);
  if (abs >= 1e4) {
    const units = [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k']];
    for (const [div, suffix] of units) {
      if (abs >= div) {
        const scaled = v / div;
        const dec = Math.max(0, Math.min(3, -Math.floor(Math.log10(step / div) + 1e-9)));
        return `${Number(scaled.toFixed(dec))}${suffix}`;
      }
    }
  }
  if (abs < 1e-3) return v.toExponential(1).replace('.0e', 'e');
  const dec = Math.max(0, Math.min(8, -Math.floor(Math.log10(step) + 1e-9) + (niceStep(step) / 10 ** Math.floor(Math.log10(step)) === 2.5 ? 1 : 0)));
  return Number(v.toFixed(dec)).toString();
}

function formatValue(v) {
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v);
  const abs = Math.abs(v);
  if (abs !== 0 && (abs < 1e-4 || abs >= 1e9)) return v.toExponential(4);
  return String(Number(v.toPrecision(6)));
}

/** Width in px a chart should use to fill `el` at 1:1 scale (so text is not shrunk). */
export function fitWidth(el, fallback = 560) {
  if (!el || !el.isConnected) return fallback;
  const cs = window.getComputedStyle(el);
  const w = el.clientWidth - parseFloat(cs.paddingLeft || '0') - parseFloat(cs.paddingRight || '0');
  return w > 200 ? Math.round(w) : fallback;
}

const CHAR_W = 6.4; // approximate width of one 11px character

/**
 * Builds an SVG line chart.
 * @param {object} o
 * @param {{name: string, points: Array<[number, number]>, color?: string}[]} o.series
 * @param {string} [o.xLabel]
 * @param {string} [o.yLabel]
 * @param {number} [o.width=560]
 * @param {number} [o.height=280]
 * @param {'number'|'time'} [o.xType='number']  'time' treats x as epoch milliseconds
 * @param {Function} [o.formatX]  (x) => string for the tooltip
 * @returns {SVGSVGElement}
 */
export function lineChart(o) {
  const width = o.width || 560;
  const height = o.height || 280;
  const xType = o.xType || 'number';
  const series = (o.series || []).map((sr, i) => ({
    name: String(sr.name ?? `series ${i + 1}`),
    color: sr.color || seriesColor(i),
    pts: finitePoints(sr.points),
  }));

  const svg = s('svg', {
    class: 'chart', viewBox: `0 0 ${width} ${height}`, width: String(width), height: String(height),
    role: 'img', 'aria-label': o.title || [o.yLabel, o.xLabel].filter(Boolean).join(' by ') || 'line chart',
    preserveAspectRatio: 'xMidYMid meet',
  });

  // ---- legend (top, wrapping)
  const legend = s('g', { class: 'legend' });
  let lx = 0;
  let ly = 0;
  const legendItems = [];
  const maxLegendW = width - 24;
  series.forEach((sr) => {
    const label = sr.name.length > 42 ? `${sr.name.slice(0, 40)}…` : sr.name;
    const w = 10 + 6 + label.length * CHAR_W + 16;
    if (lx > 0 && lx + w > maxLegendW) {
      lx = 0;
      ly += 18;
    }
    legendItems.push({ sr, label, x: lx, y: ly });
    lx += w;
  });
  const legendH = series.length ? ly + 18 + 6 : 0;
  legendItems.forEach(({ sr, label, x, y }) => {
    const g = s('g', { class: 'legend-item', transform: `translate(${12 + x},${6 + y})` },
      s('rect', { x: '0', y: '1', width: '10', height: '10', rx: '2.5', fill: sr.color }),
      s('text', { class: 'legend-text', x: '16', y: '10' }, label + (sr.pts.length ? '' : ' (no finite values)')),
      s('title', null, sr.name));
    legend.appendChild(g);
  });

  const all = series.flatMap((sr) => sr.pts);
  if (!all.length) {
    svg.appendChild(legend);
    svg.appendChild(s('text', { class: 'no-data', x: String(width / 2), y: String((height + legendH) / 2), 'text-anchor': 'middle' },
      'No finite values to plot'));
    return svg;
  }

  // ---- domains
  let xMin = Math.min(...all.map((p) => p[0]));
  let xMax = Math.max(...all.map((p) => p[0]));
  let yMin = Math.min(...all.map((p) => p[1]));
  let yMax = Math.max(...all.map((p) => p[1]));
  if (xMin === xMax) {
    const padX = xType === 'time' ? 60e3 : Math.max(Math.abs(xMin) * 0.1, 1);
    xMin -= padX;
    xMax += padX;
  }
  if (yMin === yMax) {
    const padY = Math.abs(yMin) * 0.1 || 1;
    yMin -= padY;
    yMax += padY;
  } else {
    const padY = (yMax - yMin) * 0.04;
    yMin -= padY;
    yMax += padY;
  }
  const plotH0 = height - legendH - 46;
  const yTickCount = Math.max(2, Math.min(6, Math.round(plotH0 / 45)));
  const yt = niceTicks(yMin, yMax, yTickCount);
  yMin = Math.min(yMin, Math.floor(yMin / yt.step + 1e-9) * yt.step);
  yMax = Math.max(yMax, Math.ceil(yMax / yt.step - 1e-9) * yt.step);
  const yTicks = niceTicks(yMin, yMax, yTickCount);
  const yLabels = yTicks.ticks.map((t) => formatTick(t, yTicks.step));

  const left = Math.max(...yLabels.map((l) => l.length)) * CHAR_W + 14 + (o.yLabel ? 16 : 0);
  const right = 18;
  const top = legendH + 8;
  const bottom = 24 + (o.xLabel ? 18 : 0);
  const plotW = Math.max(20, width - left - right);
  const plotH = Math.max(20, height - top - bottom);
  const X = (x) => left + ((x - xMin) / (xMax - xMin)) * plotW;
  const Y = (y) => top + plotH - ((y - yMin) / (yMax - yMin)) * plotH;
  // Coordinates are clamped so extreme (but finite) values can never produce NaN in the markup.
  const fx = (v) => (Number.isFinite(v) ? Math.max(-1e6, Math.min(1e6, v)) : 0).toFixed(2);

  const xTickCount = Math.max(2, Math.min(8, Math.round(plotW / 90)));
  const xt = xType === 'time' ? timeTicks(xMin, xMax, xTickCount) : niceTicks(xMin, xMax, xTickCount);
  const xFmt = (v) => (xType === 'time' ? formatTimeTick(v, xt.step) : formatTick(v, xt.step));

  // ---- grid + axes
  const grid = s('g', { class: 'grid' });
  const axes = s('g', { class: 'axes' });
  yTicks.ticks.forEach((t, i) => {
    const y = fx(Y(t));
    grid.appendChild(s('line', { class: 'grid-line', x1: fx(left), x2: fx(left + plotW), y1: y, y2: y }));
    axes.appendChild(s('text', { class: 'tick-label', x: fx(left - 8), y, dy: '0.32em', 'text-anchor': 'end' }, yLabels[i]));
  });
  xt.ticks.forEach((t) => {
    if (t < xMin - 1e-9 || t > xMax + 1e-9) return;
    const x = fx(X(t));
    grid.appendChild(s('line', { class: 'grid-line', x1: x, x2: x, y1: fx(top), y2: fx(top + plotH) }));
    axes.appendChild(s('text', { class: 'tick-label', x, y: fx(top + plotH + 16), 'text-anchor': 'middle' }, xFmt(t)));
  });
  axes.appendChild(s('line', { class: 'axis-line', x1: fx(left), x2: fx(left + plotW), y1: fx(top + plotH), y2: fx(top + plotH) }));
  axes.appendChild(s('line', { class: 'axis-line', x1: fx(left), x2: fx(left), y1: fx(top), y2: fx(top + plotH) }));
  if (o.xLabel) {
    axes.appendChild(s('text', { class: 'axis-label', x: fx(left + plotW / 2), y: fx(height - 4), 'text-anchor': 'middle' }, o.xLabel));
  }
  if (o.yLabel) {
    axes.appendChild(s('text', {
      class: 'axis-label', transform: `translate(12,${fx(top + plotH / 2)}) rotate(-90)`, 'text-anchor': 'middle',
    }, o.yLabel));
  }

  // ---- series
  const lines = s('g', { class: 'lines' });
  series.forEach((sr, si) => {
    if (!sr.pts.length) return;
    const d = sr.pts.map((p, i) => `${i === 0 ? 'M' : 'L'}${fx(X(p[0]))} ${fx(Y(p[1]))}`).join(' ');
    lines.appendChild(s('path', {
      class: 'series', d, stroke: sr.color, 'data-series': sr.name, 'data-index': String(si), 'data-points': String(sr.pts.length),
    }));
    if (sr.pts.length <= 60) {
      const r = sr.pts.length === 1 ? 3.5 : 2.4;
      sr.pts.forEach((p) => lines.appendChild(s('circle', { class: 'dot', cx: fx(X(p[0])), cy: fx(Y(p[1])), r: String(r), fill: sr.color })));
    }
  });

  // ---- hover tooltip
  const hoverLine = s('line', { class: 'hover-line', y1: fx(top), y2: fx(top + plotH), visibility: 'hidden' });
  const marker = s('circle', { r: '4.5', fill: '#fff', 'stroke-width': '2', visibility: 'hidden' });
  const ttRect = s('rect', { rx: '4', ry: '4' });
  const ttTitle = s('text', { class: 'tt-title', x: '8', y: '15' });
  const ttBody = s('text', { x: '8', y: '31' });
  const tooltip = s('g', { class: 'tooltip', visibility: 'hidden', 'pointer-events': 'none' }, ttRect, ttTitle, ttBody);
  const overlay = s('rect', {
    class: 'overlay', x: fx(left), y: fx(top), width: fx(plotW), height: fx(plotH), fill: 'transparent',
  });
  const xTip = o.formatX || ((x) => (xType === 'time' ? formatTime(x) : formatValue(x)));

  function hide() {
    hoverLine.setAttribute('visibility', 'hidden');
    marker.setAttribute('visibility', 'hidden');
    tooltip.setAttribute('visibility', 'hidden');
  }
  function onMove(ev) {
    const ctm = svg.getScreenCTM();
    if (!ctm) return;
    const pt = new DOMPoint(ev.clientX, ev.clientY).matrixTransform(ctm.inverse());
    let best = null;
    series.forEach((sr) => {
      if (!sr.pts.length) return;
      // binary search nearest x
      let lo = 0;
      let hi = sr.pts.length - 1;
      const target = xMin + ((pt.x - left) / plotW) * (xMax - xMin);
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (sr.pts[mid][0] < target) lo = mid + 1;
        else hi = mid;
      }
      for (const j of [lo - 1, lo]) {
        if (j < 0 || j >= sr.pts.length) continue;
        const p = sr.pts[j];
        const dx = X(p[0]) - pt.x;
        const dy = Y(p[1]) - pt.y;
        const dist = dx * dx * 4 + dy * dy; // favour closeness in x
        if (!best || dist < best.dist) best = { dist, p, sr };
      }
    });
    if (!best) return hide();
    const px = X(best.p[0]);
    const py = Y(best.p[1]);
    hoverLine.setAttribute('x1', fx(px));
    hoverLine.setAttribute('x2', fx(px));
    hoverLine.setAttribute('visibility', 'visible');
    marker.setAttribute('cx', fx(px));
    marker.setAttribute('cy', fx(py));
    marker.setAttribute('stroke', best.sr.color);
    marker.setAttribute('visibility', 'visible');
    ttTitle.textContent = best.sr.name.length > 48 ? `${best.sr.name.slice(0, 46)}…` : best.sr.name;
    ttBody.textContent = `${o.xLabel || 'x'} ${xTip(best.p[0])}  ·  ${o.yLabel || 'y'} ${formatValue(best.p[1])}`;
    tooltip.setAttribute('visibility', 'visible');
    let w = 120;
    try {
      w = Math.max(ttTitle.getComputedTextLength(), ttBody.getComputedTextLength()) + 16;
    } catch { /* not rendered */ }
    ttRect.setAttribute('width', fx(w));
    ttRect.setAttribute('height', '40');
    let tx = px + 12;
    if (tx + w > width - 2) tx = px - 12 - w;
    let ty = py - 48;
    if (ty < 2) ty = py + 12;
    tooltip.setAttribute('transform', `translate(${fx(Math.max(2, tx))},${fx(ty)})`);
  }
  overlay.addEventListener('mousemove', onMove);
  overlay.addEventListener('mouseleave', hide);

  svg.append(legend, grid, axes, lines, hoverLine, marker, overlay, tooltip);
  return svg;
}
