// HQ's page: sign in, then the fleet, a ranking of stores by any figure, one store's
// hours, floor plan heatmap and zones, one zone type across stores, campaigns, the
// guides (ranked across stores, a store's by day), and rollouts (operators only). Every
// figure comes computed from HQ's API; the page only lays them out.

import { barChart, columnChart, fillTable, floorHeat } from './draw.js';
import { ApiError, call } from './shared/api.js';
import { locale, toggleLocale, yuan } from './shared/i18n.js';
import { t, translate } from './text.js';

const $ = (id) => document.getElementById(id);
const TZ = 'Asia/Shanghai';
let session = JSON.parse(sessionStorage.getItem('hq.session') ?? 'null');
let tab = 'fleet';
let timer = null;
let selectedPush = null;
const blobUrls = [];

const api = (method, path, body) =>
  call(method, path, {
    body,
    idempotent: false,
    headers: session ? { authorization: `Bearer ${session.token}` } : {},
  }).catch((err) => {
    if (err instanceof ApiError && err.status === 401) signOut();
    throw err;
  });

/** Wraps a loader so that only its latest call draws: a slower earlier one (another
 * store picked meanwhile) stops at its next check of stale(). */
function latestOnly(load) {
  let gen = 0;
  return (...args) => {
    const mine = ++gen;
    return load(() => mine !== gen, ...args);
  };
}

// ---- formats ---------------------------------------------------------------------
const pct = (v) => (v === null || v === undefined ? '–' : `${(v * 100).toFixed(1)}%`);
const money = (v) => (v === null || v === undefined ? '–' : yuan(v));
const num = (v) => (v === null || v === undefined ? '–' : Number(v).toLocaleString(locale()));
const secs = (ms) => (ms === null || ms === undefined ? '–' : `${(ms / 1000).toFixed(1)} s`);
const when = (iso) => (iso ? new Date(iso).toLocaleString(locale(), { timeZone: TZ }) : '–');
const FIGURES = {
  netSalesFen: money,
  salesFen: money,
  refundsFen: money,
  tickets: num,
  avgTicketFen: money,
  itemsPerTicket: num,
  multiItemShare: pct,
  walletShare: pct,
  redemptions: num,
  couponCostFen: money,
  redemptionRate: pct,
  newMembers: num,
  pointsIssued: num,
  pointsSpent: num,
  footfall: num,
  conversion: pct,
  auditRate: pct,
  hitRate: pct,
  recoveredFen: money,
};
const figureColumns = (keys) => keys.map((k) => ({ key: k, label: t(k), format: FIGURES[k] ?? num }));

/** The period picked, as epoch ms; "today" is the chain's day (Shanghai). */
function period() {
  const now = Date.now();
  const v = $('period').value;
  if (v === '24h') return { from: now - 86_400_000, to: now };
  if (v === '7d') return { from: now - 7 * 86_400_000, to: now };
  if (v === '30d') return { from: now - 30 * 86_400_000, to: now };
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', {
      timeZone: TZ,
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    })
      .formatToParts(new Date(now))
      .map((p) => [p.type, Number(p.value)]),
  );
  const since = ((parts.hour * 60 + parts.minute) * 60 + parts.second) * 1000 + (now % 1000);
  return { from: now - since, to: now + 1 };
}
const range = () => {
  const p = period();
  return `from=${p.from}&to=${p.to}`;
};
const qs = (o) =>
  Object.entries(o)
    .filter(([, v]) => v !== undefined && v !== null && v !== '')
    .map(([k, v]) => `${k}=${encodeURIComponent(v)}`)
    .join('&');

// ---- sign-in -----------------------------------------------------------------------
function showSignedIn() {
  const on = Boolean(session);
  $('signin').classList.toggle('hidden', on);
  for (const id of ['tabs', 'app', 'signout', 'period-box']) $(id).classList.toggle('hidden', !on);
  $('who').textContent = on ? `${session.userId} · ${session.role}` : '';
  const operator = session?.role === 'operator';
  for (const el of document.querySelectorAll('.operator-only')) el.classList.toggle('hidden', !operator);
  $('analyst-note').classList.toggle('hidden', !on || operator);
  if (on) open(tab);
}

function signOut() {
  if (session)
    call('DELETE', '/sessions', {
      headers: { authorization: `Bearer ${session.token}` },
      idempotent: false,
    }).catch(() => {});
  session = null;
  sessionStorage.removeItem('hq.session');
  clearTimeout(timer);
  showSignedIn();
}

