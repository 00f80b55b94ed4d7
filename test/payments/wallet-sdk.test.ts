// The wallet's API v3 checked against an implementation nobody here wrote: the npm package
// wechatpay-axios-plugin (an MIT-licensed WeChat Pay API v3 SDK). Our gateway client and our
// simulator were written side by side, so a shared misreading of the spec would pass every
// other test; here each of ours meets the SDK's half instead of its sibling.
// The public spec each check follows (WeChat Pay API v3, pay.weixin.qq.com):
// - request signature: "METHOD\nURL\ntimestamp\nnonce\nbody\n", RSA-SHA256 (SHA256 with RSA),
//   base64, in "Authorization: WECHATPAY2-SHA256-RSA2048 mchid=…,nonce_str=…,signature=…,
//   timestamp=…,serial_no=…" whose fields may come in any order
//   (wiki/doc/apiv3/wechatpay/wechatpay4_0.shtml);
// - answer and notification signature: "timestamp\nnonce\nbody\n" with the platform key
//   named by Wechatpay-Serial (wechatpay4_1.shtml);
// - notification resource: AEAD_AES_256_GCM under the 32-byte API v3 key, 12-byte nonce,
//   associated_data as AAD, the 16-byte tag at the end of the base64 ciphertext
//   (wechatpay4_2.shtml);
// - JSAPI paySign: "appId\ntimeStamp\nnonceStr\npackage\n", RSA-SHA256 with the merchant key
//   (apis/chapter3_1_4.shtml).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Aes, Formatter, Rsa, Wechatpay } from 'wechatpay-axios-plugin';
import { PaymentLinkError } from '../../device-drivers/payment/provider.js';
import { NotificationRefused, WalletGateway } from '../../device-drivers/payment/wallet/gateway.js';
import { type KeyPair, newRsaKeyPair } from '../../device-drivers/payment/wallet/signing.js';
import { WalletGatewaySimulator } from '../../device-drivers/payment/wallet/simulator.js';

const APP_ID = 'wxsdkcheck0000001';
const MCH_ID = '1900009191';
const API_V3_KEY = 'sdk-cross-check-key-0123456789ab';
const MERCHANT_SERIAL = '5157F09EFDC096DE15EBE81A47057A7232F1B8E1';
const PLATFORM_SERIAL = 'PUB_KEY_ID_0119000091912026120700000001';

const pem = (k: KeyPair, half: 'private' | 'public') =>
  half === 'private'
    ? (k.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string)
    : (k.publicKey.export({ type: 'spki', format: 'pem' }) as string);

const merchant = newRsaKeyPair();
const platform = newRsaKeyPair();

/** Our gateway client, configured as the store configures it. */
const ourClient = (baseUrl: string, platformKey = platform.publicKey) =>
  new WalletGateway({
    id: 'wallet',
    baseUrl,
    appId: APP_ID,
    merchantId: MCH_ID,
    merchantSerial: MERCHANT_SERIAL,
    merchantKey: merchant.privateKey,
    platformKey,
    apiV3Key: API_V3_KEY,
    requestTimeoutMs: 5000,
  });

/** The SDK's API v3 client (its chain is a Proxy the package types loosely). */
// biome-ignore lint/suspicious/noExplicitAny: see above
const sdkClient = (privateKey: string, platformSerial: string, platformPem: string, baseURL: string): any =>
  new Wechatpay({
    mchid: MCH_ID,
    serial: MERCHANT_SERIAL,
    privateKey,
    certs: { [platformSerial]: platformPem },
    baseURL,
  });

const closeServer = (s: Server) =>
  new Promise<void>((r) => {
    s.closeAllConnections();
    s.close(() => r());
  });

