// Scan & go on the shopper's phone: look a product up by its barcode (typed for now),
// see its price, promotions, related products and coupons to claim; keep a phone cart;
// pay for it on the phone with the wallet's in-app payment, or hand it to a
// self-checkout kiosk by its cart code and see it paid there; the wallet of coupons and
// points. Member sign-in is the member's own code, kept on their phone. Every scan and
// tap answers at once: a line of text, and a beep and a buzz where the phone allows.

import { call } from '../shared/api.js';
import { scanWithCamera } from '../shared/camera-scan.js';
import { localName as name, t, toggleLocale, translate, yuan } from '../shared/i18n.js';
import { qrDataUrl, shopperLink } from '../shared/qr.js';

const $ = (id) => document.getElementById(id);
const store = {
  get: (k) => JSON.parse(localStorage.getItem(`storeedge.shopper.${k}`) ?? 'null'),
  set: (k, v) => localStorage.setItem(`storeedge.shopper.${k}`, JSON.stringify(v)),
};

let cart = store.get('cart'); // { cartId, cartToken, cartCode }
let member = store.get('member'); // { code, token }
let product = null;
let watch = null;

const memberHeaders = () => (member ? { 'x-member-session': member.token } : {});
const cartHeaders = () => ({ 'x-cart-token': cart.cartToken });

function tab(id) {
  for (const s of ['scan', 'cart', 'wallet']) $(s).classList.toggle('hidden', s !== id);
  for (const b of document.querySelectorAll('[data-tab]'))
    b.setAttribute('aria-current', b.dataset.tab === id ? 'page' : 'false');
  if (id === 'cart') void showCart();
  if (id === 'wallet') void showWallet();
}

// ---- feedback: what just happened, seen, heard and felt ----

let audio = null;
/** A short beep: high for a hit, low for a miss. Browsers allow sound only after a tap. */
function beep(ok) {
  try {
    audio ??= new AudioContext();
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.frequency.value = ok ? 1760 : 330;
    gain.gain.setValueAtTime(0.15, audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + (ok ? 0.12 : 0.3));
    osc.connect(gain).connect(audio.destination);
    osc.start();
    osc.stop(audio.currentTime + 0.3);
  } catch {
    // no audio here: the text and the buzz still say it
  }
}

let toastTimer = null;
function feedback(ok, text) {
  beep(ok);
  navigator.vibrate?.(ok ? 40 : [90, 60, 90]);
  const el = $('toast');
  el.textContent = text;
  el.classList.toggle('bad', !ok);
  el.classList.remove('hidden');
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => el.classList.add('hidden'), 2500);
}

function li(text, action) {
  const el = document.createElement('li');
  el.textContent = text;
  if (action) el.append(' ', action);
  return el;
}

function button(text, onclick, cls = 'secondary') {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = cls;
  b.textContent = text;
  b.onclick = onclick;
  return b;
}

/** A coupon claimed into a signed-in member's wallet with one tap (none without a member). */
function claimButton(campaignId) {
  if (!member) return null;
  return button(t('claim'), async (e) => {
    const b = e.currentTarget;
    b.disabled = true;
    try {
      await call('POST', '/coupons/claim', { body: { campaignId }, headers: memberHeaders() });
      b.textContent = t('claimed');
    } catch (err) {
      b.textContent = err.message;
    }
  });
}

async function lookUp(code) {
  $('scan-error').textContent = '';
  if (code.startsWith('storeedge:guide:')) return creditGuide(code);
  try {
    product = await call('GET', `/products/${encodeURIComponent(code)}`, { headers: memberHeaders() });
  } catch (err) {
    $('product').classList.add('hidden');
    $('scan-welcome').classList.remove('hidden');
    $('scan-error').textContent = err.status === 404 ? t('notFound') : err.message;
    feedback(false, $('scan-error').textContent);
    return;
  }
  feedback(true, `${name(product.name)} ${yuan(product.priceFen)}`);
  $('scan-welcome').classList.add('hidden');
  $('p-name').textContent = name(product.name); // names carry their pack size
  $('p-price').textContent = yuan(product.priceFen);
  $('p-promos').replaceChildren(
    ...product.promotions.map((p) => li(`${name(p.name)} · ${t('memberPrice')} ${yuan(p.onePriceFen)}`)),
  );
  $('p-coupons').replaceChildren(...product.coupons.map((c) => li(name(c.name), claimButton(c.id))));
  $('p-related').replaceChildren(
    ...product.related.map((r) =>
      li(
        '',
        button(`${name(r.name)} ${yuan(r.priceFen)}`, () => lookUp(r.gtin), 'secondary'),
      ),
    ),
  );
  $('p-also').replaceChildren(
    ...product.alsoBought.map((r) =>
      li(
        '',
        button(`${name(r.name)} ${yuan(r.priceFen)}`, () => lookUp(r.gtin), 'secondary'),
      ),
    ),
  );
  $('p-also-section').classList.toggle('hidden', product.alsoBought.length === 0);
  $('product').classList.remove('hidden');
}