$('signin').addEventListener('submit', async (e) => {
  e.preventDefault();
  $('signin-error').classList.add('hidden');
  try {
    const userId = $('userId').value.trim();
    const s = await call('POST', '/sessions', {
      body: { userId, password: $('password').value },
      idempotent: false,
    });
    session = { ...s, userId };
    sessionStorage.setItem('hq.session', JSON.stringify(session));
    $('password').value = '';
    showSignedIn();
  } catch (err) {
    $('signin-error').textContent = err.status === 401 ? t('signInFailed') : err.message;
    $('signin-error').classList.remove('hidden');
  }
});
$('signout').addEventListener('click', signOut);
$('lang').addEventListener('click', () => {
  toggleLocale();
  translate();
  if (session) open(tab);
});

// ---- tabs --------------------------------------------------------------------------
const LOADERS = {
  fleet: () => loadFleet(),
  ranking: () => loadRanking(),
  store: () => loadStore(),
  zones: () => loadZones(),
  campaigns: () => loadCampaigns(),
  guides: () => loadGuides(),
  rollout: () => loadRollout(),
};
// the fleet and rollouts change while one watches; figures when the period does
const LIVE = { fleet: 3000, rollout: 2000 };

async function open(name) {
  tab = name;
  clearTimeout(timer);
  for (const b of document.querySelectorAll('#tabs [role=tab]'))
    b.setAttribute('aria-selected', String(b.dataset.tab === name));
  for (const s of document.querySelectorAll('section.tab'))
    s.classList.toggle('hidden', s.id !== `tab-${name}`);
  await loadGroups();
  const run = async () => {
    if (!session || tab !== name) return;
    try {
      await LOADERS[name]();
    } catch (err) {
      console.error(err);
    }
    if (LIVE[name] && tab === name) timer = setTimeout(run, LIVE[name]);
  };
  await run();
}
for (const b of document.querySelectorAll('#tabs [role=tab]'))
  b.addEventListener('click', () => open(b.dataset.tab));
$('period').addEventListener('change', () => open(tab));

let groups = { groups: [], regions: [] };
async function loadGroups() {
  groups = await api('GET', '/groups');
  const fill = (sel, list) => {
    const keep = sel.value;
    sel.replaceChildren(
      new Option(t('all'), ''),
      ...list.map((g) => new Option(`${g.name} (${g.stores})`, g.name)),
    );
    sel.value = list.some((g) => g.name === keep) ? keep : '';
  };
  for (const s of document.querySelectorAll('.group-pick')) fill(s, groups.groups);
  for (const s of document.querySelectorAll('.region-pick')) fill(s, groups.regions);
  const target = $('push-target');
  const keep = target.value;
  target.replaceChildren(
    new Option(t('allStores'), 'all'),
    ...groups.groups.map((g) => new Option(`${t('group')}: ${g.name} (${g.stores})`, `group:${g.name}`)),
    ...groups.regions.map((g) => new Option(`${t('region')}: ${g.name} (${g.stores})`, `region:${g.name}`)),
  );
  if ([...target.options].some((o) => o.value === keep)) target.value = keep;
}
for (const id of ['fleet-group', 'fleet-region']) $(id).addEventListener('change', () => loadFleet());

// ---- fleet -------------------------------------------------------------------------
let stores = [];
const loadFleet = latestOnly(async (stale) => {
  const r = await api(
    'GET',
    `/stores?${qs({ limit: 1000, group: $('fleet-group').value, region: $('fleet-region').value })}`,
  );
  if (stale()) return;
  stores = r.stores;
  const online = stores.filter((s) => s.online).length;
  $('fleet-summary').textContent = `${online} / ${stores.length} ${t('storesOnline')}`;
  fillTable(
    $('fleet-table'),
    [
      { key: 'storeId', label: t('store') },
      { key: 'name', label: t('name') },
      { key: 'region', label: t('region') },
      { key: 'groups', label: t('group'), format: (g) => g.join(', ') },
      {
        key: 'online',
        label: t('state'),
        format: (v) => (v ? t('online') : t('offline')),
        className: (v) => (v ? 'ok' : 'down'),
      },
      { key: 'lastHeartbeat', label: t('lastHeartbeat'), format: when },
      { key: 'backlog', label: t('backlog'), raw: (s) => s.backlog?.events ?? null, format: num },
      { key: 'version', label: t('software') },
      { key: 'model', label: t('model') },
      {
        key: 'datasets',
        label: t('datasets'),
        format: (d) =>
          Object.entries(d)
            .map(([k, v]) => `${k} v${v}`)
            .join(', ') || '–',
      },
      {
        // config drift (hq/config-drift.ts): the state, with what it means as the tooltip
        key: 'config',
        label: t('configDrift'),
        raw: (s) => s.config?.state ?? null,
        format: (v) => (v ? t(`config_${v}`) : '–'),
        className: (v) => (['in_sync', 'local'].includes(v) ? 'ok' : v ? 'down' : ''),
      },
      { key: 'openAlerts', label: t('openAlerts'), format: num, className: (v) => (v > 0 ? 'down' : '') },
    ],
    stores,
    { csvLabel: t('exportCsv'), emptyText: t('none'), onRow: (tr, s) => (tr.dataset.store = s.storeId) },
  );
});