describe('the SDK as the merchant, against our gateway simulator', () => {
  let sim: WalletGatewaySimulator;
  // biome-ignore lint/suspicious/noExplicitAny: the SDK's chain is a Proxy typed loosely
  let wxpay: any;

  beforeAll(async () => {
    sim = new WalletGatewaySimulator({
      appId: APP_ID,
      merchantId: MCH_ID,
      merchantPublicKey: merchant.publicKey,
      platform,
      apiV3Key: API_V3_KEY,
      refundPolls: 1,
    });
    const baseURL = await sim.listen();
    wxpay = sdkClient(pem(merchant, 'private'), sim.platformSerial, pem(platform, 'public'), baseURL);
  });
  afterAll(() => sim.close());

  it('takes the SDK-signed order, query, close and refund; the SDK verifies every answer', async () => {
    const order = await wxpay.v3.pay.transactions.jsapi.post({
      appid: APP_ID,
      mchid: MCH_ID,
      description: 'storeedge cross-check',
      out_trade_no: 'SDK-ORDER-0001',
      time_expire: new Date(Date.now() + 600_000).toISOString(),
      notify_url: 'http://127.0.0.1:9/notify',
      amount: { total: 1234, currency: 'CNY' },
      payer: { openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' },
    });
    expect(order.status).toBe(200);
    expect(order.data.prepay_id).toMatch(/^wx/);

    // GET with a query string: the signed URL is the path and the query
    const query = await wxpay['v3/pay/transactions/out-trade-no/{out_trade_no}'].get({
      out_trade_no: 'SDK-ORDER-0001',
      params: { mchid: MCH_ID },
    });
    expect(query.data).toMatchObject({ out_trade_no: 'SDK-ORDER-0001', trade_state: 'NOTPAY' });

    // the JSAPI paySign made by the SDK's own primitives is one our wallet app accepts
    const timeStamp = String(Formatter.timestamp());
    const nonceStr = Formatter.nonce();
    const pkg = `prepay_id=${order.data.prepay_id}`;
    const paySign = Rsa.sign(
      Formatter.joinedByLineFeed(APP_ID, timeStamp, nonceStr, pkg),
      Rsa.from(pem(merchant, 'private'), Rsa.KEY_TYPE_PRIVATE),
    );
    expect(sim.pay({ appId: APP_ID, timeStamp, nonceStr, package: pkg, signType: 'RSA', paySign })).toEqual({
      result: 'paid',
    });

    const refund = await wxpay.v3.refund.domestic.refunds.post({
      out_trade_no: 'SDK-ORDER-0001',
      out_refund_no: 'SDK-REFUND-0001',
      reason: 'cross-check',
      amount: { refund: 1234, total: 1234, currency: 'CNY' },
    });
    expect(refund.data).toMatchObject({ status: 'PROCESSING', out_refund_no: 'SDK-REFUND-0001' });
    const refunded = await wxpay['v3/refund/domestic/refunds/{out_refund_no}'].get({
      out_refund_no: 'SDK-REFUND-0001',
    });
    expect(refunded.data.status).toBe('SUCCESS');

    // close: an answer of 204 with an empty body, still signed and verified
    await wxpay.v3.pay.transactions.jsapi.post({
      appid: APP_ID,
      mchid: MCH_ID,
      description: 'to be closed',
      out_trade_no: 'SDK-ORDER-0002',
      time_expire: new Date(Date.now() + 600_000).toISOString(),
      notify_url: 'http://127.0.0.1:9/notify',
      amount: { total: 500, currency: 'CNY' },
    });
    const closed = await wxpay['v3/pay/transactions/out-trade-no/{out_trade_no}/close'].post(
      { mchid: MCH_ID },
      { out_trade_no: 'SDK-ORDER-0002' },
    );
    expect(closed.status).toBe(204);
    expect(sim.orderState('SDK-ORDER-0002')).toBe('CLOSED');
    expect(sim.rejectedSignatures).toBe(0);
  });

  it('refuses requests the SDK signs with another merchant key; the SDK refuses answers under a platform key it does not trust', async () => {
    const stranger = newRsaKeyPair();
    const impostor = sdkClient(
      pem(stranger, 'private'),
      sim.platformSerial,
      pem(platform, 'public'),
      `http://127.0.0.1:${sim.port}/`,
    );
    const before = sim.rejectedSignatures;
    const err = await impostor.v3.pay.transactions.jsapi
      .post({ appid: APP_ID, mchid: MCH_ID, out_trade_no: 'SDK-ORDER-0003', amount: { total: 1 } })
      .catch((e: unknown) => e);
    expect((err as { response?: { status?: number } }).response?.status).toBe(401);
    expect(sim.rejectedSignatures).toBe(before + 1);
    expect(sim.orderState('SDK-ORDER-0003')).toBeNull();

    // the SDK trusting another platform key refuses the simulator's (genuine) answers
    const misled = sdkClient(
      pem(merchant, 'private'),
      sim.platformSerial,
      pem(newRsaKeyPair(), 'public'),
      `http://127.0.0.1:${sim.port}/`,
    );
    const refused = await misled['v3/pay/transactions/out-trade-no/{out_trade_no}']
      .get({ out_trade_no: 'SDK-ORDER-0001', params: { mchid: MCH_ID } })
      .catch((e: unknown) => e);
    expect(String((refused as { code?: string }).code)).toBe('EV3_RES_HEADER_SIGNATURE_DIGEST');
  });

  it('sends notifications the SDK verifies and decrypts', async () => {
    const got: { headers: Record<string, string>; body: string }[] = [];
    const merchantServer = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        got.push({ headers: req.headers as Record<string, string>, body: Buffer.concat(chunks).toString() });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => merchantServer.listen(0, '127.0.0.1', r));
    const notifyUrl = `http://127.0.0.1:${(merchantServer.address() as AddressInfo).port}/notify`;
    try {
      const order = await wxpay.v3.pay.transactions.jsapi.post({
        appid: APP_ID,
        mchid: MCH_ID,
        description: 'notified',
        out_trade_no: 'SDK-ORDER-0004',
        time_expire: new Date(Date.now() + 600_000).toISOString(),
        notify_url: notifyUrl,
        amount: { total: 888, currency: 'CNY' },
      });
      const pay = ourClient('http://127.0.0.1:9/').payParams(order.data.prepay_id);
      expect(sim.pay(pay).result).toBe('paid');
      const deadline = Date.now() + 5000;
      while (got.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(got).toHaveLength(1);
      const { headers, body } = got[0]!;
      expect(headers['wechatpay-serial']).toBe(sim.platformSerial);
      expect(
        Rsa.verify(
          Formatter.response(headers['wechatpay-timestamp']!, headers['wechatpay-nonce']!, body),
          headers['wechatpay-signature']!,
          Rsa.from(pem(platform, 'public'), Rsa.KEY_TYPE_PUBLIC),
        ),
      ).toBe(true);
      const n = JSON.parse(body) as {
        resource: { ciphertext: string; nonce: string; associated_data: string; algorithm: string };
      };
      expect(n.resource.algorithm).toBe('AEAD_AES_256_GCM');
      const plain = JSON.parse(
        Aes.AesGcm.decrypt(n.resource.ciphertext, API_V3_KEY, n.resource.nonce, n.resource.associated_data),
      );
      expect(plain).toMatchObject({
        mchid: MCH_ID,
        appid: APP_ID,
        out_trade_no: 'SDK-ORDER-0004',
        trade_state: 'SUCCESS',
        amount: { total: 888 },
      });
    } finally {
      await closeServer(merchantServer);
    }
  });
});

/** A gateway made of the SDK's primitives only: it verifies requests with the SDK's
 * formatter and RSA, and signs its answers the same way. */
function sdkGateway(answer: (method: string, url: string, body: string) => [number, unknown]) {
  const merchantPub = Rsa.from(pem(merchant, 'public'), Rsa.KEY_TYPE_PUBLIC);
  const platformKey = Rsa.from(pem(platform, 'private'), Rsa.KEY_TYPE_PRIVATE);
  const seen: { authorization: string; verified: boolean }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      const authorization = req.headers.authorization ?? '';
      const fields = Object.fromEntries(
        [...authorization.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]),
      ) as Record<string, string>;
      const verified =
        authorization.startsWith('WECHATPAY2-SHA256-RSA2048 ') &&
        fields.mchid === MCH_ID &&
        fields.serial_no === MERCHANT_SERIAL &&
        Rsa.verify(
          Formatter.request(
            req.method ?? '',
            req.url ?? '',
            fields.timestamp ?? '',
            fields.nonce_str ?? '',
            body,
          ),
          fields.signature ?? '',
          merchantPub,
        );
      seen.push({ authorization, verified });
      const [status, payload] = verified
        ? answer(req.method ?? '', req.url ?? '', body)
        : [401, { code: 'SIGN_ERROR', message: 'signature invalid' }];
      const text = payload === null ? '' : JSON.stringify(payload);
      const ts = String(Formatter.timestamp());
      const nonceStr = Formatter.nonce();
      res.writeHead(status, {
        ...(text ? { 'content-type': 'application/json' } : {}),
        'wechatpay-timestamp': ts,
        'wechatpay-nonce': nonceStr,
        'wechatpay-serial': PLATFORM_SERIAL,
        'wechatpay-signature': Rsa.sign(Formatter.response(ts, nonceStr, text), platformKey),
      });
      res.end(text);
    });
  });
  return {
    seen,
    server,
    async listen(): Promise<string> {
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    },
  };
}