async function ensureCart() {
  if (cart && !cart.done) return;
  // a paid cart is finished: the next item starts a new one
  $('paid').classList.add('hidden');
  $('handoff').classList.add('hidden');
  showPayChoices(true);
  const c = await call('POST', '/carts', { body: { channel: 'phone' } });
  cart = { cartId: c.cartId, cartToken: c.cartToken, cartCode: c.cartCode };
  store.set('cart', cart);
  if (member)
    await call('POST', `/carts/${cart.cartId}/member`, {
      body: { code: member.code },
      headers: cartHeaders(),
    });
}

async function add(recommendationId = null) {
  await ensureCart();
  const { quote: q } = await call('POST', `/carts/${cart.cartId}/scans`, {
    // added from a guide's recommendation: the guide who helped is credited with the sale
    body: { code: product.gtin, qty: 1, ...(recommendationId ? { recommendationId } : {}) },
    headers: cartHeaders(),
  });
  const n = q.lines.reduce((k, l) => k + l.qty, 0);
  $('cart-count').textContent = `(${n})`;
  feedback(true, t('addedToCart', { n, total: yuan(q.totalFen) }));
}

async function showCart() {
  if (!cart) {
    $('cart-empty').classList.remove('hidden');
    cartLines = 0;
    showPayChoices(payChoices);
    return;
  }
  const q = await call('GET', `/carts/${cart.cartId}`, { headers: cartHeaders() });
  $('cart-empty').classList.toggle('hidden', q.lines.length > 0);
  cartLines = q.lines.length;
  showPayChoices(payChoices);
  $('cart-lines').replaceChildren(
    ...q.lines.map((l) => {
      const el = document.createElement('li');
      el.textContent = `${name(l.name)} × ${l.qty}`;
      const p = document.createElement('strong');
      p.textContent = yuan(l.finalFen);
      el.append(p);
      return el;
    }),
  );
  $('cart-coupons').replaceChildren(
    ...q.coupons.map((c) => li(`${t('coupon')}: ${name(c.name)} −${yuan(c.amountFen)}`)),
  );
  $('cart-total').textContent = yuan(q.totalFen);
  $('cart-saved').textContent = yuan(q.promoDiscountFen + q.couponDiscountFen);
  if (q.status === 'paid' && q.saleId) await paid(q.saleId);
  // back on the page while the wallet order is open (a reload, the wallet app returning)
  else if (q.payments.some((p) => p.kind === 'wallet' && p.status === 'pending') && payRun === 0) {
    showPayChoices(false);
    void settleOnPhone();
  }
}

async function paid(saleId) {
  clearInterval(watch);
  const r = await call('GET', `/sales/${saleId}/receipt`, { headers: cartHeaders() });
  $('paid-receipt').textContent = r.receipt.receiptNo;
  const pass = await call('GET', `/sales/${saleId}/exit-pass`, { headers: cartHeaders() });
  $('exit-qr').src = qrDataUrl(pass.payload);
  $('exit-qr').alt = `${t('exitPass')} ${pass.receiptNo}`;
  $('exit-qr').dataset.payload = pass.payload;
  $('paid').classList.remove('hidden');
  $('paid').scrollIntoView({ block: 'start' });
  // the pass is shown at the door: keep the screen on while it is up, where the browser can
  navigator.wakeLock?.request('screen').catch(() => undefined);
  $('handoff').classList.add('hidden');
  $('paying').classList.add('hidden');
  showPayChoices(false);
  store.set('cart', null);
  cart = { ...cart, done: true };
}

