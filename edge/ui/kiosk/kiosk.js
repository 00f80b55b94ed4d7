// The self-checkout kiosk screen. The hardware does the scanning and weighing (the
// daemon's kiosk station reads the scanner and scale); this page shows the station's
// cart as it changes, takes the member code, starts card, payment-code or face payment,
// shows the receipt and the coupon offer, calls an attendant, and hosts attendant mode
// (age check, remove a line, change a price) after a staff PIN. A step line says where
// the shopper is; an open cart left untouched asks "still there?" and is then set aside
// (suspended, its code takes it back at any kiosk); a cart being paid never times out.
import { call } from '../shared/api.js';
import { localName as name, t, toggleLocale, translate, yuan } from '../shared/i18n.js';
import { qrDataUrl, shopperLink } from '../shared/qr.js';

const $ = (id) => document.getElementById(id);

// The kiosk's identity is provisioned once by staff on its setup screen and kept on the
// device; a credential never goes in a URL (history, logs, shoulder-surfing).
const kiosk = JSON.parse(localStorage.getItem('storeedge.kiosk') ?? 'null');
const auth = () => ({ authorization: `Bearer ${kiosk?.token}` });
const staffAuth = () => ({ 'x-staff-token': sessionStorage.getItem('storeedge.attendant') ?? '' });

let seq = 0;
let cartId = null;
let quote = null;
let sale = null;
let paying = false;
let helpCalled = false;

let screen = null;
function show(next) {
  if (next !== screen) touched(); // a new screen starts its own clock
  screen = next;
  for (const id of ['setup', 'idle', 'cart', 'done', 'attendant'])
    $(id).classList.toggle('hidden', id !== next);
  if (next === 'done' || next === 'setup') scanNote(null);
  steps();
}

/** The step line: scanning (attract and cart), paying (checkout started), the receipt. */
function steps() {
  const at = screen === 'done' ? 'receipt' : paying || quote?.status === 'paying' ? 'pay' : 'scan';
  const order = ['scan', 'pay', 'receipt'];
  $('steps').classList.toggle('hidden', !['idle', 'cart', 'done'].includes(screen));
  for (const li of $('steps').children) {
    const i = order.indexOf(li.dataset.step);
    if (li.dataset.step === at) li.setAttribute('aria-current', 'step');
    else li.removeAttribute('aria-current');
    li.classList.toggle('passed', i < order.indexOf(at));
  }
}

function banners(devices, alerts) {
  const out = [];
  const down = (d) => d && d.state !== 'ready';
  if (down(devices.scanner)) out.push([t('scannerDown'), '']);
  if (down(devices.terminal)) out.push([t('terminalDown'), '']);
  if (down(devices.printer)) out.push([t('printerDown'), 'info']);
  if (syncOffline) out.push([t('storeOffline'), 'info']);
  if (helpCalled && alerts.some((a) => a.kind === 'help')) out.push([t('attendantCalled'), 'info']);
  $('banners').replaceChildren(
    ...out.map(([text, cls]) => {
      const p = document.createElement('p');
      p.textContent = text;
      if (cls) p.className = cls;
      return p;
    }),
  );
}

let lastLineId = null;
function lineItem(l, withActions) {
  const li = document.createElement('li');
  if (!withActions && l.id === lastLineId) li.className = 'new';
  const nameEl = document.createElement('span');
  nameEl.className = 'name';
  nameEl.textContent = `${name(l.name)} ${l.weightG ? `${(l.weightG / 1000).toFixed(3)} kg` : `× ${l.qty}`}`;
  const price = document.createElement('span');
  price.className = 'price';
  price.textContent = yuan(l.finalFen);
  li.append(nameEl, price);
  for (const d of l.discounts) {
    const p = document.createElement('span');
    p.className = 'promo';
    p.textContent = `${name(d.name)} −${yuan(d.amountFen)}`;
    li.append(p);
  }
  if (l.minAge > 0 && !l.ageApprovedBy) {
    const a = document.createElement('span');
    a.className = 'age';
    a.textContent = `${t('ageCheck')} (${l.minAge}+)`;
    li.append(a);
  }
  if (l.labelHold && !l.labelApprovedBy) {
    const a = document.createElement('span');
    a.className = 'age';
    a.textContent = t('labelCheck');
    a.title = l.labelHold.join('; ');
    li.append(a);
    if (withActions) {
      const why = document.createElement('span');
      why.className = 'age'; // a warning, not a discount
      why.textContent = l.labelHold.join('; ');
      li.append(why);
    }
  }
  if (withActions) li.append(...attendantButtons(l));
  return li;
}

