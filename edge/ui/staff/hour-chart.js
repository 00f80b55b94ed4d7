// The day hour by hour on the staff dashboard, drawn with uPlot (served from the
// installed package, never a CDN): people coming in as bars, tickets as a line on the
// same axis (both per hour), and conversion (tickets ÷ people) in % on the right.
// Hovering an hour shows its three figures in the legend; the conversion table beside
// it holds the same figures as text.

import { t } from '../shared/i18n.js';
import uPlot from '../vendor/uplot/uPlot.esm.js';

const INK = '#14202b';
const GRID = '#d5dde4';
const hh = (s) => new Date(s * 1000).toTimeString().slice(0, 5);
const dash = (v, unit) => (v === null || v === undefined ? '–' : `${v}${unit}`);

/** x: each hour of the day from `from` (ms) in seconds; an hour still to come has no figures. */
export function hourSeries(hours, from, now) {
  const byHour = new Map(hours.map((h) => [h.hour, h]));
  const data = [[], [], [], []];
  for (let h = from; h < from + 86_400_000; h += 3_600_000) {
    const r = byHour.get(h);
    const future = h > now;
    data[0].push(h / 1000);
    data[1].push(future ? null : (r?.footfall ?? 0));
    data[2].push(future ? null : (r?.sales ?? 0));
    data[3].push(
      r?.conversion === null || r?.conversion === undefined ? null : Math.round(r.conversion * 1000) / 10,
    );
  }
  return data;
}

function options(width) {
  return {
    width,
    height: 300,
    cursor: { points: { size: 9 }, drag: { x: false, y: false } },
    legend: { live: true },
    scales: {
      x: { time: true },
      n: { range: (_u, _min, max) => [0, Math.max(5, max * 1.15)] },
      pct: { range: [0, 100] },
    },
    series: [
      { label: t('hour'), value: (_u, v) => (v === null ? '–' : hh(v)) },
      {
        label: t('footfall'),
        scale: 'n',
        stroke: '#0b5fa5',
        fill: 'rgba(11, 95, 165, 0.35)',
        width: 1,
        paths: uPlot.paths.bars({ size: [0.7, 60] }),
        points: { show: false },
        value: (_u, v) => dash(v, ` ${t('peopleUnit')}`),
      },
      {
        label: t('tickets'),
        scale: 'n',
        stroke: '#b3261e',
        width: 3,
        points: { size: 6, fill: '#b3261e' },
        value: (_u, v) => dash(v, ` ${t('ticketsUnit')}`),
      },
      {
        label: t('conversionShort'),
        scale: 'pct',
        stroke: '#1b7a3a',
        width: 2,
        dash: [8, 5],
        spanGaps: false,
        value: (_u, v) => dash(v, '%'),
      },
    ],
    axes: [
      { stroke: INK, grid: { stroke: GRID }, ticks: { stroke: GRID }, values: (_u, ticks) => ticks.map(hh) },
      { scale: 'n', label: t('perHour'), stroke: INK, grid: { stroke: GRID }, ticks: { stroke: GRID } },
      {
        scale: 'pct',
        side: 1,
        label: t('conversionShort'),
        stroke: INK,
        grid: { show: false },
        values: (_u, ticks) => ticks.map((v) => `${v}%`),
      },
    ],
  };
}

/** Draws (or redraws) the chart into `el`; follows the card's width (window size, zoom). */
export function hourChart(el) {
  let plot = null;
  new ResizeObserver(() => plot?.setSize({ width: el.clientWidth, height: 300 })).observe(el);
  return {
    show(data) {
      if (plot) plot.setData(data);
      else plot = new uPlot(options(el.clientWidth), data, el);
    },
  };
}
