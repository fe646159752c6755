/**
 * --set-datevconnect-password: reads the DATEVconnect Basic password from standard input (one line)
 * and stores it DPAPI-protected for the current Windows user. The password is never printed or logged.
 */
import type { Config } from '../config/schema';
import type { Logger } from '../logging/logger';

/** Where the password goes (src/native/dpapi.ts DpapiSecretStore on Windows). */
export interface PasswordStore {
  readonly file: string;
  save(password: string): Promise<void>;
}

const MAX_INPUT = 4096;

/**
 * The first line of `input` (without CR/LF), read up to the first newline or the end of the stream.
 * Rejects when more than 4096 bytes arrive without a line end, or on a stream error.
 */
export function readSecretLine(input: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (err: Error | null): void => {
      if (done) return;
      done = true;
      input.removeListener('data', onData);
      input.removeListener('end', onEnd);
      input.removeListener('error', onError);
      input.pause();
      const all = Buffer.concat(chunks);
      chunks.length = 0;
      if (err) {
        all.fill(0);
        reject(err);
        return;
      }
      const nl = all.indexOf(0x0a);
      const line = (nl >= 0 ? all.subarray(0, nl) : all).toString('utf8').replace(/\r$/, '');
      all.fill(0);
      resolve(line);
    };
    const onData = (c: Buffer | string): void => {
      const b = typeof c === 'string' ? Buffer.from(c, 'utf8') : c;
      chunks.push(b);
      size += b.length;
      if (b.includes(0x0a)) finish(null);
      else if (size > MAX_INPUT) finish(new Error(`no line end within ${MAX_INPUT} bytes`));
    };
    const onEnd = (): void => finish(null);
    const onError = (e: Error): void => finish(e);
    input.on('data', onData);
    input.on('end', onEnd);
    input.on('error', onError);
    input.resume();
  });
}

/** Asks on stderr when stdin is a console (the typed password is echoed; no secret ever goes to stdout), then reads one line. */
export function promptForSecret(input: NodeJS.ReadableStream & { isTTY?: boolean }, err: (text: string) => void): Promise<string> {
  if (input.isTTY) err('DATEVconnect-Kennwort eingeben, dann Enter / type the DATEVconnect password, then Enter:');
  return readSecretLine(input);
}

export interface PasswordIo {
  out: (text: string) => void;
  err: (text: string) => void;
  log: Logger;
}

/** Exit code 0 when stored; 1 when it cannot be stored here or fails; 2 for an empty or invalid password. */
export async function setDatevConnectPassword(
  store: (() => PasswordStore) | undefined,
  readSecret: () => Promise<string>,
  config: Config,
  io: PasswordIo,
): Promise<number> {
  if (!store) {
    io.err('Das DATEVconnect-Kennwort kann nur unter Windows gespeichert werden (DPAPI) / storing the DATEVconnect password needs Windows (DPAPI)');
    return 1;
  }
  let password: string;
  try {
    password = await readSecret();
  } catch (e) {
    io.err(`Kennwort konnte nicht gelesen werden / cannot read the password: ${(e as Error).message}`);
    return 1;
  }
  if (password === '') {
    io.err('Kein Kennwort auf der Standardeingabe / no password on standard input (eine Zeile / one line)');
    return 2;
  }
  if (password.length > 1024 || password.includes('\0')) {
    io.err('Ungültiges Kennwort (höchstens 1024 Zeichen, kein NUL) / invalid password (at most 1024 characters, no NUL)');
    return 2;
  }
  let file: string;
  try {
    const s = store();
    file = s.file;
    await s.save(password);
  } catch (e) {
    io.err(`Kennwort nicht gespeichert / password not stored: ${(e as Error).message}`);
    io.log.error(`DATEVconnect password not stored: ${(e as Error).message}`);
    return 1;
  }
  io.out(`DATEVconnect-Kennwort gespeichert, nur für diesen Windows-Benutzer lesbar (DPAPI) / DATEVconnect password stored for this Windows user (DPAPI): ${file}`);
  io.log.info(`DATEVconnect password stored (DPAPI) in ${file}`);
  const dc = config.contacts.datevConnect;
  if (dc.auth !== 'basic') {
    io.out(`Hinweis / note: contacts.datevConnect.auth ist / is "${dc.auth}"; das Kennwort wird nur mit "basic" benutzt / the password is used only with "basic".`);
  } else if (dc.user.trim() === '') {
    io.out('Hinweis / note: contacts.datevConnect.user ist leer / is empty; ohne Benutzer wird das Kennwort nicht benutzt / without a user the password is not used.');
  }
  return 0;
}