function render() {
  if (sale) return;
  if (!quote || quote.lines.length === 0) {
    if (!$('attendant').classList.contains('hidden')) return;
    show('idle');
    return;
  }
  if ($('attendant').classList.contains('hidden')) show('cart');
  $('lines').replaceChildren(...quote.lines.map((l) => lineItem(l, false)));
  $('coupons').replaceChildren(
    ...quote.coupons.map((c) => {
      const p = document.createElement('p');
      p.textContent = `${t('coupon')}: ${name(c.name)} −${yuan(c.amountFen)}`;
      return p;
    }),
  );
  const units = quote.lines.reduce((n, l) => n + (l.weightG ? 1 : l.qty), 0);
  $('item-count').textContent = t('itemUnits', { n: units });
  $('saved').textContent = yuan(quote.promoDiscountFen + quote.couponDiscountFen);
  $('total').textContent = yuan(quote.totalFen);
  // an age check or a held label waits for the attendant before anyone pays
  const needsAttendant = quote.ageChecksPending.length > 0 || quote.labelChecksPending.length > 0;
  $('pay-card').disabled = paying || needsAttendant;
  $('pay-code').disabled = paying || needsAttendant;
  $('pay-face').disabled = paying || needsAttendant;
  $('pay-wait').classList.toggle('hidden', !needsAttendant);
  steps();
  if (!$('attendant').classList.contains('hidden')) renderAttendant();
}

let syncOffline = false;
async function pollHealth() {
  try {
    const r = await (await fetch('/readyz')).json();
    const link = r.parts.find((p) => p.name === 'sync')?.details?.link;
    syncOffline = link !== undefined && link !== 'disabled' && link !== 'connected';
  } catch {
    syncOffline = true;
  }
}

let polling = false;
async function poll() {
  // one poll at a time: two in flight would both deliver the same events (a finished
  // sale shown again after the shopper pressed done)
  if (polling) return;
  polling = true;
  try {
    const s = await call('GET', `/kiosk/stations/${kiosk.id}?since=${seq}`, { headers: auth() });
    const changed = s.events.length > 0 || s.cartId !== cartId;
    timing = s.screen;
    for (const e of s.events) {
      if (e.seq <= seq) continue;
      seq = e.seq;
      // a scan is the shopper at the kiosk: the still-there clock starts again
      if (e.type === 'line-added' || e.type === 'scan-refused' || e.type === 'cart-taken-over') touched();
      if (e.type === 'line-added') {
        lastLineId = e.detail.lineId;
        scanNote(null);
      }
      if (e.type === 'scan-refused') scanNote(e.detail.code);
      if (e.type === 'guide-credited') guideNote(e.detail.staffId);
      if (e.type === 'payment' && e.detail.status === 'approved' && e.detail.saleId)
        void finished(e.detail.saleId);
      if (e.type === 'receipt-printed') $('receipt-state').textContent = t('receiptPrinted');
      if (e.type === 'receipt-not-printed') $('receipt-state').textContent = t('receiptNotPrinted');
    }
    // the next shopper scanning before "done" was pressed: their cart takes the screen
    if (sale && s.cartId && s.cartId !== sale.cartId) resetAfterSale();
    cartId = s.cartId;
    if (changed || paying) quote = cartId ? await call('GET', `/carts/${cartId}`, { headers: auth() }) : null;
    banners(s.devices, s.alerts);
    // face pay is offered where the kiosk has a face-pay device that is up
    $('pay-face').classList.toggle('hidden', s.devices.facePay?.state !== 'ready');
    render();
  } catch {
    /* the next poll tries again; the daemon is on this machine */
  } finally {
    polling = false;
  }
}

