/**
 * What the notification-area icon says about the running program: the tooltip (at most 127
 * characters, German), whether it shows the warning icon, and the longer text of "Status anzeigen".
 * Pure: from App.status() only.
 */
import type { AppStatus } from './app';

export interface TrayStatus {
  /** At most TOOLTIP_MAX characters (UTF-16 units), e.g. „Wildix CTI – bereit (Leitung 201, DATEV verbunden)“. */
  tooltip: string;
  /** Something keeps calls from reaching DATEV: warning icon. */
  problem: boolean;
  /** The full status for the message box (several lines). */
  text: string;
}

/** NOTIFYICONDATAW::szTip holds 128 UTF-16 units including the NUL. */
export const TOOLTIP_MAX = 127;

const PREFIX = 'Wildix CTI – ';

function linePart(s: AppStatus): string | undefined {
  switch (s.line) {
    case 'open':
      return s.lineOutOfService ? 'Leitung außer Betrieb' : undefined;
    case 'starting':
      return 'Leitung wird gesucht';
    case 'missing':
      return 'Leitung fehlt';
    case 'no-tapi':
      return 'TAPI nicht verfügbar';
    case 'stopped':
      return 'Leitung geschlossen';
  }
}

function problems(s: AppStatus): string[] {
  const out: string[] = [];
  const line = linePart(s);
  if (line) out.push(line);
  if (!s.datevRegistered) out.push('DATEV-Anmeldung fehlt');
  else if (s.cti === 'broken') out.push('DATEV-Verbindung gestört, bitte neu starten');
  else if (!s.datevPresent) out.push('DATEV nicht gestartet');
  else if (s.datevHangs) out.push(s.waitingForDatev > 0 ? `DATEV antwortet nicht (${calls(s.waitingForDatev)} warten)` : 'DATEV antwortet nicht');
  return out;
}

function calls(n: number): string {
  return n === 1 ? '1 Gespräch' : `${n} Gespräche`;
}

/** Cuts `text` to `max` UTF-16 units, ending with „…“ when cut (never inside a surrogate pair). */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - 1;
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…`;
}

function readyTooltip(s: AppStatus): string {
  const tail = `, DATEV verbunden${s.activeCalls > 0 ? `, ${calls(s.activeCalls)}` : ''})`;
  const head = `${PREFIX}bereit (Leitung `;
  const name = s.lineName.trim() || '?';
  return head + clip(name, Math.max(1, TOOLTIP_MAX - head.length - tail.length)) + tail;
}

function lineText(s: AppStatus): string {
  switch (s.line) {
    case 'open':
      return `geöffnet (${s.lineName.trim() || '?'})${s.lineOutOfService ? ', laut TAPI außer Betrieb (keine Verbindung zur Telefonanlage?)' : ''}`;
    case 'starting':
      return 'wird gesucht';
    case 'missing':
      return 'fehlt (keine passende Wildix-Leitung in TAPI)';
    case 'no-tapi':
      return 'TAPI nicht verfügbar (Wildix TAPI-Treiber installiert?)';
    case 'stopped':
      return 'geschlossen';
  }
}

function ctiText(state: AppStatus['cti']): string {
  switch (state) {
    case 'ok':
      return 'antwortet';
    case 'unchecked':
      return 'noch nicht geprüft';
    case 'rebuilt':
      return 'antwortet (nach Neuaufbau)';
    case 'broken':
      return 'antwortet nicht – Programm bitte neu starten';
    case 'not-registered':
      return 'nicht registriert';
  }
}

export function trayStatus(s: AppStatus): TrayStatus {
  const found = problems(s);
  const tooltip = clip(found.length === 0 ? readyTooltip(s) : PREFIX + found.join(', '), TOOLTIP_MAX);
  const text = [
    `Zustand: ${found.length === 0 ? 'bereit' : found.join(', ')}`,
    `Leitung: ${lineText(s)}`,
    `DATEV Telefonie: ${s.datevPresent ? 'läuft' : 'nicht gestartet'}`,
    `Anmeldung bei DATEV (ROT): ${s.datevRegistered ? 'ja' : 'nein'}`,
    `CTI-Objekt (Selbsttest): ${ctiText(s.cti)}`,
    `DATEV antwortet: ${s.datevHangs ? `nein (hängt; ${calls(s.waitingForDatev)} warten auf DATEV)` : 'ja'}`,
    `Laufende Gespräche: ${s.activeCalls}`,
    `Für DATEV nachzutragen: ${s.journalWaiting}`,
  ].join('\n');
  return { tooltip, problem: found.length > 0, text };
}