async function showWallet() {
  if (!member) return;
  const consent = await call('GET', '/members/me/guide-consent', { headers: memberHeaders() }).catch(
    () => null,
  );
  $('w-consent').checked = Boolean(consent?.consent);
  const w = await call('GET', '/wallet', { headers: memberHeaders() });
  $('w-points').textContent = w.points;
  $('w-coupons').replaceChildren(
    ...w.coupons.map((c) => li(`${name(c.name)} · ${t(c.status === 'redeemed' ? 'redeemed' : 'available')}`)),
  );
}

$('member-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const code = $('member-code').value.trim();
  try {
    const s = await call('POST', '/members/sessions', { body: { code } });
    member = { code, token: s.token };
    store.set('member', member);
    $('member-code').value = '';
    showMember();
    if (cart) await call('POST', `/carts/${cart.cartId}/member`, { body: { code }, headers: cartHeaders() });
    await claimOffer();
  } catch (err) {
    $('scan-error').textContent = err.message;
  }
});
// ---- camera scanning ----

/** The scan in progress: how to end it. */
let stopScan = null;

async function startScan() {
  $('scan-error').textContent = '';
  const stop = await scanWithCamera($('camera'), (text) => {
    stopScan = null;
    $('scan-stop').classList.add('hidden');
    $('code').value = text;
    void lookUp(text);
  });
  if (!stop) {
    $('scan-error').textContent = t('noCamera');
    return;
  }
  $('scan-stop').classList.remove('hidden');
  stopScan = () => {
    stop();
    $('scan-stop').classList.add('hidden');
    stopScan = null;
  };
}

$('scan-start').onclick = () => void startScan();
$('scan-stop').onclick = () => stopScan?.();

$('code-form').addEventListener('submit', (e) => {
  e.preventDefault();
  void lookUp($('code').value.trim());
});
$('p-add').onclick = () =>
  add().catch((err) => {
    $('scan-error').textContent = err.message;
    feedback(false, err.message);
  });
let payChoices = true;
function showPayChoices(on) {
  payChoices = on;
  $('pay-choices').classList.toggle('hidden', !on || !cartLines);
}
/** lines in the cart as last shown: an empty cart has nothing to pay */
let cartLines = 0;

// ---- paying on the phone: the store makes the wallet order, the wallet pays it ----

/** The wallet app pays: WeChat's bridge inside its browser; in the demo, a simulated wallet. */
function walletPay(order) {
  if (window.WeixinJSBridge)
    return new Promise((resolve) =>
      window.WeixinJSBridge.invoke('getBrandWCPayRequest', order.payParams, (res) =>
        resolve(
          res.err_msg === 'get_brand_wcpay_request:ok'
            ? 'ok'
            : res.err_msg === 'get_brand_wcpay_request:cancel'
              ? 'cancel'
              : 'fail',
        ),
      ),
    );
  if (!order.simulatedWallet) return Promise.resolve('fail');
  return new Promise((resolve) => {
    const sheet = $('wallet-sheet');
    $('wallet-merchant').textContent = storeName ?? document.title;
    $('wallet-amount').textContent = yuan(order.amountFen);
    $('wallet-error').textContent = '';
    sheet.classList.remove('hidden');
    $('wallet-confirm').focus();
    const done = (outcome) => {
      sheet.classList.add('hidden');
      resolve(outcome);
    };
    $('wallet-cancel').onclick = () => done('cancel');
    $('wallet-confirm').onclick = async () => {
      $('wallet-confirm').disabled = true;
      try {
        const r = await call('POST', '/demo/wallet/pay', { body: order.payParams });
        if (r.result === 'paid') done('ok');
        else $('wallet-error').textContent = r.reason ?? 'refused';
      } catch (err) {
        $('wallet-error').textContent = err.message;
      } finally {
        $('wallet-confirm').disabled = false;
      }
    };
  });
}

/** the store's name, shown as the payee in the wallet */
let storeName = null;
shopperLink()
  .then((s) => {
    storeName = s.name;
  })
  .catch(() => undefined);

/** bumped to end a wait for the payment (cancel, another try) */
let payRun = 0;

/** Asks the store how the payment went until it knows; the store asks the gateway. */
async function settleOnPhone() {
  const run = ++payRun;
  $('paying').classList.remove('hidden');
  const until = Date.now() + 120_000;
  while (Date.now() < until && !cart.done && run === payRun) {
    const r = await call('GET', `/carts/${cart.cartId}/payments/wallet`, { headers: cartHeaders() }).catch(
      () => null,
    );
    if (r?.status === 'approved' && r.saleId) return paid(r.saleId);
    if (r?.status === 'declined') return notPaid();
    await new Promise((res) => setTimeout(res, 1000));
  }
}