let lastSaleId = null;
async function finished(saleId) {
  // a sale is shown once: the payment's answer and its station event both announce it
  if (sale || saleId === lastSaleId) return;
  lastSaleId = saleId;
  paying = false;
  const paidQuote = quote ?? (await call('GET', `/carts/${cartId}`, { headers: auth() }));
  sale = { saleId, cartId, totalFen: paidQuote.totalFen };
  const receipt = await call('GET', `/sales/${saleId}/receipt`, { headers: auth() }).catch(() => null);
  $('receipt-no').textContent = receipt?.receipt?.receiptNo ?? saleId.slice(0, 8);
  $('paid-total').textContent = yuan(sale.totalFen);
  const { offer, ticket } = await call('GET', `/sales/${saleId}/offer`, { headers: auth() }).catch(() => ({
    offer: null,
    ticket: null,
  }));
  $('offer').classList.toggle('hidden', !offer);
  // paid without a member: the offer goes to the shopper's phone by a QR code, claimed there
  const { url } = ticket ? await shopperLink() : { url: null };
  $('offer-scan').classList.toggle('hidden', !(ticket && url));
  $('offer-claim').classList.toggle('hidden', Boolean(ticket && url));
  if (ticket && url) {
    $('offer-name').textContent = name(offer.name);
    $('offer-qr').src = qrDataUrl(`${url}#offer=${ticket}`, 4, 2);
    $('offer-qr').alt = `${t('offerScanHint')}: ${name(offer.name)}`;
  } else if (offer) {
    $('offer-name').textContent = name(offer.name);
    $('offer-claim').disabled = false;
    $('offer-claim').onclick = async () => {
      $('offer-claim').disabled = true;
      await call('POST', `/sales/${saleId}/offer/claim`, { body: { campaignId: offer.id }, headers: auth() });
      $('offer-claim').textContent = t('claimed');
    };
  }
  show('done');
}

/** Why a scan was not added, in words a shopper understands, and what to do next. */
function scanNote(code) {
  const key =
    code === null
      ? null
      : code === 'BARCODE_INVALID'
        ? 'refusedBarcode'
        : code === 'UNKNOWN_PRODUCT' || code === 'NO_PRICE'
          ? 'refusedUnknown'
          : ['WEIGHT_REQUIRED', 'UNSTABLE', 'UNDERLOAD', 'OVERLOAD', 'TIMEOUT', 'WEIGHT_INVALID'].includes(
                code,
              )
            ? 'refusedWeigh'
            : code === 'CART_STATE'
              ? 'refusedPaying'
              : 'refusedOther';
  $('scan-note').textContent = key ? t(key) : '';
  $('scan-note').classList.toggle('hidden', !key);
  $('scan-note').classList.remove('info');
}

/** A guide's code scanned: the shopper sees it counted (the note clears with the next item). */
function guideNote(staffId) {
  $('scan-note').textContent = t('guideCreditedKiosk', { id: staffId });
  $('scan-note').classList.remove('hidden');
  $('scan-note').classList.add('info');
}

// ---- timeouts: an open cart left untouched is set aside; a paid screen goes back ----

let timing = { stillThereSeconds: 120, setAsideSeconds: 30, doneSeconds: 45 };
let lastTouch = Date.now();
let askedAt = null;
/** a set-aside request in flight: the next ticks wait for it */
let settingAside = false;
function touched() {
  lastTouch = Date.now();
  if (askedAt !== null) {
    askedAt = null;
    $('still-there').classList.add('hidden');
  }
}
for (const type of ['pointerdown', 'keydown']) document.addEventListener(type, touched, { capture: true });

async function tick() {
  if (settingAside) return;
  const now = Date.now();
  if (screen === 'done') {
    const left = Math.ceil((lastTouch + timing.doneSeconds * 1000 - now) / 1000);
    $('done-countdown').textContent = t('backToStartIn', { s: Math.max(0, left) });
    if (left <= 0) resetAfterSale();
    return;
  }
  // only an open cart on the shopper's screen: a cart being paid is never timed out,
  // and attendant mode is the attendant's
  const open = screen === 'cart' && quote?.status === 'open' && !paying && cartId;
  if (!open) {
    if (askedAt !== null) touched();
    return;
  }
  if (askedAt === null && now - lastTouch >= timing.stillThereSeconds * 1000) {
    askedAt = now;
    $('still-there').classList.remove('hidden');
    $('st-continue').focus();
  }
  if (askedAt === null) return;
  const left = Math.ceil((askedAt + timing.setAsideSeconds * 1000 - now) / 1000);
  $('st-text').textContent = t('setAsideIn', { s: Math.max(0, left), code: quote.cartCode });
  if (left > 0) return;
  askedAt = null;
  $('still-there').classList.add('hidden');
  const aside = { code: quote.cartCode, totalFen: quote.totalFen, at: now };
  settingAside = true;
  try {
    await call('POST', `/carts/${cartId}/suspend`, { body: {}, headers: auth() });
  } catch {
    return; // paid or changed meanwhile: the next poll shows what it is
  } finally {
    settingAside = false;
  }
  localStorage.setItem('storeedge.kiosk.setAside', JSON.stringify(aside));
  quote = null;
  cartId = null;
  scanNote(null);
  show('idle');
  $('set-aside-note').textContent = t('setAsideNote');
  $('set-aside-note').classList.remove('hidden');
}