// ---- ranking -----------------------------------------------------------------------
/** figures read from the people counter (hq/figures/plausibility.ts) */
const COUNTED = ['footfall', 'conversion'];
const RANKED = [
  'netSalesFen',
  'tickets',
  'avgTicketFen',
  'itemsPerTicket',
  'multiItemShare',
  'walletShare',
  'footfall',
  'conversion',
  'couponCostFen',
  'newMembers',
];
{
  const sel = $('rank-figure');
  sel.replaceChildren(...Object.keys(FIGURES).map((k) => new Option(k, k)));
  sel.value = 'netSalesFen';
  for (const id of ['rank-figure', 'rank-order', 'rank-group'])
    $(id).addEventListener('change', () => loadRanking());
}
const loadRanking = latestOnly(async (stale) => {
  for (const o of $('rank-figure').options) o.textContent = t(o.value);
  const sort = $('rank-figure').value;
  const r = await api(
    'GET',
    `/figures/stores?${range()}&${qs({ sort, order: $('rank-order').value, group: $('rank-group').value, tz: TZ })}`,
  );
  if (stale()) return;
  const fmt = FIGURES[sort] ?? num;
  barChart(
    $('rank-chart'),
    r.stores.slice(0, 30).map((s) =>
      // a count no counter gives honestly is not drawn as a figure
      COUNTED.includes(sort) && s.counterProblems.length
        ? { label: s.name ?? s.storeId, value: 0, text: t(s.counterProblems[0]) }
        : { label: s.name ?? s.storeId, value: s[sort], text: fmt(s[sort]) },
    ),
    { title: t(sort) },
  );
  fillTable(
    $('ranking-table'),
    [
      { key: 'rank', label: t('rank') },
      { key: 'storeId', label: t('store') },
      { key: 'name', label: t('name') },
      {
        // a count no counter gives honestly: the store is not ranked by footfall or conversion
        key: 'counterProblems',
        label: t('counterProblems'),
        format: (p) => (p.length ? p.map((x) => t(x)).join('; ') : t('counterOk')),
        className: (p) => (p.length ? 'down' : ''),
      },
      ...figureColumns([...new Set([sort, ...RANKED])]),
    ],
    r.stores,
    { csvLabel: t('exportCsv'), emptyText: t('none'), onRow: (tr, s) => (tr.dataset.store = s.storeId) },
  );
});

// ---- one store ---------------------------------------------------------------------
$('store-pick').addEventListener('change', () => loadStore());
$('camera-pick').addEventListener('change', () => drawFloor($('store-pick').value));
// every store, whatever the fleet tab's filter: the store picker and floor plans read it
let allStores = [];
const refreshStores = async () => {
  allStores = (await api('GET', '/stores?limit=1000')).stores;
};

const loadStore = latestOnly(async (stale) => {
  await refreshStores();
  const stores = allStores;
  const pick = $('store-pick');
  const keep = pick.value;
  pick.replaceChildren(
    ...stores.map((s) => new Option(s.name ? `${s.storeId} · ${s.name}` : s.storeId, s.storeId)),
  );
  pick.value = stores.some((s) => s.storeId === keep) ? keep : (stores[0]?.storeId ?? '');
  const id = pick.value;
  if (!id) return;
  const hours = await api(
    'GET',
    `/figures/stores/${encodeURIComponent(id)}?${range()}&bucket=${$('period').value === '30d' ? 'day' : 'hour'}&tz=${TZ}`,
  );
  columnChart(
    $('hour-chart'),
    hours.rows.map((h) => ({
      label: h.bucket.slice(h.bucket.includes('T') ? 11 : 5),
      value: h.netSalesFen,
      text: money(h.netSalesFen),
    })),
    { title: t('netSalesFen') },
  );
  fillTable(
    $('hours-table'),
    [
      { key: 'bucket', label: t('hour') },
      // the ranking's figures, and what a store's day says of coupons, offers and points
      ...figureColumns([
        ...RANKED,
        'redemptions',
        'offersShown',
        'offersClaimed',
        'pointsIssued',
        'pointsSpent',
        'auditRate',
        'hitRate',
        'recoveredFen',
      ]),
    ],
    hours.rows,
    { csvLabel: t('exportCsv'), emptyText: t('none') },
  );
  const layout = await api('GET', `/stores/${encodeURIComponent(id)}/layout`).catch(() => ({ cameras: [] }));
  if (stale()) return;
  const cams = $('camera-pick');
  const keepCam = cams.value;
  cams.replaceChildren(...layout.cameras.map((c) => new Option(c.id, c.id)));
  if (layout.cameras.some((c) => c.id === keepCam)) cams.value = keepCam;
  cams.layout = layout;
  await drawFloor(id);
  const zones = (await api('GET', `/figures/zones?${range()}&store=${encodeURIComponent(id)}`)).zones;
  if (stale()) return;
  fillTable($('zones-table'), zoneColumns(false), zones, { csvLabel: t('exportCsv'), emptyText: t('none') });
  const cz = $('compare-zone');
  const keepZone = cz.value;
  cz.replaceChildren(
    new Option(t('wholeStore'), ''),
    ...zones.map((z) => new Option(`${z.zoneId} (${z.zoneType})`, z.zoneId)),
  );
  cz.value = zones.some((z) => z.zoneId === keepZone) ? keepZone : '';
  defaultCompareDates();
  if (session?.role === 'operator') await loadSupport(id, stale);
});

