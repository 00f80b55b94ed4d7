// The staff dashboard: live occupancy, help calls and the kiosks' queues over server-sent events, the
// day's counts, heatmap, dwell and conversion from the vision API, device health and
// the sync backlog from /readyz. The only pictures are drawn by the daemon from memory:
// the heatmap over the floor plan, and the camera's still scene (no passer-by in it).
import { call, subscribe } from '../shared/api.js';
import { t, toggleLocale, translate, yuan } from '../shared/i18n.js';
import { bindStaffSignIn, forgetStaffSession, staffHeaders, staffToken } from '../shared/staff-session.js';
import { hourChart, hourSeries } from './hour-chart.js';

const $ = (id) => document.getElementById(id);
const token = staffToken;
const auth = staffHeaders;
let live = null;
let hours = null;

function startOfToday() {
  const d = new Date();
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

function row(cells) {
  const tr = document.createElement('tr');
  for (const c of cells) {
    const td = document.createElement('td');
    if (c instanceof Node) td.append(c);
    else td.textContent = String(c);
    tr.append(td);
  }
  return tr;
}

const hh = (ms) => new Date(ms).toTimeString().slice(0, 5);

function showOccupancy(o) {
  $('inside').textContent = o.store.inside;
  $('ins').textContent = o.store.ins;
  $('outs').textContent = o.store.outs;
  $('camera-rows').replaceChildren(...o.cameras.map((c) => row([c.id, `${t('visible')}: ${c.visible}`])));
}

function showHelp(alerts) {
  const calls = alerts.filter((a) => a.kind === 'help');
  $('help-none').classList.toggle('hidden', calls.length > 0);
  $('help-list').replaceChildren(
    ...calls.map((a) => {
      const li = document.createElement('li');
      li.textContent = `${t('kiosk')} ${a.kioskId} · ${hh(a.createdAt)} `;
      const b = document.createElement('button');
      b.type = 'button';
      b.textContent = t('acknowledge');
      b.setAttribute('aria-label', `${t('acknowledge')} ${a.kioskId}`);
      b.onclick = async () => {
        b.disabled = true;
        await call('POST', `/staff/alerts/${a.id}/resolve`, { body: {}, headers: auth() });
        li.remove();
        $('help-none').classList.toggle('hidden', $('help-list').children.length > 0);
      };
      li.append(b);
      return li;
    }),
  );
}

/** Shoppers' calls no guide took in time: who on the floor can go. */
function showLateCalls(calls) {
  $('late-none').classList.toggle('hidden', calls.length > 0);
  $('late-list').replaceChildren(
    ...calls.map((c) => {
      const li = document.createElement('li');
      const where = c.zoneId ? `${t('zone')} ${c.zoneId}` : t('zoneUnknown');
      li.textContent = `${t(`reason_${c.reason}`)} · ${where} · ${hh(c.createdAt)} (${t('waitedFor', { s: Math.round((Date.now() - c.createdAt) / 1000) })})`;
      return li;
    }),
  );
}

async function loadCounts() {
  const from = startOfToday();
  const to = from + 86_400_000;
  const counts = await call('GET', `/vision/counts?res=1h&from=${from}&to=${to}`, { headers: auth() });
  const zones = new Map();
  for (const z of counts.zones) {
    const cur = zones.get(z.zoneId) ?? { visits: 0, dwellMs: 0 };
    cur.visits += z.visits;
    cur.dwellMs += z.dwellMs;
    zones.set(z.zoneId, cur);
  }
  $('dwell-rows').replaceChildren(
    ...[...zones].map(([id, z]) =>
      row([id, z.visits, `${Math.round(z.dwellMs / Math.max(1, z.visits) / 1000)} ${t('seconds')}`]),
    ),
  );
  const zs = await call('GET', `/vision/zone-sales?from=${from}&to=${to}`, { headers: auth() });
  $('zone-sales-rows').replaceChildren(
    ...zs.zones.map((z) =>
      row([
        `${z.zoneId} (${z.categories.join(', ')})`,
        z.visits,
        `${Math.round(z.avgDwellMs / 1000)} ${t('seconds')}`,
        z.units,
        yuan(z.salesFen),
        z.salesPerVisitFen === null ? '–' : yuan(z.salesPerVisitFen),
      ]),
    ),
  );
  const conv = await call(
    'GET',
    `/vision/conversion?from=${from}&to=${Math.min(to, Date.now() + 3_600_000)}`,
    { headers: auth() },
  );
  hours ??= hourChart($('hour-chart'));
  hours.show(hourSeries(conv.hours, from, Date.now()));
  const people = conv.hours.reduce((n, h) => n + h.footfall, 0);
  const tickets = conv.hours.reduce((n, h) => n + h.sales, 0);
  $('hour-summary').textContent = t('hourSummary', {
    people,
    tickets,
    rate: people ? `${Math.round((tickets / people) * 100)}%` : '–',
  });
  $('conv-rows').replaceChildren(
    ...conv.hours
      .filter((h) => h.footfall || h.sales)
      .map((h) =>
        row([
          hh(h.hour),
          h.footfall,
          h.sales,
          h.conversion === null ? '–' : `${Math.round(h.conversion * 100)}%`,
        ]),
      ),
  );
}

async function loadHeatmap() {
  const camera = $('heat-camera').value;
  if (!camera) return;
  const p = $('heat-period').value;
  const to = Date.now() + 60_000;
  const from = p === 'today' ? startOfToday() : to - Number(p);
  const q = `/vision/heatmap?camera=${encodeURIComponent(camera)}&from=${from}&to=${to}`;
  try {
    const [grid, png] = await Promise.all([
      call('GET', q, { headers: auth() }),
      call('GET', `${q}&format=png`, { headers: auth() }),
    ]);
    const img = $('heat-img');
    if (img.src) URL.revokeObjectURL(img.src);
    img.src = URL.createObjectURL(png);
    const max = Math.round(Math.max(0, ...grid.cells));
    const note = t('heatNote', { cell: grid.cellM, total: grid.peopleSeconds });
    img.alt = `${t('heatmap')} · ${camera}. ${note}`;
    $('heat-max').textContent = t('heatMax', { s: max });
    $('heat-scale').setAttribute('aria-label', `${t('heatNone')} → ${t('heatMax', { s: max })}`);
    $('heat-note').textContent = note;
    $('heat-figure').classList.remove('hidden');
    $('heat-none').classList.add('hidden');
  } catch {
    $('heat-figure').classList.add('hidden');
    $('heat-none').classList.remove('hidden');
  }
  void loadScene(camera);
}

/** The camera's still scene, with the static objects it ignores drawn in. */
async function loadScene(camera) {
  const img = $('scene-img');
  try {
    const png = await call('GET', `/vision/cameras/${encodeURIComponent(camera)}/scene`, { headers: auth() });
    if (img.src) URL.revokeObjectURL(img.src);
    img.src = URL.createObjectURL(png);
    img.alt = `${t('cameraScene')} · ${camera}`;
    img.classList.remove('hidden');
  } catch (err) {
    img.classList.add('hidden');
    // this store shows no camera pictures (vision.stillScene: false): no card for them
    if (err.code === 'SCENE_OFF') $('scene-card').classList.add('hidden');
  }
}

const mb = (bytes) => (typeof bytes === 'number' ? `${(bytes / 1048576).toFixed(1)} MB` : '–');

/** Database, WAL and memory, and what the last housekeeping run removed. */
function showStorage(hk, memory) {
  const last = hk.lastRun;
  const removed = last
    ? Object.entries(last.removed)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ') || t('nothingRemoved')
    : '–';
  $('storage-rows').replaceChildren(
    row([t('database'), mb(hk.dbBytes)]),
    row(['WAL', mb(hk.walBytes)]),
    row([t('memory'), `${mb(memory.rssBytes)} (heap ${mb(memory.heapUsedBytes)})`]),
    row([t('housekeeping'), last ? `${new Date(last.at).toLocaleString()} · ${last.ms} ms` : t('notYet')]),
    row([t('removed'), removed]),
  );
}

/** Today's figures per guide: calls answered, how fast, and the sales they helped. */
async function loadGuides() {
  const from = startOfToday();
  const g = await call('GET', `/staff/guide-figures?from=${from}&to=${from + 86_400_000}`, {
    headers: auth(),
  });
  const s = (x) => (x === null ? '–' : `${x} ${t('seconds')}`);
  $('guide-rows').replaceChildren(
    ...g.guides.map((x) =>
      row([
        x.name,
        x.callsAnswered,
        s(x.avgSecondsToAccept),
        s(x.avgSecondsToDone),
        x.assistedSales,
        // refunds of the sales they helped are taken off
        yuan(x.netAssistedFen),
      ]),
    ),
  );
}

const pct = (x) => (x === null ? '–' : `${(x * 100).toFixed(1)}%`);

/** Today's exit checks of scan & go sales: how many were audited, found something, recovered. */
async function loadAudits() {
  const f = await call('GET', '/staff/exit-audits/figures', { headers: auth() });
  $('audit-rate').textContent = `${pct(f.auditRate)} (${f.audited}/${f.scanAndGoSales})`;
  $('hit-rate').textContent = `${pct(f.hitRate)} (${f.hits}/${f.checked})`;
  $('recovered-fen').textContent = yuan(f.recoveredFen);
}

async function loadHealth() {
  const res = await fetch('/readyz');
  const body = await res.json();
  const part = (name) => body.parts.find((p) => p.name === name)?.details ?? {};
  const rows = [];
  for (const d of part('devices').devices ?? []) {
    const s = document.createElement('span');
    s.className = d.state === 'ready' ? 'ok' : 'down';
    s.textContent = d.state === 'ready' ? t('stateReady') : `${t('stateDown')} (${d.state})`;
    rows.push(row([d.id, s]));
  }
  for (const c of part('vision').cameras ?? []) {
    const s = document.createElement('span');
    s.className = c.state === 'streaming' || c.state === 'ended' ? 'ok' : 'down';
    s.textContent = `${t(`camera_${c.state}`)} · ${c.inferMs} ms`;
    s.dataset.state = c.state;
    rows.push(row([`${t('cameras')} ${c.id}`, s]));
  }
  $('device-rows').replaceChildren(...rows);
  showStorage(part('housekeeping'), body.memory ?? {});
  const sync = part('sync');
  $('backlog').textContent = sync.backlogState?.unsentEvents ?? '–';
  const online = sync.link === 'connected';
  $('link').className = `status ${online ? 'online' : 'offline'}`;
  $('link').textContent = online ? t('online') : t('offline');
  const cams = part('vision').cameras ?? [];
  const sel = $('heat-camera');
  if (sel.options.length !== cams.length) {
    sel.replaceChildren(...cams.map((c) => new Option(c.id, c.id)));
    void loadHeatmap();
  }
  // what the chosen camera ignores, from the same health report, refreshed with it
  const n = cams.find((c) => c.id === $('heat-camera').value)?.staticObjects?.length ?? 0;
  $('scene-ignored').textContent = n ? t('ignoredSome', { n }) : t('ignoredNone');
}

/** The kiosks' queues: length and estimated wait, the alert on top while one is open. */
function showQueues(queues) {
  $('queue-none').classList.toggle('hidden', queues.length > 0);
  const wait = (s) => (s === null ? t('queueUnknownWait') : s < 60 ? `${s} s` : `${Math.round(s / 60)} min`);
  $('queue-list').replaceChildren(
    ...queues.map((q) => {
      const li = document.createElement('li');
      li.dataset.zone = q.zoneId;
      li.dataset.length = String(q.length ?? '');
      li.textContent = t('queueLine', { zone: q.zoneId, n: q.length ?? '–', wait: wait(q.waitSeconds) });
      if (q.alertId) li.className = 'error';
      return li;
    }),
  );
  const alerted = queues.filter((q) => q.alertId);
  $('queue-alert').classList.toggle('hidden', !alerted.length);
  $('queue-alert').textContent = alerted
    .map((q) => t('queueAlert', { zone: q.zoneId, n: q.length ?? '–' }))
    .join(' ');
}

function showBoard() {
  $('signin').classList.add('hidden');
  $('board').classList.remove('hidden');
  $('signout').classList.remove('hidden');
  live?.abort();
  live = new AbortController();
  subscribe(
    '/staff/live',
    auth(),
    (name, data) => {
      if (name === 'occupancy') showOccupancy(data);
      if (name === 'alerts') showHelp(data);
      if (name === 'queues') showQueues(data);
      if (name === 'guide-calls') showLateCalls(data);
    },
    live.signal,
  ).catch(signOut);
  const refresh = () =>
    Promise.all([loadCounts(), loadHealth(), loadAudits(), loadGuides()]).catch(() => undefined);
  void refresh();
  setInterval(refresh, 5000);
  setInterval(loadHeatmap, 60_000);
}

function signOut() {
  forgetStaffSession();
  location.reload();
}

bindStaffSignIn($('signin'), showBoard);
$('signout').addEventListener('click', signOut);
$('lang').addEventListener('click', () => {
  toggleLocale();
  location.reload();
});
$('heat-period').addEventListener('change', loadHeatmap);
$('heat-camera').addEventListener('change', loadHeatmap);

translate();
$('link').textContent = t('offline');
if (token()) showBoard();
