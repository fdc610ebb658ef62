import { pino, type Logger } from 'pino';

export type { Logger };

/** Structured JSON logs, one line per event, on stdout (servers) or stderr (the CLI, whose stdout is its output). */
export function createLogger(level: string, base: Record<string, unknown> = {}, destination: 1 | 2 = 1): Logger {
  return pino({ level, base: { pid: process.pid, ...base }, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination({ fd: destination, sync: destination === 2 }));
}
