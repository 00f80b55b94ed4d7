// The one schema for the whole daemon. Every value has a default fit for the demo
// store, so an empty file is a valid (demo) config; unknown keys are errors so a typo
// never silently falls back to a default.
import Type, { type Static, type TSchema } from 'typebox';

const Obj = <P extends Record<string, TSchema>>(properties: P, description?: string) =>
  Type.Object(properties, {
    additionalProperties: false,
    default: {},
    ...(description ? { description } : {}),
  });

const Id = Type.String({
  pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$',
  description: 'identifier: letters, digits, _ . -',
});
const Point = Type.Tuple([Type.Number(), Type.Number()], { description: '[x, y]' });

export const DeviceKind = Type.Enum(['scanner', 'scale', 'printer', 'payment-terminal', 'face-pay']);

export const DeviceConfig = Type.Object(
  {
    id: Id,
    kind: DeviceKind,
    driver: Type.Enum(['serial-scanner', 'evdev-scanner', 'mt-sics', 'escpos', 'nexo', 'facepay'], {
      description:
        'protocol: serial-scanner and evdev-scanner (scanner), mt-sics (scale), escpos (printer, TCP 9100), nexo (payment terminal, TCP), facepay (face-pay device, serial JSON lines)',
    }),
    kiosk: Type.Optional(Id),
    path: Type.Optional(
      Type.String({ minLength: 1, description: 'serial port, evdev node or host:port; omit to simulate' }),
    ),
    simulate: Type.Boolean({
      default: false,
      description: 'start the protocol simulator on a pty and use it',
    }),
    options: Type.Record(Type.String(), Type.Unknown(), {
      default: {},
      description: 'driver settings; see DriverOptions in config/schema.ts',
    }),
  },
  { additionalProperties: false },
);

const Ms = (dflt: number, description: string) =>
  Type.Integer({ minimum: 10, maximum: 600_000, default: dflt, description });
const Strict = <P extends Record<string, TSchema>>(p: P) => Type.Object(p, { additionalProperties: false });

/** Settings per driver, checked at start (devices[].options). */
export const DriverOptions = {
  'serial-scanner': Strict({
    baudRate: Type.Integer({ minimum: 1200, maximum: 921_600, default: 9600 }),
    suffix: Type.Enum(['cr', 'lf', 'crlf', 'none'], { default: 'cr' }),
    debounceMs: Ms(300, 'identical reads closer than this are one scan'),
  }),
  'evdev-scanner': Strict({ debounceMs: Ms(300, 'identical reads closer than this are one scan') }),
  'mt-sics': Strict({
    baudRate: Type.Integer({ minimum: 1200, maximum: 921_600, default: 9600 }),
    timeoutMs: Ms(2000, 'longest wait for one answer (S waits for a stable load)'),
    role: Type.Enum(['weigh', 'bagging'], {
      default: 'weigh',
      description: 'weigh: prices weighed items; bagging: the security scale under the bagging area',
    }),
    baggingToleranceG: Type.Integer({ minimum: 1, maximum: 1000, default: 10 }),
    baggingPlaceWithinMs: Ms(10_000, 'how long a scanned item may take to reach the bagging area'),
  }),
  escpos: Strict({ timeoutMs: Ms(1000, 'longest wait for a status byte') }),
  nexo: Strict({
    saleId: Type.Optional(Type.String({ minLength: 1, description: 'our SaleID; default the kiosk id' })),
    poiId: Type.Optional(
      Type.String({ minLength: 1, description: "the terminal's POIID; default the device id" }),
    ),
    paymentTimeoutMs: Ms(90_000, 'how long the shopper has to present a card'),
    requestTimeoutMs: Ms(10_000, 'status and reversal answers'),
  }),
  facepay: Strict({
    baudRate: Type.Integer({ minimum: 1200, maximum: 921_600, default: 115_200 }),
    merchantId: Type.String({
      minLength: 1,
      default: 'demo-merchant',
      description: "the merchant the device's face codes are for (the payment-code gateway's)",
    }),
    confirmTimeoutMs: Ms(60_000, 'how long the shopper has at the face-pay device'),
  }),
} as const;

