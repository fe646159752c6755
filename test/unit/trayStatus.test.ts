/** The tray icon's tooltip, icon choice and status text from App.status(). */
import { describe, expect, it } from 'vitest';
import type { AppStatus } from '../../src/app/app';
import { clip, TOOLTIP_MAX, trayStatus } from '../../src/app/trayStatus';

const ready: AppStatus = { line: 'open', lineName: '201', lineOutOfService: false, datevRegistered: true, datevPresent: true, activeCalls: 0, cti: 'ok', datevHangs: false, waitingForDatev: 0, journalWaiting: 0 };

describe('trayStatus', () => {
  it('ready: line and DATEV in the tooltip, information icon', () => {
    const s = trayStatus(ready);
    expect(s.tooltip).toBe('Wildix CTI – bereit (Leitung 201, DATEV verbunden)');
    expect(s.problem).toBe(false);
    expect(s.text).toBe(
      ['Zustand: bereit', 'Leitung: geöffnet (201)', 'DATEV Telefonie: läuft', 'Anmeldung bei DATEV (ROT): ja', 'CTI-Objekt (Selbsttest): antwortet', 'DATEV antwortet: ja', 'Laufende Gespräche: 0', 'Für DATEV nachzutragen: 0'].join('\n'),
    );
  });

  it('counts running calls (singular and plural)', () => {
    expect(trayStatus({ ...ready, activeCalls: 1 }).tooltip).toBe('Wildix CTI – bereit (Leitung 201, DATEV verbunden, 1 Gespräch)');
    expect(trayStatus({ ...ready, activeCalls: 2 }).tooltip).toBe('Wildix CTI – bereit (Leitung 201, DATEV verbunden, 2 Gespräche)');
    expect(trayStatus({ ...ready, activeCalls: 2 }).text).toContain('Laufende Gespräche: 2');
  });

  it('each problem has its own text and the warning icon', () => {
    expect(trayStatus({ ...ready, line: 'missing', lineName: '' })).toMatchObject({ tooltip: 'Wildix CTI – Leitung fehlt', problem: true });
    expect(trayStatus({ ...ready, line: 'no-tapi' })).toMatchObject({ tooltip: 'Wildix CTI – TAPI nicht verfügbar', problem: true });
    expect(trayStatus({ ...ready, line: 'starting' })).toMatchObject({ tooltip: 'Wildix CTI – Leitung wird gesucht', problem: true });
    expect(trayStatus({ ...ready, line: 'stopped' })).toMatchObject({ tooltip: 'Wildix CTI – Leitung geschlossen', problem: true });
    expect(trayStatus({ ...ready, datevPresent: false })).toMatchObject({ tooltip: 'Wildix CTI – DATEV nicht gestartet', problem: true });
    expect(trayStatus({ ...ready, datevRegistered: false })).toMatchObject({ tooltip: 'Wildix CTI – DATEV-Anmeldung fehlt', problem: true });
  });

  it('an open line the TSP reports out of service is a problem of its own', () => {
    const s = trayStatus({ ...ready, lineOutOfService: true });
    expect(s).toMatchObject({ tooltip: 'Wildix CTI – Leitung außer Betrieb', problem: true });
    expect(s.text).toContain('Leitung: geöffnet (201), laut TAPI außer Betrieb (keine Verbindung zur Telefonanlage?)');
  });

  it('several problems at once are all named; the text says what each part is', () => {
    const s = trayStatus({ ...ready, line: 'missing', lineName: '', datevPresent: false });
    expect(s.tooltip).toBe('Wildix CTI – Leitung fehlt, DATEV nicht gestartet');
    expect(s.text).toContain('Zustand: Leitung fehlt, DATEV nicht gestartet');
    expect(s.text).toContain('Leitung: fehlt');
    expect(s.text).toContain('DATEV Telefonie: nicht gestartet');
    expect(trayStatus({ ...ready, line: 'no-tapi' }).text).toContain('Leitung: TAPI nicht verfügbar');
    expect(trayStatus({ ...ready, line: 'starting' }).text).toContain('Leitung: wird gesucht');
    expect(trayStatus({ ...ready, line: 'stopped' }).text).toContain('Leitung: geschlossen');
    expect(trayStatus({ ...ready, datevRegistered: false }).text).toContain('Anmeldung bei DATEV (ROT): nein');
  });

  it('a long line name is cut so the tooltip fits 127 characters and keeps its end', () => {
    const s = trayStatus({ ...ready, lineName: 'Wildix 201 '.padEnd(300, 'x'), activeCalls: 3 });
    expect(s.tooltip.length).toBe(TOOLTIP_MAX);
    expect(s.tooltip).toMatch(/^Wildix CTI – bereit \(Leitung Wildix 201 x+…, DATEV verbunden, 3 Gespräche\)$/);
    expect(trayStatus({ ...ready, lineName: '  ' }).tooltip).toBe('Wildix CTI – bereit (Leitung ?, DATEV verbunden)');
  });

  it('clip never splits a surrogate pair', () => {
    expect(clip('abc', 3)).toBe('abc');
    expect(clip('abcdef', 4)).toBe('abc…');
    const cut = clip('ab😀cd', 4); // the emoji would be cut in half
    expect(cut).toBe('ab…');
    expect(cut.length).toBeLessThanOrEqual(4);
  });
});

describe('trayStatus: the DATEV connection over the day', () => {
  it('a DATEV that hangs is a problem, with the calls that wait for it', () => {
    const s = trayStatus({ ...ready, datevHangs: true, waitingForDatev: 2 });
    expect(s).toMatchObject({ tooltip: 'Wildix CTI – DATEV antwortet nicht (2 Gespräche warten)', problem: true });
    expect(s.text).toContain('DATEV antwortet: nein (hängt; 2 Gespräche warten auf DATEV)');
  });

  it('a CTI object that cannot be repaired asks for a restart; a rebuilt one is fine', () => {
    expect(trayStatus({ ...ready, cti: 'broken' })).toMatchObject({ tooltip: 'Wildix CTI – DATEV-Verbindung gestört, bitte neu starten', problem: true });
    const rebuilt = trayStatus({ ...ready, cti: 'rebuilt' });
    expect(rebuilt.problem).toBe(false);
    expect(rebuilt.text).toContain('CTI-Objekt (Selbsttest): antwortet (nach Neuaufbau)');
  });
});
