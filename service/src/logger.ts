/** JSON logs (pino). Every line carries the tenant and request id of the current context, and never a secret. */
import { pino, type Logger } from 'pino';
import { currentContext } from './context.js';

export const REDACT_PATHS = [
  'authorization',
  'token',
  'secret',
  'password',
  'databaseUrl',
  'headers.authorization',
  'headers["x-hub-signature-256"]',
  'req.headers.authorization',
  'req.headers["x-hub-signature-256"]',
  '*.authorization',
  '*.token',
  '*.secret',
  '*.password',
  '*.adminToken',
  '*.appSecret',
  '*.verifyToken',
  '*.whatsappToken',
  '*.databaseUrl',
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'hotel-service' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
      mixin() {
        const ctx = currentContext();
        return ctx ? { tenant_id: ctx.tenant.id, request_id: ctx.requestId } : {};
      },
    },
    destination ?? pino.destination({ dest: 1, sync: true }),
  );
}

/** Hides credentials in a connection string before it is logged. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '[redacted]';
    return u.toString();
  } catch {
    return '[unparseable url]';
  }
}