export const DRIVER_KIND: Record<keyof typeof DriverOptions, Static<typeof DeviceKind>> = {
  'serial-scanner': 'scanner',
  'evdev-scanner': 'scanner',
  'mt-sics': 'scale',
  escpos: 'printer',
  nexo: 'payment-terminal',
  facepay: 'face-pay',
};

const Fraction = (def: number, description: string, max = 1) =>
  Type.Number({ minimum: 0, maximum: max, default: def, description });

export const CameraConfig = Type.Object(
  {
    id: Id,
    source: Type.Object(
      {
        type: Type.Enum(['file', 'rtsp', 'mjpeg', 'v4l2', 'images']),
        url: Type.String({
          minLength: 1,
          description: 'file path, rtsp:// or http(s):// (MJPEG) URL, /dev/videoN, or a folder of images',
        }),
        loop: Type.Boolean({ default: false, description: 'restart a file source at its end (demo feed)' }),
        realtime: Type.Boolean({
          default: true,
          description: 'file sources: play at the recording’s own speed, stamped with the wall clock',
        }),
        startedAt: Type.Optional(
          Type.String({
            format: 'date-time',
            description:
              'file sources analysed off real time (realtime: false): when the recording began, so its counts land on the hours it shows; default when the daemon starts reading it',
          }),
        ),
      },
      { additionalProperties: false },
    ),
    fps: Type.Number({
      exclusiveMinimum: 0,
      maximum: 30,
      default: 5,
      description: 'frames analysed per second',
    }),
    frameSize: Type.Object(
      {
        width: Type.Integer({ minimum: 64, maximum: 3840, default: 640 }),
        height: Type.Integer({ minimum: 64, maximum: 2160, default: 480 }),
      },
      {
        additionalProperties: false,
        default: {},
        description:
          'the shape frames are analysed in: each is decoded at this aspect, scaled to fit the detector input (416 × 312 for 4:3 and the bundled model)',
      },
    ),
    lines: Type.Array(
      Type.Object(
        {
          id: Id,
          a: Point,
          b: Point,
          inSide: Type.Enum(['left', 'right'], {
            default: 'left',
            description: 'crossing to this side of a→b (as seen on the image) counts as "in"',
          }),
          band: Fraction(0.02, 'hysteresis half-width around the line, in image widths', 0.2),
          footfall: Type.Boolean({
            default: true,
            description: 'an entrance line: its ins and outs make the store’s footfall and occupancy',
          }),
        },
        { additionalProperties: false },
      ),
      { default: [], description: 'points are normalised image coordinates: 0..1 across and down' },
    ),
    zones: Type.Array(
      Type.Object(
        {
          id: Id,
          type: Type.Optional(
            Type.String({
              pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$',
              description:
                'what kind of place this is (entrance, dairy-shelf, promo-end-cap…): HQ compares zones of one type across stores; the id when absent',
            }),
          ),
          polygon: Type.Array(Point, { minItems: 3 }),
          minDwellSeconds: Type.Number({ minimum: 0, default: 3 }),
          exitGraceSeconds: Type.Number({
            minimum: 0,
            default: 1,
            description: 'a step outside shorter than this keeps the visit going',
          }),
          categories: Type.Array(Id, {
            default: [],
            maxItems: 50,
            description: 'product categories shelved in this zone, to set its dwell against their sales',
          }),
          queue: Type.Optional(
            Type.Object(
              {
                maxLength: Type.Integer({
                  minimum: 1,
                  default: 4,
                  description: 'people waiting at or past which staff are alerted',
                }),
                maxWaitSeconds: Type.Integer({
                  minimum: 1,
                  default: 300,
                  description: 'an estimated wait at or past which staff are alerted',
                }),
                raiseSeconds: Type.Number({
                  minimum: 0,
                  default: 5,
                  description: 'how long the queue must stay past a limit before the alert',
                }),
                clearSeconds: Type.Number({
                  minimum: 0,
                  default: 30,
                  description: 'how long it must stay under both before the alert closes by itself',
                }),
                salesWindowMinutes: Type.Integer({
                  minimum: 1,
                  maximum: 120,
                  default: 10,
                  description: "the kiosks' recent sales that set the pace of the queue",
                }),
              },
              {
                additionalProperties: false,
                description:
                  "the kiosks' waiting area: its length (people in the zone) and estimated wait, an alert past the limits",
              },
            ),
          ),
        },
        { additionalProperties: false },
      ),
      { default: [] },
    ),
    ignore: Type.Array(
      Type.Object(
        {
          id: Id,
          polygon: Type.Array(Point, { minItems: 3 }),
        },
        { additionalProperties: false },
      ),
      {
        default: [],
        maxItems: 50,
        description:
          'regions where nobody can stand (a mannequin, a poster, a coat stand): a detection whose feet fall inside is dropped; normalised image coordinates',
      },
    ),
    stillness: Obj(
      {
        moveHeights: Type.Number({
          minimum: 0,
          maximum: 10,
          default: 0.6,
          description:
            'a track counts (heat, dwell, lines, occupancy) once its feet have moved this many heights of its box; until then what it does is held, and credited when it moves',
        }),
        staticAfterSeconds: Type.Number({
          minimum: 1,
          maximum: 3600,
          default: 30,
          description: 'a track unmoved for this long is a static object: what it held is dropped',
        }),
      },
      'phantom people: things the detector takes for a person that never move add no heat or dwell',
    ),
    floorPlan: Type.Optional(
      Type.Object(
        {
          homography: Type.Array(Type.Number(), {
            minItems: 9,
            maxItems: 9,
            description: 'row-major 3x3 from normalised image coordinates to floor metres',
          }),
          widthM: Type.Number({ exclusiveMinimum: 0, maximum: 500 }),
          depthM: Type.Number({ exclusiveMinimum: 0, maximum: 500 }),
          cellM: Type.Number({ minimum: 0.1, maximum: 10, default: 0.5 }),
        },
        { additionalProperties: false },
      ),
    ),
    motion: Obj(
      {
        threshold: Fraction(0.002, 'share of a coarse thumbnail that must change for a frame to be analysed'),
        pixelDelta: Type.Integer({ minimum: 1, maximum: 255, default: 12 }),
        maxSkipMs: Type.Integer({
          minimum: 0,
          maximum: 60_000,
          default: 1000,
          description: 'analyse at least this often even in a still scene',
        }),
      },
      'motion gating: skip inference on still frames',
    ),
  },
  { additionalProperties: false },
);

