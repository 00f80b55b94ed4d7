// A guide's phone page (导购): sign in as staff, say where you are, see shoppers' open
// calls nearest first (live over server-sent events), take one (another guide who
// pressed too sees it gone), see the product and, only if the member agreed, their
// member details; send a product or a coupon the shopper sees on their phone; end the call.
import { call, subscribe } from '../shared/api.js';
import { localName as name, t, toggleLocale, translate, yuan } from '../shared/i18n.js';
import { qrDataUrl } from '../shared/qr.js';
import { bindStaffSignIn, forgetStaffSession, staffHeaders, staffToken } from '../shared/staff-session.js';

const $ = (id) => document.getElementById(id);
const auth = staffHeaders;
let live = null;
let serving = null;

const reasonText = (r) => t(`reason_${r}`);
const ago = (ms) => Math.max(0, Math.round((Date.now() - ms) / 1000));

function button(text, onclick, cls = 'secondary', label = null) {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = cls;
  b.textContent = text;
  if (label) b.setAttribute('aria-label', label);
  b.onclick = onclick;
  return b;
}

function li(text, ...extra) {
  const el = document.createElement('li');
  const s = document.createElement('span');
  s.textContent = text;
  el.append(s, ...extra);
  return el;
}

function describe(c) {
  const where = c.zoneId ? `${t('zone')} ${c.zoneId}` : t('zoneUnknown');
  const what = c.product ? ` · ${name(c.product.name)}` : '';
  return `${reasonText(c.reason)} · ${where}${what}`;
}

function showCalls({ mine, open }) {
  serving = mine[0] ?? null;
  $('open-none').classList.toggle('hidden', open.length > 0);
  $('open-list').replaceChildren(
    ...open.map((c) => {
      const el = li(`${describe(c)} · ${t('waitedFor', { s: ago(c.createdAt) })}`);
      if (c.escalatedAt) el.firstChild.classList.add('late');
      el.append(button(t('accept'), () => accept(c.id), '', `${t('accept')}: ${describe(c)}`));
      return el;
    }),
  );
  showServing();
}

async function accept(id) {
  $('error').textContent = '';
  try {
    await call('POST', `/staff/guide-calls/${id}/accept`, { body: {}, headers: auth() });
    $('s-member-card').classList.add('hidden');
    $('s-member-none').classList.add('hidden');
    await refresh();
  } catch (err) {
    // another guide was quicker: the list shows it gone at the next update
    $('error').textContent = err.code === 'CALL_TAKEN' ? t('callTaken') : err.message;
    await refresh();
  }
}

let suggestedFor = null;
async function showServing() {
  $('serving').classList.toggle('hidden', !serving);
  if (!serving) return;
  const c = serving;
  $('s-what').textContent = describe(c);
  $('s-product').textContent = c.product
    ? `${name(c.product.name)} ${yuan(c.product.priceFen)}`
    : t('noProduct');
  $('s-member').classList.toggle('hidden', !c.member);
  $('s-sent').replaceChildren(
    ...c.recommendations.map((r) =>
      li(r.kind === 'product' ? `${name(r.name)} ${yuan(r.priceFen)}` : `${t('coupon')}: ${name(r.name)}`),
    ),
  );
  if (suggestedFor === c.id) return;
  suggestedFor = c.id;
  const s = await call('GET', `/staff/guide-calls/${c.id}/suggestions`, { headers: auth() });
  $('s-also').replaceChildren(
    ...s.alsoBought.map((p) =>
      li(
        `${t('alsoBoughtShort')}: ${name(p.name)} ${yuan(p.priceFen)}`,
        button(
          t('send'),
          () => send({ kind: 'product', code: p.gtin }),
          'secondary',
          `${t('send')}: ${name(p.name)}`,
        ),
      ),
    ),
  );
  $('s-coupons').replaceChildren(
    ...s.coupons.map((k) =>
      li(
        `${t('coupon')}: ${name(k.name)}`,
        button(
          t('send'),
          () => send({ kind: 'coupon', campaignId: k.id }),
          'secondary',
          `${t('send')}: ${name(k.name)}`,
        ),
      ),
    ),
  );
}

async function send(body) {
  $('error').textContent = '';
  try {
    await call('POST', `/staff/guide-calls/${serving.id}/recommendations`, { body, headers: auth() });
    await refresh();
  } catch (err) {
    $('error').textContent = err.message;
  }
}

