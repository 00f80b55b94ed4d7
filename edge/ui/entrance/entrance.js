// The entrance poster: a QR code of the shopper page at the store's HTTPS address (by
// its hostname, so the phone's camera opens in a secure context).
import { t, toggleLocale, translate } from '../shared/i18n.js';
import { qrDataUrl, shopperLink } from '../shared/qr.js';

const $ = (id) => document.getElementById(id);

async function draw() {
  try {
    const { name, url } = await shopperLink();
    if (!url) return;
    $('store-name').textContent = name;
    $('entrance-qr').src = qrDataUrl(url, 8, 4);
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
