// The e-receipt a phone opens from the printed receipt's QR code. The signed link's token
// is after '#': it is read here and sent to the store's API, never as part of the page's
// address, so the store's and any proxy's access logs do not hold it.
import { ApiError, call } from '../shared/api.js';
import { locale, localName, t, toggleLocale, translate, yuan } from '../shared/i18n.js';

const $ = (id) => document.getElementById(id);
let receipt = null;

function cell(text, cls) {
  const td = document.createElement('td');
  td.textContent = text;
  if (cls) td.className = cls;
  return td;
}

function row(...cells) {
  const tr = document.createElement('tr');
  tr.append(...cells);
  return tr;
}

function show(r) {
  $('store-name').textContent = r.storeName;
  $('receipt-no').textContent = r.receiptNo;
  const when = new Date(r.at);
  $('at').dateTime = when.toISOString();
  $('at').textContent = when.toLocaleString(locale(), { timeZone: r.timeZone });
  const state = $('refund-state');
  state.className = r.refundState;
  state.dataset.state = r.refundState;
  state.textContent =
    r.refundState === 'none'
      ? t('eReceiptRefundNone')
      : t(r.refundState === 'full' ? 'eReceiptRefundFull' : 'eReceiptRefundPartial', {
          amount: yuan(r.refundedFen),
        });
  $('lines').replaceChildren(
    ...r.lines.flatMap((l) => {
      const qty = l.weightG !== null ? `${(l.weightG / 1000).toFixed(3)} kg` : `× ${l.qty}`;
      const rows = [row(cell(`${localName(l.name)} ${qty}`), cell(yuan(l.finalFen), 'amount'))];
      for (const d of l.discounts)
        rows.push(
          row(cell(localName(d.label), 'discount'), cell(`−${yuan(d.amountFen)}`, 'amount discount')),
        );
      if (l.refundedQty > 0)
        rows.push(row(cell(t('eReceiptRefundedQty', { qty: l.refundedQty }), 'refunded'), cell('')));
      return rows;
    }),
  );
  const sums = [row(cell(t('eReceiptGross')), cell(yuan(r.grossFen), 'amount'))];
  if (r.promoDiscountFen)
    sums.push(row(cell(t('eReceiptPromo')), cell(`−${yuan(r.promoDiscountFen)}`, 'amount')));
  if (r.couponDiscountFen)
    sums.push(row(cell(t('eReceiptCoupon')), cell(`−${yuan(r.couponDiscountFen)}`, 'amount')));
  const total = row(cell(t('eReceiptPaid')), cell(yuan(r.totalFen), 'amount'));
  total.className = 'total';
  sums.push(total, row(cell(t('eReceiptTax')), cell(yuan(r.taxFen), 'amount')));
  for (const p of r.payments) sums.push(row(cell(t(`pay_${p.kind}`)), cell(yuan(p.amountFen), 'amount')));
  if (r.changeFen) sums.push(row(cell(t('change')), cell(yuan(r.changeFen), 'amount')));
  $('sums').replaceChildren(...sums);
  $('points').textContent = r.pointsEarned ? t('eReceiptPointsEarned', { points: r.pointsEarned }) : '';
  $('expires').textContent = t('eReceiptExpires', {
    date: new Date(r.expiresAt).toLocaleDateString(locale(), { timeZone: r.timeZone }),
  });
  $('receipt').classList.remove('hidden');
}

async function load() {
  translate();
  $('status').textContent = t('eReceiptLoading');
  const token = location.hash.slice(1);
  try {
    if (!/^[0-9a-f-]{36}\.\d{1,12}\.[A-Za-z0-9_-]{43}$/.test(token)) throw new ApiError(404, null);
    receipt = await call('GET', `/e-receipts/${token}`);
    $('error').textContent = '';
    show(receipt);
  } catch (e) {
    receipt = null;
    $('receipt').classList.add('hidden');
    $('error').textContent = t(
      e instanceof ApiError && e.status === 410 ? 'eReceiptExpired' : 'eReceiptNotFound',
    );
  }
  $('status').textContent = '';
}

$('lang').addEventListener('click', () => {
  toggleLocale();
  translate();
  if (receipt) show(receipt);
});
$('print').addEventListener('click', () => window.print());
// another receipt's link opened in the same tab changes only what follows '#'
window.addEventListener('hashchange', () => void load());
void load();
