import { describe, expect, it } from 'vitest';
import { memoryLogger } from '../helpers/log.js';

describe('logger', () => {
  it('redacts secrets wherever they sit in a logged object', () => {
    const { log, lines } = memoryLogger();
    log.child({ component: 'sync' }).info(
      {
        mqtt: { url: 'mqtts://hq', password: 'hunter2' },
        kiosk: { token: 'kiosk-secret-token' },
        staff: { pinHash: 'scrypt$abc' },
        req: { headers: { authorization: 'Bearer abc' } },
        config: { security: { kioskTokens: [{ token: 't' }] } },
      },
      'connected',
    );
    const text = JSON.stringify(lines());
    for (const secret of ['hunter2', 'kiosk-secret-token', 'scrypt$abc', 'Bearer abc', '"t"']) {
      expect(text).not.toContain(secret);
    }
    expect(lines()[0]).toMatchObject({
      component: 'sync',
      msg: 'connected',
      level: 'info',
      mqtt: { url: 'mqtts://hq' },
    });
  });
});