/** Store associates (guides) and the shoppers' calls for them. */
export const Guides = Obj(
  {
    escalateAfterSeconds: Type.Integer({
      minimum: 1,
      maximum: 3600,
      default: 60,
      description: "a shopper's call no guide has taken this long shows on the staff dashboard",
    }),
    refreshMinutes: Type.Integer({
      minimum: 1,
      maximum: 1440,
      default: 60,
      description: '"bought together" is recounted from the store\'s own sales this often',
    }),
  },
  'store guides (导购): calls from the aisle, recommendations',
);

/** The self-checkout screen's timeouts. */
export const KioskScreen = Obj(
  {
    stillThereSeconds: Type.Integer({
      minimum: 2,
      maximum: 3600,
      default: 120,
      description:
        'an open kiosk cart untouched this long asks the shopper whether they are still there (a cart being paid is never timed out)',
    }),
    setAsideSeconds: Type.Integer({
      minimum: 2,
      maximum: 600,
      default: 30,
      description:
        'then, with no answer, the cart is set aside (suspended: its code takes it back at any kiosk) and the screen returns to the start',
    }),
    doneSeconds: Type.Integer({
      minimum: 2,
      maximum: 600,
      default: 45,
      description: 'the paid screen (receipt, offer) returns to the start after this long untouched',
    }),
  },
  "the self-checkout screen's timeouts",
);

