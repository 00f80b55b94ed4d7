// pino JSON logs, one child per component. Secrets are redacted wherever they appear
// in a logged object, so passing a config or a request through a log line is safe.
import pino, { type Logger } from 'pino';

export type { Logger };

export const REDACT_PATHS = [
  'password',
  'token',
  'pin',
  'pinHash',
  'secret',
  'authorization',
  '*.password',
  '*.token',
  '*.pin',
  '*.pinHash',
  '*.secret',
  '*.authorization',
  '*.*.password',
  '*.*.token',
  '*.*.pinHash',
  'req.headers.authorization',
  'req.headers["x-staff-pin"]',
  'config.security',
  'config.mqtt.password',
  'config.payments.codeGateway.key',
  'req.headers["x-staff-token"]',
  'req.headers["x-cart-token"]',
  'cartToken',
  '*.cartToken',
];

export function createLogger(
  level: string,
  destination: pino.DestinationStream = pino.destination({ sync: false }),
): Logger {
  return pino(
    {
      level,
      base: { service: 'storeedge' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}
