/**
 * Every text the user sees, in German (English beside it in comments). Pure functions building the
 * dialog specs; the native layer only draws them.
 */
import type { DialogSpec } from './port';

export const TITLE = 'Wildix CTI';

export interface PartyView {
  /** The number as shown (DATEV's format when known). */
  number: string;
  /** Contact name, '' when unknown. */
  name: string;
  /** DATEV id, '' when unknown. */
  id: string;
  /** The contact lookup is still running. */
  searching?: boolean;
  /** Other candidates when the number belongs to several contacts. */
  alternatives?: { name: string; id: string }[];
}

function who(p: PartyView): string {
  if (p.name) return p.name;
  if (p.number) return p.number;
  return 'Unbekannter Anrufer'; // unknown caller
}

function details(p: PartyView): string {
  const lines: string[] = [];
  if (p.name && p.number) lines.push(p.number);
  if (p.id) lines.push(`DATEV-Nr. ${p.id}`); // DATEV id
  if (!p.name && p.number) lines.push(p.searching ? 'DATEV-Kontakt wird gesucht …' : 'Kein DATEV-Kontakt gefunden'); // searching / no DATEV contact found
  if (p.alternatives && p.alternatives.length > 0) {
    lines.push(`Mehrere DATEV-Kontakte mit dieser Nummer:`); // several DATEV contacts share this number
    for (const a of p.alternatives.slice(0, 5)) lines.push(`• ${a.name} (${a.id})`);
  }
  return lines.join('\n');
}

export const BUTTON = {
  answer: 'Annehmen', // answer
  reject: 'Ablehnen', // reject
  hangup: 'Auflegen', // hang up
  toDatev: 'An DATEV melden', // report to DATEV (the DATEV-Klick for a call a filter holds back)
} as const;

export function incomingDialog(p: PartyView, internal: boolean): DialogSpec {
  return {
    title: `${TITLE} – ${internal ? 'Interner Anruf' : 'Eingehender Anruf'}`, // internal / incoming call
    heading: who(p),
    text: details(p),
    buttons: [
      { id: 'answer', label: BUTTON.answer, enabled: true },
      { id: 'reject', label: BUTTON.reject, enabled: true },
    ],
  };
}

export function outgoingDialog(p: PartyView): DialogSpec {
  return {
    title: `${TITLE} – Ausgehender Anruf`, // outgoing call
    heading: `Anruf an ${who(p)}`, // calling …
    text: [details(p), 'Wählt …'].filter(Boolean).join('\n'), // dialling …
    buttons: [{ id: 'hangup', label: BUTTON.hangup, enabled: false }],
    // opened by the user's own click in DATEV: it may come to the front (the incoming one never does)
    takeFocus: true,
  };
}

export type OutgoingPhase = 'dialing' | 'ringing' | 'connected' | 'ended' | 'failed';

export function outgoingUpdate(p: PartyView, phase: OutgoingPhase, detail = ''): { heading: string; text: string } {
  const status: Record<OutgoingPhase, string> = {
    dialing: 'Wählt …', // dialling
    ringing: 'Es klingelt …', // ringing
    connected: 'Verbunden', // connected
    ended: 'Beendet', // ended
    failed: `Anruf fehlgeschlagen${detail ? `: ${detail}` : ''}`, // call failed
  };
  const heading = phase === 'connected' ? `Verbunden mit ${who(p)}` : `Anruf an ${who(p)}`;
  return { heading, text: [details(p), status[phase]].filter(Boolean).join('\n') };
}

export const MESSAGES = {
  dialRejected: (reason: string) => `DATEV hat einen Anruf angefordert, der nicht gewählt werden kann:\n${reason}`, // DATEV asked for a call that cannot be dialled
  noLine: (line: string) =>
    line
      ? `Die TAPI-Leitung „${line}“ wurde nicht gefunden. Bitte Wildix-TAPI-Treiber und Einstellung „line“ prüfen. Das Programm verbindet sich, sobald die Leitung verfügbar ist.`
      : 'Keine Wildix-TAPI-Leitung gefunden. Bitte den Wildix-TAPI-Treiber installieren bzw. anmelden. Das Programm verbindet sich, sobald eine Leitung verfügbar ist.', // line not found
  lineBack: (line: string) => `Die TAPI-Leitung „${line}“ ist wieder verfügbar.`, // line available again
  noTapi: (detail: string) => `TAPI ist nicht verfügbar: ${detail}`, // TAPI unavailable
  callFailed: (detail: string) => `Der Anruf konnte nicht gestartet werden: ${detail}`, // call could not be started
  actionFailed: (action: string, detail: string) => `„${action}“ ist fehlgeschlagen: ${detail}`, // action failed
  configProblems: (lines: string[]) => `Die Einstellungen enthalten Fehler; betroffene Werte verwenden den Standard:\n${lines.join('\n')}`, // config errors
};
