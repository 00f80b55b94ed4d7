// The entrance poster: a QR code of the shopper page at the store's HTTPS address (by
// its hostname, so the phone's camera opens in a secure context).
import { call } from '../shared/api.js';
import { t, toggleLocale, translate } from '../shared/i18n.js';
import qrcode from '../vendor/qrcode/qrcode.mjs';

const $ = (id) => document.getElementById(id);

async function draw() {
  try {
    const s = await call('GET', '/store');
    if (!s.publicUrl) return;
    const url = `${s.publicUrl}/ui/shopper/`;
    const qr = qrcode(0, 'M');
    qr.addData(url);
    qr.make();
    $('store-name').textContent = s.name;
    $('entrance-qr').src = qr.createDataURL(8, 4);
    $('entrance-qr').alt = `${t('scanToShop')}: ${url}`;
    $('entrance-url').textContent = url;
  } catch (err) {
    $('entrance-error').textContent = err.message;
  }
}

$('lang').onclick = () => {
  toggleLocale();
  translate();
};
translate();
void draw();