/** The order is closed at the store's gateway and the cart opens again for shopping. */
async function notPaid(message = t('payNotDone')) {
  payRun++;
  const r = await call('POST', `/carts/${cart.cartId}/payments/wallet/cancel`, {
    body: {},
    headers: cartHeaders(),
  }).catch((err) => {
    $('pay-error').textContent = err.message;
    return null;
  });
  if (r?.status === 'approved' && r.saleId) return paid(r.saleId);
  $('paying').classList.add('hidden');
  if (r) $('pay-error').textContent = message;
  showPayChoices(true);
}

$('pay-phone').onclick = async () => {
  if (!cart || cart.done) return;
  $('pay-error').textContent = '';
  $('handoff').classList.add('hidden');
  clearInterval(watch);
  let order;
  try {
    order = await call('POST', `/carts/${cart.cartId}/payments/wallet`, { body: {}, headers: cartHeaders() });
  } catch (err) {
    $('pay-error').textContent = err.message;
    // the store cannot reach the wallet gateway: the kiosk takes the cart instead
    if (err.code === 'WALLET_UNAVAILABLE') {
      await notPaid(t('walletUnavailable'));
      $('pay-kiosk').click();
    }
    return;
  }
  showPayChoices(false);
  const outcome = await walletPay(order);
  if (outcome === 'cancel') return notPaid();
  await settleOnPhone();
};
$('pay-cancel').onclick = () => void notPaid();

$('pay-kiosk').onclick = () => {
  if (!cart || cart.done) return;
  $('cart-code').textContent = cart.cartCode;
  // the kiosk's scanner reads the QR code; the six characters are for typing at its screen
  // the page's own HTTPS address: a link any phone opens, and the kiosk's scanner reads the code
  $('cart-qr').src = qrDataUrl(`${location.origin}/ui/shopper/#cart=${cart.cartCode}`);
  $('cart-qr').alt = `${t('phoneCart')} ${cart.cartCode}`;
  $('handoff').classList.remove('hidden');
  clearInterval(watch);
  // the kiosk takes the cart over and is paid there; the phone follows the cart's state
  watch = setInterval(() => void showCart().catch(() => undefined), 1500);
};
for (const b of document.querySelectorAll('[data-tab]')) b.onclick = () => tab(b.dataset.tab);
$('lang').onclick = () => {
  toggleLocale();
  translate();
  if (product) void lookUp(product.gtin);
};

function showMember() {
  $('member-form').classList.toggle('hidden', Boolean(member));
  $('member-state').classList.toggle('hidden', !member);
}

// ---- a post-purchase offer from a kiosk's result screen (paid without a member) ----

let offerTicket = location.hash.startsWith('#offer=') ? location.hash.slice('#offer='.length) : null;

async function claimOffer() {
  if (!offerTicket) return;
  if (!member) {
    $('scan-error').textContent = t('offerSignIn');
    return;
  }
  try {
    const c = await call('POST', '/offers/claim', {
      body: { ticket: offerTicket },
      headers: memberHeaders(),
    });
    $('offer-claimed').textContent = `${t('claimed')}: ${name(c.name)}`;
    offerTicket = null;
    history.replaceState(null, '', location.pathname);
    tab('wallet');
  } catch (err) {
    $('scan-error').textContent = err.message;
  }
}

// ---- calling a guide: why, where (a zone, or the product in hand), then who is coming ----

let guideCall = store.get('guideCall'); // { id, token }
let guideTimer = null;

async function openGuideSheet() {
  $('gs-error').textContent = '';
  const { zones } = await call('GET', '/guides/zones').catch(() => ({ zones: [] }));
  $('gs-zone').replaceChildren(
    new Option(product ? t('whereProduct') : t('whereUnsure'), ''),
    ...zones.map(
      (z) => new Option(`${z.zoneId}${z.categories.length ? ` (${z.categories.join(', ')})` : ''}`, z.zoneId),
    ),
  );
  $('gs-product-row').classList.toggle('hidden', !product);
  if (product) $('gs-product-text').textContent = t('withProduct', { name: name(product.name) });
  $('guide-sheet').classList.remove('hidden');
  $('gs-send').focus();
}