async function pay(kind) {
  $('pay-status').textContent = '';
  paying = true;
  touched();
  render();
  try {
    if (quote.status === 'open')
      quote = await call('POST', `/carts/${cartId}/checkout`, { body: {}, headers: auth() });
    if (kind === 'code') {
      $('pay-status').textContent = t('payCodeHint');
      return; // the station pays when the shopper's code is scanned; its event ends the sale
    }
    $('pay-status').textContent = t(kind === 'face' ? 'payFaceHint' : 'paying');
    const r = await call('POST', `/carts/${cartId}/payments/${kind === 'face' ? 'face' : 'card'}`, {
      body: {},
      headers: auth(),
    });
    if (r.status === 'approved' && r.sale) {
      quote = r.quote;
      await finished(r.sale.saleId);
    } else {
      paying = false;
      $('pay-status').textContent = `${t('paymentDeclined')}${r.reason ? `: ${r.reason}` : ''}`;
    }
  } catch (err) {
    paying = false;
    $('pay-status').textContent = `${t('paymentDeclined')}: ${err.message}`;
  }
  render();
}

// ---- attendant mode ----

function attendantButtons(l) {
  const buttons = [];
  const act = async (path, body) => {
    quote = await call('POST', `/staff/carts/${cartId}/lines/${l.id}/${path}`, {
      body,
      headers: staffAuth(),
    });
    renderAttendant();
    render();
  };
  if (l.minAge > 0 && !l.ageApprovedBy)
    buttons.push(button(t('approveAge'), () => act('age-approval', { reason: 'ID checked at kiosk' })));
  if (l.labelHold && !l.labelApprovedBy)
    buttons.push(
      button(t('approveLabel'), () => act('label-approval', { reason: 'label checked at kiosk' })),
    );
  buttons.push(button(t('voidLine'), () => act('void', { reason: 'removed by attendant' }), 'secondary'));
  buttons.push(
    button(
      t('overridePrice'),
      () => {
        const v = prompt(t('newPrice'));
        if (v && /^\d+(\.\d{1,2})?$/.test(v))
          void act('price', { priceFen: Math.round(Number(v) * 100), reason: 'attendant price change' });
      },
      'secondary',
    ),
  );
  return buttons;
}

function button(text, onclick, cls = '') {
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = text;
  if (cls) b.className = cls;
  b.onclick = onclick;
  return b;
}

function renderAttendant() {
  const signedIn = Boolean(sessionStorage.getItem('storeedge.attendant'));
  $('att-signin').classList.toggle('hidden', signedIn);
  $('refund-form').classList.toggle('hidden', !signedIn);
  $('att-lines').replaceChildren(...(signedIn && quote ? quote.lines.map((l) => lineItem(l, true)) : []));
  // the last cart this kiosk set aside: its code, for a shopper who comes back for it
  const aside = JSON.parse(localStorage.getItem('storeedge.kiosk.setAside') ?? 'null');
  $('att-set-aside').classList.toggle('hidden', !(signedIn && aside));
  if (signedIn && aside)
    $('att-set-aside').textContent = t('setAsideFor', {
      code: aside.code,
      total: yuan(aside.totalFen),
      time: new Date(aside.at).toLocaleTimeString(),
    });
}

$('att-open').onclick = () => {
  show('attendant');
  renderAttendant();
};
$('att-exit').onclick = () => {
  sessionStorage.removeItem('storeedge.attendant');
  $('attendant').classList.add('hidden');
  render();
};
$('att-signin').addEventListener('submit', async (e) => {
  e.preventDefault();
  try {
    const s = await call('POST', '/staff/sessions', {
      body: { staffId: $('att-id').value, pin: $('att-pin').value },
    });
    sessionStorage.setItem('storeedge.attendant', s.token);
    $('att-error').classList.add('hidden');
    $('att-pin').value = '';
    renderAttendant();
  } catch {
    $('att-error').classList.remove('hidden');
  }
});

