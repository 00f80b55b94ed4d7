// The exit check on a staff phone at the door: scan (or type) the shopper's exit pass;
// the store says whether it is valid and whether this sale is audited, with the lines
// to check. Staff record the result: all there; a problem, which turns a partial check
// into a full one; missing items, sold and paid in cash there and then; or a refusal.
import { call } from '../shared/api.js';
import { scanWithCamera } from '../shared/camera-scan.js';
import { localName as name, t, toggleLocale, translate, yuan } from '../shared/i18n.js';
import { bindStaffSignIn, staffHeaders, staffToken } from '../shared/staff-session.js';

const $ = (id) => document.getElementById(id);
const token = staffToken;
const auth = staffHeaders;

let saleId = null;
let missing = [];

function showSignedIn() {
  $('signin').classList.toggle('hidden', Boolean(token()));
  $('check').classList.toggle('hidden', !token());
}

function li(text) {
  const el = document.createElement('li');
  el.textContent = text;
  return el;
}

function showAudit(audit) {
  $('audit').classList.toggle('hidden', !audit.required);
  if (!audit.required) return;
  $('audit-title').textContent = audit.fullCheck
    ? t('auditFull')
    : t('auditPartial').replace('{n}', String(audit.lines.length));
  $('audit-lines').replaceChildren(
    ...audit.lines.map((l) =>
      li(`${name(l.name)} ${l.weightG ? `${(l.weightG / 1000).toFixed(3)} kg` : `× ${l.qty}`}`),
    ),
  );
  $('audit-problem').classList.toggle('hidden', audit.fullCheck);
  $('audit-missing').classList.toggle('hidden', !audit.fullCheck);
}

function done(text) {
  $('audit').classList.add('hidden');
  $('missing-form').classList.add('hidden');
  $('audit-done').textContent = text;
}

async function check(payload) {
  $('pass-error').textContent = '';
  $('audit-done').textContent = '';
  $('missing-form').classList.add('hidden');
  missing = [];
  $('missing-list').replaceChildren();
  let r;
  try {
    r = await call('POST', '/staff/exit-passes/check', { body: { payload }, headers: auth() });
  } catch (err) {
    $('pass-error').textContent = err.message;
    return;
  }
  $('result').classList.remove('hidden');
  saleId = r.saleId ?? null;
  const audit = r.audit ?? { required: false, lines: [] };
  if (r.valid) {
    $('verdict').textContent = t('passValid');
    $('sale-info').textContent = `${r.receiptNo} · ${r.itemCount} ${t('itemsCount')} · ${yuan(r.totalFen)}`;
  } else {
    $('verdict').textContent = t(`pass_${r.reason}`);
    $('sale-info').textContent = '';
  }
  showAudit(audit);
  if (r.valid && !audit.required) $('audit-done').textContent = t('noAudit');
}

async function result(body) {
  const r = await call('POST', `/staff/exit-audits/${saleId}/result`, { body, headers: auth() });
  return r;
}

bindStaffSignIn($('signin'), showSignedIn);

$('pass-form').addEventListener('submit', (e) => {
  e.preventDefault();
  void check($('pass').value.trim());
});

$('scan-start').onclick = async () => {
  const stop = await scanWithCamera($('camera'), (text) => {
    $('pass').value = text;
    void check(text);
  });
  if (!stop) $('pass-error').textContent = t('noCamera');
};

const guarded = (fn) => async () => {
  try {
    await fn();
  } catch (err) {
    $('pass-error').textContent = err.message;
  }
};

$('audit-ok').onclick = guarded(async () => {
  await result({ result: 'ok' });
  done(t('released'));
});
$('audit-refused').onclick = guarded(async () => {
  await result({ result: 'refused' });
  done(t('refusalRecorded'));
});
$('audit-problem').onclick = guarded(async () => {
  showAudit(await call('POST', `/staff/exit-audits/${saleId}/widen`, { body: {}, headers: auth() }));
});
$('audit-missing').onclick = () => $('missing-form').classList.remove('hidden');
$('missing-add').onclick = guarded(async () => {
  const code = $('missing-code').value.trim();
  const qty = Number($('missing-qty').value);
  if (!code || !Number.isInteger(qty) || qty < 1) return;
  const p = await call('GET', `/products/${encodeURIComponent(code)}`);
  missing.push({ code, qty });
  $('missing-list').append(li(`${name(p.name)} × ${qty} · ${yuan(p.priceFen * qty)}`));
  $('missing-code').value = '';
  $('missing-qty').value = '1';
});
$('missing-form').addEventListener('submit', (e) => {
  e.preventDefault();
  void guarded(async () => {
    const v = $('tendered').value.trim();
    if (!missing.length || !/^\d+(\.\d{1,2})?$/.test(v)) return;
    const r = await result({ result: 'recovered', items: missing, tenderedFen: Math.round(Number(v) * 100) });
    done(
      `${t('recovered')} ${yuan(r.recovery.totalFen)} · ${t('change')} ${yuan(r.recovery.changeFen)} · ${r.recovery.receiptNo}`,
    );
  })();
});

$('lang').onclick = () => {
  toggleLocale();
  translate();
};

translate();
showSignedIn();