export const ConfigSchema = Type.Object(
  {
    store: Obj({
      id: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$', default: 'demo-store-001' }),
      name: Type.String({ default: 'Demo Store' }),
      timezone: Type.String({ default: 'Asia/Shanghai' }),
      currency: Type.String({ pattern: '^[A-Z]{3}$', default: 'CNY' }),
      locale: Type.Enum(['zh-CN', 'en'], { default: 'zh-CN' }),
    }),
    http: Obj({
      host: Type.String({ default: '127.0.0.1', description: 'listen address' }),
      port: Type.Integer({ minimum: 0, maximum: 65535, default: 8080, description: '0 picks a free port' }),
      bodyLimitBytes: Type.Integer({ minimum: 1024, maximum: 10 * 1024 * 1024, default: 256 * 1024 }),
      requestTimeoutMs: Type.Integer({ minimum: 1000, default: 15_000 }),
      shopperRateLimitPerMinute: Type.Integer({
        minimum: 10,
        maximum: 100_000,
        default: 600,
        description: 'requests per minute per address from callers without kiosk or staff credentials',
      }),
    }),
    tls: Obj(
      {
        enabled: Type.Boolean({ default: true }),
        port: Type.Integer({
          minimum: 0,
          maximum: 65535,
          default: 8443,
          description: 'HTTPS listener (HTTP/2 and HTTP/1.1); when http.port is 0 (a free port), so is this',
        }),
        domain: Type.String({
          pattern: '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$',
          default: 'stores.example.test',
          description:
            "the chain's zone for store names: the store is <store id>.<domain> (HQ's certificates.zone)",
        }),
        hostname: Type.Optional(
          Type.String({
            pattern: '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$',
            description: 'the name phones open; default <store id>.<domain>',
          }),
        ),
        certFile: Type.Optional(
          Type.String({
            minLength: 1,
            description:
              'a certificate chain (PEM) installed by hand for the hostname, with keyFile; served while it is newer than what HQ pushed. Relative to the config file',
          }),
        ),
        keyFile: Type.Optional(Type.String({ minLength: 1, description: "certFile's private key (PEM)" })),
        plainHttp: Type.Enum(['loopback', 'redirect'], {
          default: 'loopback',
          description:
            "plain HTTP on http.port: 'loopback' serves callers on this box (its kiosk browser, probes) and redirects everyone else to HTTPS; 'redirect' redirects all",
        }),
        hstsMaxAgeSeconds: Type.Integer({
          minimum: 0,
          maximum: 63_072_000,
          default: 31_536_000,
          description:
            'Strict-Transport-Security, sent only while a trusted (not self-signed) certificate is served',
        }),
        trustedRootsFile: Type.Optional(
          Type.String({
            minLength: 1,
            description:
              "PEM roots trusted for pushed certificates besides the system's (a private ACME CA); relative to the config file",
          }),
        ),
        requestWhenLeft: Type.Number({
          exclusiveMinimum: 0,
          maximum: 0.9,
          default: 0.25,
          description:
            'fraction of its lifetime left when the store sends HQ a new CSR (HQ renews by itself at 1/3 left)',
        }),
        alertDays: Type.Number({
          exclusiveMinimum: 0,
          maximum: 365,
          default: 14,
          description:
            'a staff alert when the served certificate has less than this left (or 15% of its lifetime)',
        }),
        checkSeconds: Type.Number({ minimum: 0.2, maximum: 3600, default: 60 }),
        csrRetryMinutes: Type.Number({
          minimum: 0.05,
          maximum: 10_080,
          default: 60,
          description: 'a CSR HQ has not answered with a certificate is sent again after this long',
        }),
      },
      'HTTPS for the pages and API: a self-signed certificate from the first start, then the publicly trusted one HQ obtains (ACME DNS-01) and pushes signed',
    ),
    db: Obj({
      path: Type.String({
        minLength: 1,
        default: 'var/storeedge.db',
        description: 'relative to the config file',
      }),
      busyTimeoutMs: Type.Integer({ minimum: 0, default: 5000 }),
    }),
    seed: Obj(
      {
        catalog: Type.Optional(
          Type.String({
            minLength: 1,
            description: 'seed catalog JSON loaded into an empty catalog; relative to the config file',
          }),
        ),
      },
      'demo data; a real store gets its catalog from HQ',
    ),
    barcodes: Obj({
      variableMeasure: Type.Array(
        Type.Object(
          {
            prefix: Type.String({ pattern: '^2[0-9]$' }),
            kind: Type.Enum(['price', 'weight']),
            itemDigits: Type.Integer({ minimum: 4, maximum: 6 }),
            valueDigits: Type.Integer({ minimum: 4, maximum: 6 }),
            priceCheckDigit: Type.Boolean({ default: false }),
          },
          { additionalProperties: false },
        ),
        {
          default: [
            { prefix: '20', kind: 'weight', itemDigits: 5, valueDigits: 5, priceCheckDigit: false },
            { prefix: '21', kind: 'price', itemDigits: 5, valueDigits: 5, priceCheckDigit: false },
          ],
          description: 'restricted-circulation (prefix 2x) layouts used by this store',
        },
      ),
      labels: Obj({
        gs1Carriers: Type.Array(Type.Enum(['gs1-128', 'gs1-databar', 'gs1-qr', 'gs1-datamatrix']), {
          default: ['gs1-128', 'gs1-databar'],
          uniqueItems: true,
          description:
            'GS1 symbols whose weight (310x) or price (392x/393x) the store takes, and only for items the catalog marks variable-measure',
        }),
        priceBandPct: Type.Integer({
          minimum: 0,
          maximum: 100,
          default: 20,
          description: "a label's price per kg more than this far from the catalog's needs an attendant",
        }),
        weightG: Obj({
          min: Type.Integer({ minimum: 1, maximum: 100_000, default: 5 }),
          max: Type.Integer({ minimum: 1, maximum: 100_000, default: 20_000 }),
        }),
      }),
    }),
    loyalty: Obj({
      pointsPerYuan: Type.Integer({
        minimum: 0,
        maximum: 100,
        default: 1,
        description: 'points earned per ¥1 paid',
      }),
      fenPerPoint: Type.Integer({
        minimum: 1,
        maximum: 100,
        default: 1,
        description: 'value of one point as a tender',
      }),
      offlineSpendCapPerDay: Type.Integer({
        minimum: 0,
        maximum: 10_000_000,
        default: 500,
        description:
          'while HQ is out of reach: the most points one member may spend here per day (HQ is the ledger of record; two stores apart could otherwise spend the same points)',
      }),
    }),
    devices: Type.Array(DeviceConfig, { default: [] }),
    cameras: Type.Array(CameraConfig, { default: [] }),
    vision: Obj(
      {
        enabled: Type.Boolean({ default: true }),
        model: Type.String({
          default: '',
          description:
            'model manifest (.json beside its .onnx); empty: the bundled NanoDet-m person detector',
        }),
        threads: Type.Integer({
          minimum: 1,
          maximum: 16,
          default: 1,
          description: 'onnxruntime threads per model',
        }),
        detectScore: Fraction(
          0.2,
          'lowest detection score passed to the tracker (it splits high and low itself)',
        ),
        nmsIou: Fraction(0.6, 'overlap above which two person boxes are one'),
        stillScene: Type.Boolean({
          default: true,
          description:
            "show signed-in staff each camera's still scene (a running median of its frames: people walking by leave no trace) and draw the heatmap over it; drawn from memory on request, never stored or sent. false: no camera picture at all, the heatmap on its grid alone",
        }),
        flushSeconds: Type.Integer({ minimum: 1, maximum: 3600, default: 60 }),
        retention: Obj({
          minuteDays: Type.Integer({ minimum: 1, maximum: 90, default: 2 }),
          quarterDays: Type.Integer({ minimum: 1, maximum: 400, default: 35 }),
          hourDays: Type.Integer({
            minimum: 1,
            maximum: 3650,
            default: 400,
            description: 'hourly counts, dwell and heatmaps: over a year, for year-on-year comparisons',
          }),
        }),
      },
      'on-device people counting: counts, dwell and heatmaps leave the store, images never do',
    ),
    kioskScreen: KioskScreen,
    guides: Guides,
    exitAudit: Obj(
      {
        enabled: Type.Boolean({ default: true }),
        baseRate: Fraction(0.05, 'chance a scan & go sale with no risk signal is checked at the exit'),
        maxRate: Fraction(0.8, 'the highest chance, whatever the signals'),
        linesToCheck: Type.Integer({
          minimum: 0,
          maximum: 50,
          default: 3,
          description: 'random lines a partial check shows; 0: every line',
        }),
        highValueFen: Type.Integer({
          minimum: 1,
          default: 20_000,
          description: 'a cart worth this much is a signal',
        }),
        fastScanMs: Ms(1500, 'a median time between scanned items below this is very fast scanning'),
        newMemberDays: Type.Integer({ minimum: 0, maximum: 365, default: 30 }),
        factors: Obj(
          {
            high_value: Type.Number({ minimum: 1, maximum: 100, default: 3 }),
            weighed_items: Type.Number({ minimum: 1, maximum: 100, default: 2 }),
            age_restricted: Type.Number({ minimum: 1, maximum: 100, default: 1.5 }),
            removed_lines: Type.Number({ minimum: 1, maximum: 100, default: 2 }),
            new_member: Type.Number({ minimum: 1, maximum: 100, default: 1.5 }),
            fast_scanning: Type.Number({ minimum: 1, maximum: 100, default: 2 }),
            first_scan_and_go: Type.Number({ minimum: 1, maximum: 100, default: 2 }),
          },
          'what each risk signal multiplies the base rate by',
        ),
      },
      'exit checks of scan & go sales: decided at payment, shown to staff at the exit only',
    ),
    payments: Obj({
      codeGateway: Obj(
        {
          enabled: Type.Boolean({ default: false }),
          url: Type.String({ pattern: '^https?://', default: 'http://127.0.0.1:8088/' }),
          merchantId: Type.String({ minLength: 1, default: 'demo-merchant' }),
          key: Type.String({
            minLength: 8,
            default: 'demo-gateway-key',
            description: 'HMAC key shared with the gateway',
          }),
          simulate: Type.Boolean({
            default: false,
            description: 'run the gateway simulator on a loopback port',
          }),
          confirmTimeoutMs: Ms(30_000, 'how long a shopper may take to confirm on the phone'),
        },
        "the acquirer's payment-code (wallet) gateway",
      ),
      wallet: Obj(
        {
          enabled: Type.Boolean({ default: false }),
          url: Type.String({ pattern: '^https?://', default: 'http://127.0.0.1:8089/' }),
          appId: Type.String({ pattern: '^[A-Za-z0-9_]{1,32}$', default: 'wxdemo00000000001' }),
          merchantId: Type.String({ pattern: '^[0-9A-Za-z_]{1,32}$', default: '1900000001' }),
          merchantSerial: Type.String({
            minLength: 1,
            maxLength: 64,
            default: 'DEMO-MERCHANT-SERIAL',
            description: "the serial of the merchant's API certificate, named in every request",
          }),
          merchantKeyFile: Type.String({
            default: '',
            description: "the merchant's RSA private key (PEM) that signs requests and pay parameters",
          }),
          platformKeyFile: Type.String({
            default: '',
            description:
              "the gateway's RSA public key or certificate (PEM) that signs answers and notifications",
          }),
          apiV3Key: Type.String({
            minLength: 32,
            maxLength: 32,
            default: 'demo-api-v3-key-0123456789abcdef',
            description: '32 characters: notifications are encrypted with it (AEAD_AES_256_GCM)',
          }),
          notifyUrl: Type.String({
            pattern: '^(https?://.+)?$',
            default: '',
            description:
              "where the gateway sends payment notifications; empty: this daemon's own plain-HTTP address (a gateway on the box)",
          }),
          payMinutes: Type.Integer({
            minimum: 1,
            maximum: 120,
            default: 5,
            description: 'how long the shopper has to confirm in the wallet before the order is closed',
          }),
          description: Type.String({ minLength: 1, maxLength: 127, default: 'storeedge scan & go' }),
          simulate: Type.Boolean({
            default: false,
            description: 'run the gateway simulator on a loopback port, with keys made at start',
          }),
          simulatedWallet: Type.Boolean({
            default: false,
            description:
              'the shopper page offers a simulated wallet (demo and tests: no real wallet app on the phone)',
          }),
        },
        "the wallet's in-app payment on the shopper's phone (JSAPI)",
      ),
    }),
    outbox: Obj(
      {
        highWaterMB: Type.Integer({
          minimum: 1,
          default: 512,
          description: 'unsent bytes that start telemetry roll-up',
        }),
        lowWaterMB: Type.Integer({
          minimum: 1,
          default: 384,
          description: 'roll-up and dropping stop below this',
        }),
        diskLowMB: Type.Integer({
          minimum: 1,
          default: 1024,
          description: 'free space below which telemetry stops',
        }),
        diskCriticalMB: Type.Integer({
          minimum: 1,
          default: 256,
          description: 'free space below which the reserve is released',
        }),
        reserveMB: Type.Integer({
          minimum: 0,
          maximum: 4096,
          default: 64,
          description: 'space held back for sales when the disk fills',
        }),
        checkSeconds: Type.Integer({ minimum: 1, maximum: 3600, default: 30 }),
      },
      'the backlog of events waiting for HQ: money events are never dropped',
    ),
    housekeeping: Obj(
      {
        enabled: Type.Boolean({ default: true }),
        intervalMinutes: Type.Integer({
          minimum: 1,
          maximum: 1440,
          default: 15,
          description: 'how often the store prunes what it no longer needs',
        }),
        batchRows: Type.Integer({
          minimum: 10,
          maximum: 10_000,
          default: 500,
          description: 'rows deleted per transaction: small, so no scan waits on the write lock',
        }),
        idempotencyHours: Type.Integer({
          minimum: 1,
          maximum: 720,
          default: 48,
          description: 'how long the answer to a write is kept for its retries',
        }),
        outbox: Obj(
          {
            moneyDays: Type.Integer({ minimum: 1, maximum: 3650, default: 30 }),
            stateDays: Type.Integer({ minimum: 1, maximum: 3650, default: 7 }),
            telemetryDays: Type.Integer({ minimum: 1, maximum: 3650, default: 3 }),
          },
          'days an event is kept after the broker acknowledged it (for HQ resend requests); an unsent event is never deleted',
        ),
        abandonedCartHours: Type.Integer({
          minimum: 1,
          maximum: 720,
          default: 24,
          description: 'an open or suspended cart untouched this long, with no payment, is cancelled',
        }),
        cancelledCartDays: Type.Integer({
          minimum: 1,
          maximum: 3650,
          default: 7,
          description: 'a cancelled cart with no payment, alert or label record is deleted after this',
        }),
        resolvedAlertDays: Type.Integer({ minimum: 1, maximum: 3650, default: 30 }),
        walMaxMB: Type.Integer({
          minimum: 1,
          maximum: 4096,
          default: 16,
          description: 'the -wal file is checkpointed and truncated back under this',
        }),
        vacuumPages: Type.Integer({
          minimum: 0,
          maximum: 1_000_000,
          default: 2000,
          description: 'free pages handed back to the file system per incremental_vacuum step',
        }),
      },
      'pruning while the store trades, in small batches; see the README for what is kept how long',
    ),
    mqtt: Obj({
      enabled: Type.Boolean({ default: false }),
      url: Type.String({ pattern: '^(mqtts?|wss?)://', default: 'mqtt://127.0.0.1:1883' }),
      clientId: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
      username: Type.Optional(Type.String()),
      password: Type.Optional(Type.String()),
      keepaliveSeconds: Type.Integer({ minimum: 5, maximum: 3600, default: 30 }),
      reconnect: Obj(
        {
          baseMs: Type.Integer({ minimum: 50, maximum: 60_000, default: 1000 }),
          capMs: Type.Integer({ minimum: 100, maximum: 3_600_000, default: 60_000 }),
        },
        'backoff between reconnects: full jitter, doubling from baseMs up to capMs',
      ),
      tls: Obj({
        caFile: Type.Optional(Type.String()),
        certFile: Type.Optional(Type.String()),
        keyFile: Type.Optional(Type.String()),
        rejectUnauthorized: Type.Boolean({ default: true }),
      }),
      topicPrefix: Type.String({ pattern: '^[^#+]+$', default: 'storeedge/v1' }),
      drainPerSecond: Type.Integer({ minimum: 1, default: 500 }),
      heartbeatSeconds: Type.Integer({
        minimum: 1,
        maximum: 3600,
        default: 30,
        description: 'how often the store publishes its health and backlog to HQ',
      }),
      hqRequestTimeoutMs: Type.Integer({
        minimum: 50,
        maximum: 10_000,
        default: 800,
        description:
          'how long a sale waits on HQ (a chain coupon hold) before the offline policy decides; the sale never waits longer',
      }),
    }),
    security: Obj({
      kioskTokens: Type.Array(
        Type.Object(
          { kioskId: Id, token: Type.String({ minLength: 16, description: 'bearer token of that kiosk' }) },
          { additionalProperties: false },
        ),
        { default: [] },
      ),
      staff: Type.Array(
        Type.Object(
          {
            id: Id,
            name: Type.String(),
            role: Type.Enum(['guide', 'cashier', 'supervisor', 'manager']),
            pinHash: Type.String({ pattern: '^scrypt\\$', description: 'scrypt$N$r$p$salt$hash' }),
          },
          { additionalProperties: false },
        ),
        { default: [] },
      ),
      hqSigningPublicKey: Type.Optional(
        Type.String({ description: 'Ed25519 public key (PEM or base64 SPKI) that signs HQ pushes' }),
      ),
    }),
    updates: Obj(
      {
        dir: Type.String({
          default: '',
          description:
            'the state folder of an installed box (releases/, the current and previous links); empty: software updates off, as when running from a checkout',
        }),
        healthyAfterS: Type.Integer({
          minimum: 1,
          maximum: 86_400,
          default: 300,
          description:
            'a new version must stay ready this long before it is kept; a crash before then counts against it',
        }),
        readyTimeoutS: Type.Integer({
          minimum: 5,
          maximum: 3600,
          default: 120,
          description: 'a new version not ready by then exits, so the start counts as failed',
        }),
        maxBundleMB: Type.Integer({ minimum: 1, maximum: 4096, default: 512 }),
        downloadTimeoutS: Type.Integer({ minimum: 5, maximum: 7200, default: 900 }),
        idleCheckSeconds: Type.Integer({
          minimum: 1,
          maximum: 600,
          default: 5,
          description: 'how often a staged update looks for a moment with no payment open',
        }),
      },
      'software updates pushed by HQ: staged beside the running version, switched when no payment is open, rolled back when the new one does not stay up',
    ),
    logging: Obj({
      level: Type.Enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { default: 'info' }),
    }),
    shutdownTimeoutMs: Type.Integer({ minimum: 100, maximum: 120_000, default: 10_000 }),
  },
  { additionalProperties: false },
);

export type Config = Static<typeof ConfigSchema>;
export type DeviceConfig = Static<typeof DeviceConfig>;
export type CameraConfig = Static<typeof CameraConfig>;