// ---- support bundles (operators): asked of the store over MQTT, kept at HQ -----------
let shownBundle = null;
async function loadSupport(id, stale = () => false) {
  const { bundles } = await api('GET', `/stores/${encodeURIComponent(id)}/support-bundles?limit=20`);
  if (stale()) return;
  fillTable(
    $('support-table'),
    [
      { key: 'id', label: '#' },
      { key: 'requestedBy', label: t('requestedBy') },
      { key: 'requestedAt', label: t('requestedAt'), format: when },
      {
        key: 'state',
        label: t('state'),
        format: (s) => t(s),
        className: (s) => (s === 'failed' ? 'down' : s === 'received' ? 'ok' : 'muted'),
      },
      { key: 'bytes', label: t('bytes'), format: (b) => (b ? `${(b / 1024).toFixed(1)} KiB` : '–') },
      { key: 'error', label: t('reason'), format: (x) => x ?? '' },
    ],
    bundles,
    {
      csvLabel: t('exportCsv'),
      emptyText: t('none'),
      onRow: (tr, b) => {
        tr.dataset.bundle = String(b.id);
        if (b.state === 'received') pickable(tr, b.id === shownBundle, () => showBundle(id, b.id));
      },
    },
  );
}

/** The bundle as the store made it (secrets already redacted there), as indented JSON. */
async function showBundle(storeId, bundleId) {
  shownBundle = bundleId;
  const doc = await api('GET', `/support-bundles/${bundleId}`);
  $('support-view').textContent = JSON.stringify(doc, null, 2);
  $('support-box').classList.remove('hidden');
  await loadSupport(storeId);
}

$('support-ask').addEventListener('click', async () => {
  const id = $('store-pick').value;
  const msg = $('support-msg');
  msg.textContent = '…';
  msg.className = 'muted';
  try {
    const b = await api('POST', `/stores/${encodeURIComponent(id)}/support-bundles`);
    msg.textContent = b.state === 'received' ? t('supportAsked') : `${t(b.state)} ${b.error ?? ''}`;
    msg.className = b.state === 'received' ? 'ok' : 'error';
    if (b.state === 'received') await showBundle(id, b.id);
    else await loadSupport(id);
  } catch (err) {
    msg.textContent = err.message;
    msg.className = 'error';
  }
});

const zoneColumns = (withStore) => [
  ...(withStore ? [{ key: 'storeId', label: t('store') }] : []),
  { key: 'zoneId', label: t('zone') },
  { key: 'zoneType', label: t('zoneType') },
  { key: 'categories', label: t('categories'), format: (c) => c.join(', ') },
  { key: 'visits', label: t('visits'), format: num },
  { key: 'avgDwellMs', label: t('avgDwell'), format: secs },
  { key: 'units', label: t('units'), format: num },
  { key: 'salesFen', label: t('zoneSales'), format: money },
  { key: 'salesPerVisitFen', label: t('perVisit'), format: money },
  { key: 'visitsPer100Entries', label: t('per100'), format: num },
];

async function heatOf(storeId, camera) {
  const p = period();
  const from = Math.max(p.from, p.to - 31 * 86_400_000);
  return api('GET', `/stores/${encodeURIComponent(storeId)}/heatmap?${qs({ camera, from, to: p.to })}`);
}

async function floorImage(storeId) {
  const s = allStores.find((x) => x.storeId === storeId);
  if (!s?.hasFloorPlan) return null;
  const blob = await api('GET', `/stores/${encodeURIComponent(storeId)}/floor-plan`);
  const url = URL.createObjectURL(blob);
  blobUrls.push(url);
  while (blobUrls.length > 40) URL.revokeObjectURL(blobUrls.shift());
  const img = new Image();
  img.src = url;
  await img.decode();
  return { url, size: { width: img.naturalWidth, height: img.naturalHeight } };
}