describe('our gateway client, against a gateway made of the SDK', () => {
  const orders = new Map<string, Record<string, unknown>>();
  const gw = sdkGateway((method, url, body) => {
    if (method === 'POST' && url === '/v3/pay/transactions/jsapi') {
      const o = JSON.parse(body) as Record<string, unknown>;
      orders.set(String(o.out_trade_no), o);
      return [200, { prepay_id: `wx${Formatter.nonce(30)}` }];
    }
    const q = /^\/v3\/pay\/transactions\/out-trade-no\/([^/?]+)\?mchid=(\d+)$/.exec(url);
    if (method === 'GET' && q) {
      const o = orders.get(decodeURIComponent(q[1]!));
      if (!o) return [404, { code: 'ORDER_NOT_EXIST', message: '订单不存在' }];
      return [
        200,
        {
          appid: o.appid,
          mchid: q[2],
          out_trade_no: o.out_trade_no,
          transaction_id: '4200000985202612078327162537',
          trade_state: 'SUCCESS',
          trade_type: 'JSAPI',
          amount: o.amount,
          success_time: '2026-12-07T10:00:00+08:00',
        },
      ];
    }
    if (method === 'POST' && /\/close$/.test(url)) return [204, null];
    return [404, { code: 'NOT_FOUND', message: url }];
  });
  let baseUrl = '';
  beforeAll(async () => {
    baseUrl = await gw.listen();
  });
  afterAll(() => closeServer(gw.server));

  it('signs requests the SDK verifies, and verifies the answers the SDK signs', async () => {
    const ours = ourClient(baseUrl);
    const prepay = await ours.createOrder({
      reference: 'SE-CROSS-0001',
      amountFen: 2599,
      currency: 'CNY',
      description: 'cross-check',
      expiresAt: Date.now() + 600_000,
      notifyUrl: 'https://store.example/notify',
    });
    expect(prepay).toMatch(/^wx/);
    expect(orders.get('SE-CROSS-0001')).toMatchObject({
      appid: APP_ID,
      mchid: MCH_ID,
      amount: { total: 2599, currency: 'CNY' },
    });
    // the spec's time_expire is RFC 3339; the SDK's side parses it as a date
    expect(Number.isFinite(Date.parse(String(orders.get('SE-CROSS-0001')!.time_expire)))).toBe(true);
    expect(await ours.status('SE-CROSS-0001')).toEqual({
      result: 'approved',
      providerRef: '4200000985202612078327162537',
      amountFen: 2599,
    });
    expect(await ours.status('SE-CROSS-NONE')).toEqual({ result: 'not_found' });
    expect(await ours.closeOrder('SE-CROSS-0001')).toBe('closed');
    expect(gw.seen.length).toBe(4);
    expect(gw.seen.every((s) => s.verified)).toBe(true);
  });

  it("treats an answer signed with a key that is not the platform's as no answer", async () => {
    const fooled = ourClient(baseUrl, newRsaKeyPair().publicKey);
    const err = await fooled.status('SE-CROSS-0001').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PaymentLinkError);
    expect(String((err as Error).message)).toMatch(/answer signature invalid/);
  });

  it("the page's paySign verifies with the SDK", () => {
    const p = ourClient(baseUrl).payParams('wx07101010101010101010101010101010');
    expect(p.package).toBe('prepay_id=wx07101010101010101010101010101010');
    expect(p.signType).toBe('RSA');
    expect(
      Rsa.verify(
        Formatter.joinedByLineFeed(p.appId, p.timeStamp, p.nonceStr, p.package),
        p.paySign,
        Rsa.from(pem(merchant, 'public'), Rsa.KEY_TYPE_PUBLIC),
      ),
    ).toBe(true);
  });
});