// a refund at the kiosk: the attendant finds the sale by its receipt number and refunds it
// whole, or some units of some lines, to the tenders it was paid with
$('refund-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  $('refund-result').textContent = '';
  try {
    const s = await call(
      'GET',
      `/staff/sales/by-receipt/${encodeURIComponent($('refund-receipt').value.trim())}`,
      {
        headers: staffAuth(),
      },
    );
    $('refund-info').textContent = `${s.receiptNo} · ${yuan(s.totalFen)}`;
    $('refund-sale').classList.remove('hidden');
    $('refund-go').disabled = s.refundedFen > 0;
    const refund = async (lines) => {
      $('refund-go').disabled = true;
      $('refund-lines-go').disabled = true;
      try {
        const r = await call('POST', `/staff/sales/${s.saleId}/refunds`, {
          body: { reason: 'refund at kiosk', ...(lines ? { lines } : {}) },
          headers: staffAuth(),
        });
        $('refund-result').textContent = `${t('refunded')} ${yuan(r.amountFen)}`;
      } catch (err) {
        $('refund-result').textContent = err.message;
        $('refund-lines-go').disabled = false;
      }
    };
    $('refund-go').onclick = () => refund(null);
    // one number per line still refundable: how many of its units go back
    const inputs = [];
    $('refund-lines').replaceChildren(
      ...s.lines
        .filter((l) => l.qty > l.refundedQty)
        .map((l) => {
          const li = document.createElement('li');
          const label = document.createElement('label');
          const input = document.createElement('input');
          input.type = 'number';
          input.min = '0';
          input.max = String(l.qty - l.refundedQty);
          input.value = '0';
          input.id = `refund-line-${l.lineNo}`;
          label.htmlFor = input.id;
          label.textContent = `${name(l.name)} (${l.qty - l.refundedQty}/${l.qty}) · ${yuan(l.netFen)}`;
          inputs.push({ lineNo: l.lineNo, input });
          li.append(label, input);
          return li;
        }),
    );
    $('refund-lines-go').disabled = inputs.length === 0;
    $('refund-lines-go').onclick = () => {
      const lines = inputs
        .map(({ lineNo, input }) => ({ lineNo, qty: Number(input.value) }))
        .filter((l) => Number.isInteger(l.qty) && l.qty > 0);
      if (lines.length) void refund(lines);
    };
  } catch (err) {
    $('refund-sale').classList.add('hidden');
    $('refund-result').textContent = err.message;
  }
});

// ---- shopper actions ----

$('member-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const code = $('member-code').value.trim();
  if (!code || !cartId) return;
  try {
    quote = await call('POST', `/carts/${cartId}/member`, { body: { code }, headers: auth() });
    $('member-code').value = '';
    render();
  } catch (err) {
    $('pay-status').textContent = err.message;
  }
});
// a shopper's phone cart, paid here: the kiosk takes it over by its six-character code
$('handoff-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  $('handoff-error').textContent = '';
  try {
    await call('POST', '/kiosk/handoff', {
      body: { cartCode: $('handoff-code').value.trim(), kioskId: kiosk.id },
      headers: auth(),
    });
    $('handoff-code').value = '';
    $('set-aside-note').classList.add('hidden');
    await poll();
  } catch (err) {
    $('handoff-error').textContent = err.message;
  }
});
$('pay-card').onclick = () => pay('card');
$('pay-code').onclick = () => pay('code');
$('pay-face').onclick = () => pay('face');
$('help').onclick = async () => {
  await call('POST', `/kiosk/stations/${kiosk.id}/help`, { headers: auth() });
  helpCalled = true;
  void poll();
};
function resetAfterSale() {
  sale = null;
  quote = null;
  lastLineId = null;
  scanNote(null);
  $('set-aside-note').classList.add('hidden');
  $('receipt-state').textContent = '';
  $('offer-claim').textContent = t('claim');
  $('pay-status').textContent = '';
  show('idle');
}
$('finish').onclick = resetAfterSale;
$('st-continue').onclick = touched;
$('lang').onclick = () => {
  toggleLocale();
  translate();
  render();
};

$('setup-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const id = $('setup-id').value.trim();
  const token = $('setup-token').value;
  try {
    // kept only once the daemon accepts the pair
    await call('GET', `/kiosk/stations/${encodeURIComponent(id)}?since=0`, {
      headers: { authorization: `Bearer ${token}` },
    });
  } catch {
    $('setup-error').textContent = t('kioskSetupFailed');
    return;
  }
  localStorage.setItem('storeedge.kiosk', JSON.stringify({ id, token }));
  location.reload();
});

/** The entrance QR on the idle screen: the shopper page at the store's HTTPS address. */
async function shopQr() {
  try {
    const { url } = await shopperLink();
    if (!url) return;
    $('shop-qr').src = qrDataUrl(url, 5, 2);
    $('shop-qr').alt = `${t('scanToShop')}: ${url}`;
  } catch {
    // no QR is better than a wrong one; the kiosk works without it
  }
}

translate();
if (!kiosk) show('setup');
else {
  show('idle');
  void shopQr();
  void pollHealth();
  setInterval(pollHealth, 5000);
  void poll();
  setInterval(poll, 700);
  setInterval(() => void tick(), 500);
}
