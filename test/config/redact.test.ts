// Secrets never leave the box as they are: the redacted config (support bundle, the digest
// HQ sees) holds none of them, and the overlay digest reads exactly what HQ pushed.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../config/load.js';
import { REDACTED, redactConfig, secretValues } from '../../config/redact.js';
import { valuesAt } from '../../edge/sync/config-report.js';
import { canonicalJson } from '../../sync/canonical-json.js';

const config = validateConfig({
  store: { id: 'redact-1' },
  mqtt: { password: 'mqtt-secret-password' },
  payments: {
    codeGateway: { key: 'gateway-hmac-key-1' },
    wallet: { apiV3Key: 'abcdefghijklmnopqrstuvwxyz012345' },
  },
  security: {
    kioskTokens: [{ kioskId: 'kiosk-1', token: 'kiosk-token-0123456789' }],
    staff: [{ id: 'mgr-1', name: 'M', role: 'manager', pinHash: 'scrypt$16384$8$1$c2FsdA$aGFzaA' }],
  },
});

describe('redaction', () => {
  it('replaces every secret, and only secrets', () => {
    const secrets = secretValues(config);
    expect(secrets.sort()).toEqual(
      [
        'mqtt-secret-password',
        'gateway-hmac-key-1',
        'abcdefghijklmnopqrstuvwxyz012345',
        'kiosk-token-0123456789',
        'scrypt$16384$8$1$c2FsdA$aGFzaA',
      ].sort(),
    );
    const text = JSON.stringify(redactConfig(config));
    for (const s of secrets) expect(text).not.toContain(s);
    const r = redactConfig(config) as typeof config;
    expect(r.mqtt.password).toBe(REDACTED);
    expect(r.security.kioskTokens[0]).toEqual({ kioskId: 'kiosk-1', token: REDACTED });
    expect(r.store.id).toBe('redact-1');
    expect(r.payments.wallet.merchantId).toBe(config.payments.wallet.merchantId);
  });

  it("reads the effective values at exactly the settings an overlay sets, so HQ's digest matches", () => {
    const body = {
      loyalty: { pointsPerYuan: config.loyalty.pointsPerYuan },
      security: { kioskTokens: [{ kioskId: 'kiosk-1', token: 'kiosk-token-0123456789' }] },
    };
    const sha = (v: unknown) => createHash('sha256').update(canonicalJson(v)).digest('hex');
    expect(sha(valuesAt(config, body))).toBe(sha(body));
    // a value in effect that differs from the pushed one changes it
    expect(sha(valuesAt(config, { loyalty: { pointsPerYuan: config.loyalty.pointsPerYuan + 1 } }))).not.toBe(
      sha({ loyalty: { pointsPerYuan: config.loyalty.pointsPerYuan + 1 } }),
    );
  });
});