async function sendGuideCall() {
  const reason = document.querySelector('input[name="gs-reason"]:checked')?.value ?? 'find';
  const zoneId = $('gs-zone').value;
  try {
    const r = await call('POST', '/guide-calls', {
      body: {
        reason,
        ...(zoneId ? { zoneId } : {}),
        ...(product && $('gs-product').checked ? { code: product.gtin } : {}),
      },
      headers: memberHeaders(),
    });
    guideCall = { id: r.call.id, token: r.token };
    store.set('guideCall', guideCall);
    $('guide-sheet').classList.add('hidden');
    feedback(true, t('calling'));
    showGuideCall(r.call);
    followGuideCall();
  } catch (err) {
    $('gs-error').textContent = err.message;
  }
}

function showGuideCall(c) {
  const on = c && (c.status === 'open' || c.status === 'accepted' || c.recommendations.length > 0);
  $('guide-call').classList.toggle('hidden', !on);
  if (!c) {
    $('call-guide').classList.remove('hidden');
    return;
  }
  $('gc-state').textContent =
    c.status === 'open'
      ? t('calling')
      : c.status === 'accepted'
        ? t('guideComing', { name: c.guide?.name ?? '' })
        : c.status === 'done'
          ? t('guideDone')
          : t('callCancelled');
  const active = c.status === 'open' || c.status === 'accepted';
  $('gc-cancel').classList.toggle('hidden', !active);
  // one call at a time: a second would only queue the same shopper twice
  $('call-guide').classList.toggle('hidden', active);
  $('gc-recs').replaceChildren(
    ...c.recommendations.map((r) =>
      r.kind === 'product'
        ? li(
            `${t('guideSuggests')}: ${name(r.name)} ${yuan(r.priceFen)}`,
            button(t('addToCart'), () => addRecommended(r), 'secondary'),
          )
        : li(`${t('coupon')}: ${name(r.name)}`, claimButton(r.campaignId)),
    ),
  );
}

/** A recommended product into the cart, looked up first so the page shows what it is. */
async function addRecommended(r) {
  await lookUp(r.gtin);
  await add(r.id);
}

/** A guide's code read by the phone: this cart's sale goes to the guide who helped. */
async function creditGuide(code) {
  try {
    await ensureCart();
    const r = await call('POST', `/carts/${cart.cartId}/guide`, { body: { code }, headers: cartHeaders() });
    feedback(true, t('guideCredited', { name: r.guide.name }));
  } catch (err) {
    feedback(false, err.message);
  }
}

function followGuideCall() {
  clearInterval(guideTimer);
  if (!guideCall) return;
  const poll = async () => {
    try {
      const c = await call('GET', `/guide-calls/${guideCall.id}`, {
        headers: { 'x-call-token': guideCall.token },
      });
      // a call ended hours ago is history: its panel goes
      if (c.endedAt !== null && Date.now() - c.endedAt > 2 * 3_600_000) {
        clearInterval(guideTimer);
        store.set('guideCall', null);
        showGuideCall(null);
        return;
      }
      showGuideCall(c);
      if (c.status === 'done' || c.status === 'cancelled') {
        clearInterval(guideTimer);
        if (c.status === 'cancelled' || c.recommendations.length === 0) store.set('guideCall', null);
      }
    } catch {
      // a call the store no longer knows: forget it
      clearInterval(guideTimer);
      store.set('guideCall', null);
    }
  };
  void poll();
  guideTimer = setInterval(poll, 2000);
}

$('call-guide').onclick = () => void openGuideSheet();
$('gs-close').onclick = () => $('guide-sheet').classList.add('hidden');
$('gs-send').onclick = () => void sendGuideCall();
$('gc-cancel').onclick = async () => {
  if (!guideCall) return;
  const c = await call('POST', `/guide-calls/${guideCall.id}/cancel`, {
    body: {},
    headers: { 'x-call-token': guideCall.token },
  }).catch(() => null);
  if (c) showGuideCall(c);
};
$('w-consent').onchange = async () => {
  await call('PUT', '/members/me/guide-consent', {
    body: { consent: $('w-consent').checked },
    headers: memberHeaders(),
  }).catch((err) => feedback(false, err.message));
};

translate();
showMember();
tab('scan');
followGuideCall();
void claimOffer();