const drawFloor = latestOnly(async (stale, storeId) => {
  const cams = $('camera-pick');
  const camera = cams.value;
  const cam = cams.layout?.cameras.find((c) => c.id === camera);
  const heat = camera ? await heatOf(storeId, camera) : { grid: null };
  if (stale()) return;
  const none = !heat.grid;
  $('floor-none').classList.toggle('hidden', !none);
  if (none) {
    $('floor').replaceChildren();
    return;
  }
  const floor = cam?.floor ?? {
    widthM: heat.grid.cols * heat.grid.cellM,
    depthM: heat.grid.rows * heat.grid.cellM,
  };
  const img = await floorImage(storeId);
  if (stale()) return;
  const hot = floorHeat($('floor'), {
    imageUrl: img?.url,
    imageSize: img?.size,
    floor,
    grid: heat.grid,
    title: `${t('floorHeat')} · ${storeId} · ${camera}`,
  });
  $('floor').dataset.quarters = String(heat.quarters);
  $('floor').dataset.hottest = hot ? `${hot.col},${hot.row}` : '';
  $('floor').dataset.image = img ? 'yes' : 'no';
  $('floor').dataset.store = storeId;
});

$('floor-upload').addEventListener('change', async () => {
  const file = $('floor-upload').files[0];
  if (!file) return;
  const id = $('store-pick').value;
  const res = await fetch(`/api/v1/stores/${encodeURIComponent(id)}/floor-plan`, {
    method: 'PUT',
    headers: {
      authorization: `Bearer ${session.token}`,
      'content-type': file.type || 'application/octet-stream',
    },
    body: file,
  });
  const body = await res.json().catch(() => ({}));
  $('floor-upload-msg').textContent = res.ok
    ? `${t('uploaded')} ${body.width}×${body.height}`
    : (body.error?.message ?? `HTTP ${res.status}`);
  $('floor-upload-msg').className = res.ok ? 'ok' : 'error';
  if (res.ok) {
    await refreshStores();
    await drawFloor(id);
  }
});

function defaultCompareDates() {
  if ($('before-from').value) return;
  const day = (offset) =>
    new Date(Date.now() + offset * 86_400_000).toLocaleDateString('en-CA', { timeZone: TZ });
  $('before-from').value = day(-14);
  $('before-to').value = day(-7);
  $('after-from').value = day(-7);
  $('after-to').value = day(1);
}

$('compare-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const ms = (id) => String(Date.parse(`${$(id).value}T00:00:00+08:00`));
  $('compare-error').classList.add('hidden');
  try {
    const r = await api(
      'GET',
      `/figures/compare?${qs({
        store: $('store-pick').value,
        zone: $('compare-zone').value,
        beforeFrom: ms('before-from'),
        beforeTo: ms('before-to'),
        afterFrom: ms('after-from'),
        afterTo: ms('after-to'),
        tz: TZ,
      })}`,
    );
    const keys = r.zone
      ? ['visits', 'avgDwellMs', 'units', 'salesFen', 'salesPerVisitFen', 'visitsPer100Entries']
      : [
          'netSalesFen',
          'tickets',
          'avgTicketFen',
          'itemsPerTicket',
          'multiItemShare',
          'footfall',
          'conversion',
        ];
    const fmt = (k) => FIGURES[k] ?? (k === 'avgDwellMs' ? secs : k.endsWith('Fen') ? money : num);
    fillTable(
      $('compare-table'),
      [
        { key: 'figure', label: t('figure'), format: (k) => t(k === 'salesFen' && r.zone ? 'zoneSales' : k) },
        { key: 'before', label: t('before'), format: (v, row) => fmt(row.figure)(v) },
        { key: 'after', label: t('after'), format: (v, row) => fmt(row.figure)(v) },
        { key: 'change', label: t('change'), format: pct },
      ],
      keys.map((k) => ({ figure: k, before: r.before[k], after: r.after[k], change: r.change[k] })),
      { csvLabel: t('exportCsv') },
    );
  } catch (err) {
    $('compare-error').textContent = err.message;
    $('compare-error').classList.remove('hidden');
  }
});

