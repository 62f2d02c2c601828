import pino from 'pino';

/** The sandbox's log: JSON lines (pino), one object per event. Tests wait on `msg`. */
export interface SandboxLog {
  info(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/** A pino-backed log on stdout; `level: 'silent'` for none. */
export function createSandboxLog(level = 'info'): SandboxLog {
  const logger = pino({ level, base: { service: 'iomt-bridge-sandbox' }, redact: ['*.authorization', '*.access_token', '*.refresh_token', '*.client_secret'] });
  return {
    info: (msg, fields = {}) => logger.info(fields, msg),
    error: (msg, fields = {}) => logger.error(fields, msg),
  };
}
