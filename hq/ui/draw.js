// Tables, bar charts and heatmaps for HQ's page, drawn as DOM and plain SVG (no chart
// library to ship or trust); every table can be saved as CSV with its raw values.

const SVG = 'http://www.w3.org/2000/svg';

function svgEl(name, attrs = {}) {
  const el = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

/**
 * Fills a <table> from columns [{ key, label, format?, raw? }] and rows; each cell keeps
 * its raw value (data-v) for the CSV. A CSV button goes before the table once.
 */
export function fillTable(table, columns, rows, { onRow, csvLabel, emptyText } = {}) {
  table.replaceChildren();
  const head = table.createTHead().insertRow();
  for (const c of columns) {
    const th = document.createElement('th');
    th.scope = 'col';
    th.textContent = c.label;
    head.append(th);
  }
  const body = table.createTBody();
  for (const r of rows) {
    const tr = body.insertRow();
    for (const c of columns) {
      const td = tr.insertCell();
      const raw = c.raw ? c.raw(r) : r[c.key];
      const shown = c.format ? c.format(raw, r) : raw;
      if (shown instanceof Node) td.append(shown);
      else td.textContent = shown ?? '–';
      td.dataset.v =
        raw === null || raw === undefined ? '' : typeof raw === 'object' ? JSON.stringify(raw) : String(raw);
      if (c.className) td.className = c.className(raw, r) ?? '';
    }
    if (onRow) onRow(tr, r);
  }
  if (!rows.length && emptyText) {
    const td = body.insertRow().insertCell();
    td.colSpan = columns.length;
    td.textContent = emptyText;
    td.className = 'muted';
  }
  if (csvLabel) csvButton(table, csvLabel);
}

function csvButton(table, label) {
  const wrap = table.parentElement;
  let btn = wrap.previousElementSibling?.classList?.contains('csv') ? wrap.previousElementSibling : null;
  if (!btn) {
    btn = document.createElement('button');
    btn.type = 'button';
    btn.className = 'secondary csv';
    btn.dataset.testid = `csv-${table.dataset.name}`;
    btn.addEventListener('click', () => downloadCsv(table));
    wrap.before(btn);
  }
  btn.textContent = label;
}

const cell = (v) => (/[",\n\r]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);

/** The table as CSV: header labels, then each cell's raw value (its text where it has none). */
export function tableCsv(table) {
  const lines = [];
  for (const row of table.rows) {
    if (row.cells.length === 1 && row.cells[0].colSpan > 1) continue;
    lines.push(
      [...row.cells]
        .map((c) => cell(c.tagName === 'TH' ? c.textContent : (c.dataset.v ?? c.textContent)))
        .join(','),
    );
  }
  return `${lines.join('\r\n')}\r\n`;
}

function downloadCsv(table) {
  // a BOM so spreadsheet programs read the Chinese headers as UTF-8
  const blob = new Blob(['\ufeff', tableCsv(table)], { type: 'text/csv;charset=utf-8' });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = `hq-${table.dataset.name}-${new Date().toISOString().slice(0, 10)}.csv`;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

/** Horizontal bars: [{ label, value, text }] scaled to the largest value. */
export function barChart(host, bars, { title } = {}) {
  const rowH = 22;
  const labelW = 150;
  const width = 640;
  const max = Math.max(1e-9, ...bars.map((b) => Math.abs(b.value ?? 0)));
  const svg = svgEl('svg', {
    viewBox: `0 0 ${width} ${Math.max(rowH, bars.length * rowH) + 4}`,
    class: 'bars-h',
    role: 'img',
  });
  if (title) svg.append(Object.assign(svgEl('title'), { textContent: title }));
  bars.forEach((b, i) => {
    const y = i * rowH + 2;
    const label = svgEl('text', { x: labelW - 6, y: y + 15, 'text-anchor': 'end', class: 'bar-label' });
    label.textContent = b.label;
    const w =
      b.value === null || b.value === undefined ? 0 : ((width - labelW - 90) * Math.abs(b.value)) / max;
    const rect = svgEl('rect', {
      x: labelW,
      y: y + 3,
      width: Math.max(1, w),
      height: rowH - 6,
      class: 'bar',
    });
    const value = svgEl('text', { x: labelW + w + 6, y: y + 15, class: 'bar-value' });
    value.textContent = b.text ?? '–';
    svg.append(label, rect, value);
  });
  host.replaceChildren(svg);
}

/** Vertical bars by hour: [{ label, value }], with the values printed above. */
export function columnChart(host, cols, { title } = {}) {
  const width = 720;
  const height = 160;
  const max = Math.max(1e-9, ...cols.map((c) => c.value ?? 0));
  const w = width / Math.max(1, cols.length);
  const svg = svgEl('svg', { viewBox: `0 0 ${width} ${height + 20}`, class: 'columns', role: 'img' });
  if (title) svg.append(Object.assign(svgEl('title'), { textContent: title }));
  cols.forEach((c, i) => {
    const h = ((c.value ?? 0) / max) * (height - 18);
    svg.append(
      svgEl('rect', { x: i * w + 2, y: height - h, width: Math.max(1, w - 4), height: h, class: 'bar' }),
    );
    const label = svgEl('text', {
      x: i * w + w / 2,
      y: height + 14,
      'text-anchor': 'middle',
      class: 'bar-label',
    });
    label.textContent = c.label;
    const value = svgEl('text', {
      x: i * w + w / 2,
      y: height - h - 3,
      'text-anchor': 'middle',
      class: 'bar-value',
    });
    value.textContent = c.text ?? '';
    svg.append(label, value);
  });
  host.replaceChildren(svg);
}

/** A white → orange → red ramp for a share of the hottest cell. */
export function heatColour(share) {
  const s = Math.max(0, Math.min(1, share));
  const r = 255;
  const g = Math.round(235 - 200 * s);
  const b = Math.round(180 - 180 * Math.min(1, s * 1.5));
  return `rgb(${r},${g},${b})`;
}

/**
 * The store's floor plan with its heatmap on top: the image spans the floor's
 * widthM × depthM from its top-left corner, and each grid cell (cellM metres) sits where
 * the store's floor config puts it. Without a floor plan the grid is drawn on its own.
 */
export function floorHeat(host, { imageUrl, imageSize, floor, grid, title, scaleMax }) {
  const W = 800;
  const aspect = imageSize ? imageSize.height / imageSize.width : floor.depthM / floor.widthM;
  const H = Math.round(W * aspect);
  const svg = svgEl('svg', { viewBox: `0 0 ${W} ${H}`, class: 'floor-svg', role: 'img' });
  if (title) svg.append(Object.assign(svgEl('title'), { textContent: title }));
  if (imageUrl)
    svg.append(
      svgEl('image', { href: imageUrl, x: 0, y: 0, width: W, height: H, preserveAspectRatio: 'none' }),
    );
  else svg.append(svgEl('rect', { x: 0, y: 0, width: W, height: H, class: 'floor-blank' }));
  const max = scaleMax ?? Math.max(1e-9, ...grid.cells);
  const cw = (W * grid.cellM) / floor.widthM;
  const ch = (H * grid.cellM) / floor.depthM;
  let hottest = { v: -1, c: 0, r: 0 };
  grid.cells.forEach((v, i) => {
    if (!(v > 0)) return;
    const c = i % grid.cols;
    const r = Math.floor(i / grid.cols);
    if (v > hottest.v) hottest = { v, c, r };
    const share = v / max;
    svg.append(
      svgEl('rect', {
        x: c * cw,
        y: r * ch,
        width: cw,
        height: ch,
        fill: heatColour(share),
        'fill-opacity': (0.25 + 0.6 * Math.min(1, share)).toFixed(2),
        class: 'heat-cell',
      }),
    );
  });
  host.replaceChildren(svg);
  return hottest.v >= 0 ? { col: hottest.c, row: hottest.r, seconds: hottest.v } : null;
}