// ---- one zone type across stores ---------------------------------------------------
$('zone-type').addEventListener('change', () => loadZones());
const loadZones = latestOnly(async (stale) => {
  const types = (await api('GET', '/figures/zone-types')).zoneTypes;
  if (stale()) return;
  const sel = $('zone-type');
  const keep = sel.value;
  sel.replaceChildren(...types.map((z) => new Option(`${z.zoneType} (${z.stores})`, z.zoneType)));
  sel.value = types.some((z) => z.zoneType === keep) ? keep : (types[0]?.zoneType ?? '');
  if (!sel.value) return;
  const zones = (await api('GET', `/figures/zones?${range()}&zoneType=${encodeURIComponent(sel.value)}`))
    .zones;
  zones.sort((a, b) => (b.salesPerVisitFen ?? -1) - (a.salesPerVisitFen ?? -1));
  barChart(
    $('zone-chart'),
    zones.map((z) => ({ label: z.storeId, value: z.salesPerVisitFen, text: money(z.salesPerVisitFen) })),
    { title: t('perVisit') },
  );
  fillTable($('zone-type-table'), zoneColumns(true), zones, {
    csvLabel: t('exportCsv'),
    emptyText: t('none'),
  });
  // each store's heatmap of the camera that watches this zone, on one colour scale
  await refreshStores();
  const heats = await Promise.all(
    zones.slice(0, 12).map(async (z) => ({ z, heat: await heatOf(z.storeId, z.cameraId) })),
  );
  const withGrid = heats.filter((h) => h.heat.grid);
  const scaleMax = Math.max(1e-9, ...withGrid.flatMap((h) => h.heat.grid.cells));
  const host = $('zone-heatmaps');
  host.replaceChildren();
  for (const { z, heat } of withGrid) {
    const fig = document.createElement('figure');
    const box = document.createElement('div');
    const cap = document.createElement('figcaption');
    cap.textContent = `${z.storeId} · ${z.cameraId}`;
    fig.append(box, cap);
    host.append(fig);
    const img = await floorImage(z.storeId);
    floorHeat(box, {
      imageUrl: img?.url,
      imageSize: img?.size,
      floor: { widthM: heat.grid.cols * heat.grid.cellM, depthM: heat.grid.rows * heat.grid.cellM },
      grid: heat.grid,
      scaleMax,
      title: cap.textContent,
    });
  }
});

// ---- campaigns ---------------------------------------------------------------------
$('campaign-group').addEventListener('change', () => loadCampaigns());
async function loadCampaigns() {
  const r = await api('GET', `/figures/campaigns?${range()}&${qs({ group: $('campaign-group').value })}`);
  fillTable(
    $('campaigns-table'),
    [
      { key: 'campaignId', label: t('campaign') },
      { key: 'issued', label: t('issued'), format: num },
      { key: 'redemptions', label: t('redemptions'), format: num },
      { key: 'costFen', label: t('costFen'), format: money },
      { key: 'redemptionRate', label: t('redemptionRate'), format: pct },
      { key: 'offersShown', label: t('offersShown'), format: num },
      { key: 'offersClaimed', label: t('offersClaimed'), format: num },
      { key: 'offersRedeemed', label: t('offersRedeemed'), format: num },
      { key: 'offerTakeRate', label: t('offerTakeRate'), format: pct },
    ],
    r.campaigns,
    { csvLabel: t('exportCsv'), emptyText: t('none') },
  );
}

// ---- guides ------------------------------------------------------------------------
const seconds = (v) => (v === null || v === undefined ? '–' : `${Number(v).toFixed(1)} s`);
const guideColumns = (first) => [
  ...first,
  { key: 'staffId', label: t('staff') },
  { key: 'callsAnswered', label: t('callsAnswered'), format: num },
  { key: 'medianSecondsToAccept', label: t('medianSecondsToAccept'), format: seconds },
  { key: 'p90SecondsToAccept', label: t('p90SecondsToAccept'), format: seconds },
  { key: 'medianSecondsToDone', label: t('medianSecondsToDone'), format: seconds },
  { key: 'p90SecondsToDone', label: t('p90SecondsToDone'), format: seconds },
  { key: 'callsEscalated', label: t('callsEscalated'), format: num },
  { key: 'assistedSales', label: t('assistedSales'), format: num },
  { key: 'assistedFen', label: t('assistedFen'), format: money },
  { key: 'refundedFen', label: t('refundedFen'), format: money },
  { key: 'netAssistedFen', label: t('netAssistedFen'), format: money },
  { key: 'assistedShare', label: t('assistedShare'), format: pct },
];
for (const id of ['guide-group', 'guide-store']) $(id).addEventListener('change', () => loadGuides());
/** Guides ranked across the stores picked (refunds taken off); a store picked: its guides by day. */
const loadGuides = latestOnly(async (stale) => {
  await refreshStores();
  const pick = $('guide-store');
  const keep = pick.value;
  pick.replaceChildren(
    new Option(t('all'), ''),
    ...allStores.map((s) => new Option(s.name ? `${s.storeId} · ${s.name}` : s.storeId, s.storeId)),
  );
  pick.value = allStores.some((s) => s.storeId === keep) ? keep : '';
  const store = pick.value;
  const where = store ? { store } : { group: $('guide-group').value };
  const [ranked, days] = await Promise.all([
    api('GET', `/figures/guides?${range()}&${qs({ ...where, tz: TZ, limit: 200 })}`),
    store ? api('GET', `/figures/guides?${range()}&${qs({ store, tz: TZ, bucket: 'day' })}`) : null,
  ]);
  if (stale()) return;
  fillTable(
    $('guides-table'),
    guideColumns([
      { key: 'rank', label: '#', raw: (r) => ranked.rows.indexOf(r) + 1 },
      { key: 'storeId', label: t('store'), format: (v, r) => (r.name ? `${v} · ${r.name}` : v) },
    ]),
    ranked.rows,
    { csvLabel: t('exportCsv'), emptyText: t('none'), onRow: (tr, r) => (tr.dataset.staff = r.staffId) },
  );
  $('guide-days-box').classList.toggle('hidden', !days);
  if (days)
    fillTable($('guide-days-table'), guideColumns([{ key: 'bucket', label: t('day') }]), days.rows, {
      csvLabel: t('exportCsv'),
      emptyText: t('none'),
      onRow: (tr, r) => (tr.dataset.staff = r.staffId),
    });
});

