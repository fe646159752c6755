/** The logger interface every component gets injected, plus masking of personal data. */

export type LogMeta = Record<string, unknown>;

export interface Logger {
  error(message: string, meta?: LogMeta): void;
  warn(message: string, meta?: LogMeta): void;
  info(message: string, meta?: LogMeta): void;
  debug(message: string, meta?: LogMeta): void;
}

export const silentLogger: Logger = { error() {}, warn() {}, info() {}, debug() {} };

/** Masks phone numbers and names unless the configuration allows full values. */
export interface Masker {
  number(value: string): string;
  name(value: string): string;
}

export function makeMasker(enabled: boolean): Masker {
  if (!enabled) return { number: (v) => v, name: (v) => v };
  return {
    number(v) {
      const digits = v.replace(/[^0-9]/g, '');
      if (digits.length <= 4) return v; // extensions are not personal data
      let keep = 3;
      return v
        .split('')
        .reverse()
        .map((ch) => (/[0-9]/.test(ch) ? (keep-- > 0 ? ch : '*') : ch))
        .reverse()
        .join('');
    },
    name(v) {
      const t = v.trim();
      if (t === '') return '';
      return `${t[0]}*** (${t.length})`;
    },
  };
}

/** A logger that records entries in memory (tests, simulation). */
export class MemoryLogger implements Logger {
  readonly entries: { level: string; message: string; meta?: LogMeta }[] = [];
  error(message: string, meta?: LogMeta): void {
    this.push('error', message, meta);
  }
  warn(message: string, meta?: LogMeta): void {
    this.push('warn', message, meta);
  }
  info(message: string, meta?: LogMeta): void {
    this.push('info', message, meta);
  }
  debug(message: string, meta?: LogMeta): void {
    this.push('debug', message, meta);
  }
  has(level: string, pattern: RegExp | string): boolean {
    return this.entries.some((e) => e.level === level && (typeof pattern === 'string' ? e.message.includes(pattern) : pattern.test(e.message)));
  }
  private push(level: string, message: string, meta?: LogMeta): void {
    this.entries.push(meta ? { level, message, meta } : { level, message });
  }
}