async function showMember() {
  try {
    const m = await call('GET', `/staff/guide-calls/${serving.id}/member`, { headers: auth() });
    const rows = [
      [t('tier'), t(`tier_${m.tier}`)],
      [t('points'), String(m.points)],
      [t('walletCoupons'), m.coupons.map((c) => name(c.name)).join('、') || '–'],
      [t('recentPurchases'), m.recent.map((r) => r.items.join('、')).join(' / ') || '–'],
      [
        t('dueAgain'),
        m.due.map((d) => `${name(d.name)}（${t('everyDays', { n: d.everyDays })}）`).join('、') || '–',
      ],
    ];
    $('s-member-card').replaceChildren(
      ...rows.flatMap(([k, v]) => {
        const dt = document.createElement('dt');
        dt.textContent = k;
        const dd = document.createElement('dd');
        dd.textContent = v;
        return [dt, dd];
      }),
    );
    $('s-member-card').classList.remove('hidden');
  } catch (err) {
    // without the member's consent a guide sees nothing personal: the store refuses it
    $('s-member-none').textContent = err.code === 'NO_MEMBER_CONSENT' ? t('noConsent') : err.message;
    $('s-member-none').classList.remove('hidden');
  }
}

async function refresh() {
  const near = $('near').value;
  showCalls(
    await call('GET', `/staff/guide-calls${near ? `?near=${encodeURIComponent(near)}` : ''}`, {
      headers: auth(),
    }),
  );
}

function listen() {
  live?.abort();
  live = new AbortController();
  const near = $('near').value;
  subscribe(
    `/staff/guide-calls/live${near ? `?near=${encodeURIComponent(near)}` : ''}`,
    auth(),
    (event, data) => {
      if (event === 'calls') showCalls(data);
      // a queue at the kiosks past its limit: "come to the kiosks"
      if (event === 'queues') {
        $('queue-alert').classList.toggle('hidden', !data.length);
        $('queue-alert').textContent = data
          .map((q) => t('queueAlert', { zone: q.zoneId, n: q.length ?? '–' }))
          .join(' ');
      }
    },
    live.signal,
    (up) => {
      $('link').className = `status ${up ? 'online' : 'offline'}`;
      $('link').textContent = up ? t('live') : t('reconnecting');
    },
  ).catch(signOut);
}

async function showBoard() {
  $('signin').classList.add('hidden');
  $('board').classList.remove('hidden');
  const { zones } = await call('GET', '/guides/zones');
  const saved = localStorage.getItem('storeedge.guide.near') ?? '';
  $('near').replaceChildren(
    new Option(t('anywhere'), ''),
    ...zones.map(
      (z) => new Option(`${z.zoneId}${z.categories.length ? ` (${z.categories.join(', ')})` : ''}`, z.zoneId),
    ),
  );
  $('near').value = zones.some((z) => z.zoneId === saved) ? saved : '';
  listen();
  // a guide's own code (other staff signed in here have none)
  const mine = await call('GET', '/staff/guide-code', { headers: auth() }).catch(() => null);
  $('my-code').closest('section').classList.toggle('hidden', !mine);
  if (mine) {
    $('my-code').src = qrDataUrl(mine.code, 5, 2);
    $('my-code').alt = `${t('myCode')}: ${mine.name}`;
    $('my-code').dataset.code = mine.code;
  }
}

function signOut() {
  forgetStaffSession();
  location.reload();
}

$('near').addEventListener('change', () => {
  localStorage.setItem('storeedge.guide.near', $('near').value);
  listen();
});
$('s-member-show').onclick = () => void showMember();
$('s-done').onclick = async () => {
  await call('POST', `/staff/guide-calls/${serving.id}/done`, { body: {}, headers: auth() }).catch((err) => {
    $('error').textContent = err.message;
  });
  suggestedFor = null;
  await refresh();
};
$('s-rec-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const code = $('s-rec-code').value.trim();
  if (code) void send({ kind: 'product', code }).then(() => ($('s-rec-code').value = ''));
});
$('lang').onclick = () => {
  toggleLocale();
  location.reload();
};

translate();
$('link').textContent = t('reconnecting');
bindStaffSignIn($('signin'), showBoard);
if (staffToken()) void showBoard();