// ---- rollouts ----------------------------------------------------------------------
/** A table row one picks with a click or Enter, marked when it is the one picked. */
function pickable(tr, selected, pick) {
  tr.tabIndex = 0;
  tr.classList.toggle('selected', selected);
  tr.addEventListener('click', pick);
  tr.addEventListener('keydown', (e) => e.key === 'Enter' && pick());
}

async function loadRollout() {
  const { pushes } = await api('GET', '/pushes?limit=20');
  if (selectedPush === null && pushes.length) selectedPush = pushes[0].id;
  const target = (p) =>
    p.target.all
      ? t('allStores')
      : p.target.group
        ? `${t('group')}: ${p.target.group}`
        : p.target.region
          ? `${t('region')}: ${p.target.region}`
          : p.target.stores.join(', ');
  fillTable(
    $('pushes-table'),
    [
      { key: 'id', label: '#' },
      { key: 'dataset', label: t('dataset') },
      { key: 'version', label: t('version') },
      { key: 'target', label: t('target'), raw: target },
      {
        key: 'counts',
        label: t('counts'),
        raw: (p) =>
          ['pending', 'applied', 'unchanged', 'rejected'].map((k) => `${t(k)} ${p.counts[k]}`).join(' · '),
      },
      { key: 'createdBy', label: t('createdBy') },
      { key: 'createdAt', label: t('createdAt'), format: when },
    ],
    pushes,
    {
      csvLabel: t('exportCsv'),
      emptyText: t('none'),
      onRow: (tr, p) => {
        tr.dataset.push = String(p.id);
        pickable(tr, p.id === selectedPush, () => {
          selectedPush = p.id;
          loadRollout();
        });
      },
    },
  );
  const shown = pushes.find((p) => p.id === selectedPush);
  fillTable(
    $('push-stores-table'),
    [
      { key: 'storeId', label: t('store') },
      {
        key: 'status',
        label: t('state'),
        format: (s) => t(s),
        className: (s) => (s === 'rejected' ? 'down' : s === 'pending' ? 'muted' : 'ok'),
      },
      { key: 'problems', label: t('reason'), format: (p) => p.join('; ') },
    ],
    shown?.stores ?? [],
    { csvLabel: t('exportCsv'), emptyText: t('none'), onRow: (tr, s) => (tr.dataset.store = s.storeId) },
  );
  await loadSoftware(target);
  await loadWindows();
}