describe('a notification the SDK signs and encrypts', () => {
  const platformKey = () =>
    Rsa.from(pem(platform, 'private'), Rsa.KEY_TYPE_PRIVATE) as Parameters<typeof Rsa.sign>[1];

  function sdkNotification(
    transaction: Record<string, unknown>,
    o: { key?: string; signer?: ReturnType<typeof platformKey> } = {},
  ) {
    const iv = Formatter.nonce(12);
    const body = JSON.stringify({
      id: 'EV-2018022511223320873',
      create_time: '2026-12-07T10:00:00+08:00',
      resource_type: 'encrypt-resource',
      event_type: 'TRANSACTION.SUCCESS',
      summary: '支付成功',
      resource: {
        original_type: 'transaction',
        algorithm: 'AEAD_AES_256_GCM',
        ciphertext: Aes.AesGcm.encrypt(JSON.stringify(transaction), o.key ?? API_V3_KEY, iv, 'transaction'),
        associated_data: 'transaction',
        nonce: iv,
      },
    });
    const ts = String(Formatter.timestamp());
    const nonceStr = Formatter.nonce();
    return {
      body,
      headers: {
        'wechatpay-timestamp': ts,
        'wechatpay-nonce': nonceStr,
        'wechatpay-serial': PLATFORM_SERIAL,
        'wechatpay-signature': Rsa.sign(Formatter.response(ts, nonceStr, body), o.signer ?? platformKey()),
      },
    };
  }

  const paid = {
    appid: APP_ID,
    mchid: MCH_ID,
    out_trade_no: 'SE-CROSS-0002',
    transaction_id: '4200000985202612078327160001',
    trade_type: 'JSAPI',
    trade_state: 'SUCCESS',
    bank_type: 'OTHERS',
    payer: { openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' },
    amount: { total: 1500, payer_total: 1500, currency: 'CNY', payer_currency: 'CNY' },
    success_time: '2026-12-07T10:00:00+08:00',
  };

  it('is opened by our client: signature, freshness and AEAD_AES_256_GCM', () => {
    const n = sdkNotification(paid);
    expect(ourClient('http://127.0.0.1:9/').openNotification(n.headers, n.body)).toMatchObject({
      out_trade_no: 'SE-CROSS-0002',
      transaction_id: '4200000985202612078327160001',
      trade_state: 'SUCCESS',
      amount: { total: 1500 },
    });
  });

  it('is refused when signed by another key, encrypted with another API v3 key, or tampered', () => {
    const ours = ourClient('http://127.0.0.1:9/');
    const stranger = Rsa.from(pem(newRsaKeyPair(), 'private'), Rsa.KEY_TYPE_PRIVATE) as Parameters<
      typeof Rsa.sign
    >[1];
    const forged = sdkNotification(paid, { signer: stranger });
    expect(() => ours.openNotification(forged.headers, forged.body)).toThrow(NotificationRefused);
    const wrongKey = sdkNotification(paid, { key: 'another-api-v3-key-0123456789abc' });
    expect(() => ours.openNotification(wrongKey.headers, wrongKey.body)).toThrow(/does not decrypt/);
    const good = sdkNotification(paid);
    const tampered = good.body.replace('"summary":"支付成功"', '"summary":"支付成功 "');
    expect(() => ours.openNotification(good.headers, tampered)).toThrow(/signature invalid/);
    // the gateway probes merchants with signatures starting WECHATPAY/SIGNTEST/: they must fail
    const probe = {
      ...good.headers,
      'wechatpay-signature': `WECHATPAY/SIGNTEST/${good.headers['wechatpay-signature']}`,
    };
    expect(() => ours.openNotification(probe, good.body)).toThrow(/signature invalid/);
    const otherMerchant = sdkNotification({ ...paid, mchid: '1900000001' });
    expect(() => ours.openNotification(otherMerchant.headers, otherMerchant.body)).toThrow(
      /not for this merchant/,
    );
  });
});