// software rollouts: each one's state, and each store's last step (GET /rollouts)
let selectedRollout = null;
async function loadSoftware(target) {
  const { rollouts } = await api('GET', '/rollouts?limit=20');
  if (selectedRollout === null && rollouts.length) selectedRollout = rollouts[0].id;
  const steps = [
    'pending',
    'sent',
    'downloading',
    'installed',
    'switching',
    'healthy',
    'rolled_back',
    'rejected',
  ];
  const bad = (s) => s === 'rolled_back' || s === 'rejected' || s === 'halted';
  fillTable(
    $('software-table'),
    [
      { key: 'id', label: '#' },
      { key: 'version', label: t('version') },
      { key: 'arch', label: 'arch' },
      { key: 'target', label: t('target'), raw: target },
      { key: 'state', label: t('state'), format: (s) => t(s), className: (s) => (bad(s) ? 'down' : 'ok') },
      {
        key: 'counts',
        label: t('counts'),
        raw: (r) =>
          steps
            .filter((k) => r.counts[k])
            .map((k) => `${t(k)} ${r.counts[k]}`)
            .join(' · '),
      },
      { key: 'batchSize', label: t('batch') },
      { key: 'maxFailures', label: t('maxFailures') },
      { key: 'reason', label: t('reason'), format: (x) => x ?? '' },
      { key: 'createdAt', label: t('createdAt'), format: when },
    ],
    rollouts,
    {
      csvLabel: t('exportCsv'),
      emptyText: t('none'),
      onRow: (tr, r) => {
        tr.dataset.rollout = String(r.id);
        pickable(tr, r.id === selectedRollout, () => {
          selectedRollout = r.id;
          loadSoftware(target);
        });
      },
    },
  );
  const shown = rollouts.find((r) => r.id === selectedRollout);
  fillTable(
    $('software-stores-table'),
    [
      { key: 'storeId', label: t('store') },
      {
        key: 'state',
        label: t('state'),
        format: (s) => t(s),
        className: (s) => (bad(s) ? 'down' : s === 'pending' ? 'muted' : 'ok'),
      },
      { key: 'reason', label: t('reason'), format: (x) => x ?? '' },
      {
        key: 'switchAt',
        label: t('switchAt'),
        // staged and held: the store's window (its own zone) and when it opens
        format: (x, s) =>
          x && s.window ? `${s.window.from}–${s.window.to} ${s.window.timeZone} · ${when(x)}` : '',
      },
      { key: 'sentAt', label: t('createdAt'), format: (x) => (x ? when(x) : '') },
    ],
    shown?.stores ?? [],
    { csvLabel: t('exportCsv'), emptyText: t('none'), onRow: (tr, s) => (tr.dataset.store = s.storeId) },
  );
}

// ---- maintenance windows: a store's own, else its group's (hq/releases/windows.ts) ----
async function loadWindows() {
  const { windows } = await api('GET', '/maintenance-windows');
  fillTable(
    $('windows-table'),
    [
      { key: 'scope', label: t('scope'), format: (x) => t(x === 'group' ? 'group' : 'store') },
      { key: 'name', label: t('name') },
      { key: 'from', label: t('windowFrom') },
      { key: 'to', label: t('windowTo') },
      { key: 'updatedBy', label: t('updatedBy') },
      { key: 'updatedAt', label: t('updatedAt'), format: when },
    ],
    windows,
    {
      csvLabel: t('exportCsv'),
      emptyText: t('none'),
      onRow: (tr, w) => {
        tr.dataset.window = `${w.scope}:${w.name}`;
        // picking a row fills the form, to change or remove it
        pickable(tr, false, () => {
          $('window-scope').value = w.scope === 'group' ? 'groups' : 'stores';
          $('window-name').value = w.name;
          $('window-from').value = w.from;
          $('window-to').value = w.to;
        });
      },
    },
  );
  // names to pick from, filled when the scope changes (not on every refresh of the tab)
  const scope = $('window-scope').value;
  if (windowNamesFor === scope) return;
  windowNamesFor = scope;
  const names =
    scope === 'groups'
      ? groups.groups.map((g) => g.name)
      : (await api('GET', '/stores?limit=1000')).stores.map((x) => x.storeId);
  $('window-names').replaceChildren(...names.map((n) => new Option(n, n)));
}
let windowNamesFor = null;
$('window-scope').addEventListener('change', () => loadWindows());

async function changeWindow(method) {
  const msg = $('window-msg');
  const path = `/maintenance-windows/${$('window-scope').value}/${encodeURIComponent($('window-name').value.trim())}`;
  try {
    if (method === 'PUT') await api('PUT', path, { from: $('window-from').value, to: $('window-to').value });
    else await api('DELETE', path);
    msg.textContent = t(method === 'PUT' ? 'windowSaved' : 'windowRemoved');
    msg.className = 'ok';
  } catch (err) {
    msg.textContent = err.message;
    msg.className = 'error';
  }
  await loadWindows();
}
$('window-form').addEventListener('submit', (e) => {
  e.preventDefault();
  changeWindow('PUT');
});
$('window-remove').addEventListener('click', () => {
  if ($('window-name').value.trim()) changeWindow('DELETE');
});

$('push-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const msg = $('push-msg');
  let body;
  try {
    body = JSON.parse($('push-body').value);
  } catch {
    msg.textContent = t('badJson');
    msg.className = 'error';
    return;
  }
  const [kind, name] = $('push-target').value.split(/:(.*)/s);
  try {
    const r = await api('POST', '/pushes', {
      dataset: $('push-dataset').value,
      version: Number($('push-version').value),
      body,
      ...(kind === 'all' ? { all: true } : { [kind]: name }),
    });
    selectedPush = r.id;
    msg.textContent = `${t('pushed')} #${r.id} → ${r.targets}`;
    msg.className = 'ok';
    await loadRollout();
  } catch (err) {
    msg.textContent = err.message;
    msg.className = 'error';
  }
});

translate();
showSignedIn();
