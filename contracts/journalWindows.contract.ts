/**
 * Contract of the journal's windows (src/journal/windows.ts): the note after a call, the call list
 * and the contact chooser. The in-memory fake and the native windows (native/ui, under Wine with
 * win-user.exe as the user) must both pass it.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CallListAction, CallListRow, NoteWindowSpec } from '../src/journal/windows';
import type { JournalWindowsHarness } from './harness';

function noteSpec(overrides: Partial<NoteWindowSpec> = {}): NoteWindowSpec {
  return {
    title: 'Wildix CTI – Notiz',
    heading: 'Müller & Söhne GmbH (089 1234567)',
    text: 'Anruf von Müller & Söhne GmbH\n02.12.2026 09:30, Dauer 4:05',
    maxLength: 2000,
    saveLabel: 'Speichern',
    discardLabel: 'Verwerfen',
    timeoutMs: 60000,
    ...overrides,
  };
}

function row(n: number, overrides: Partial<CallListRow> = {}): CallListRow {
  return {
    id: `call-${n}`,
    cells: [`02.12.2026 09:3${n}`, 'eingehend', `089 123456${n}`, n % 2 ? 'Müller & Söhne GmbH (4711)' : '–', '4:05', 'verbunden', 'ja'],
    canNote: true,
    canSend: n === 2,
    canAssign: n % 2 === 0,
    ...overrides,
  };
}

const listSpec = (rows: CallListRow[]) => ({
  title: 'Wildix CTI – Anrufliste',
  columns: ['Zeit', 'Richtung', 'Nummer', 'Kontakt', 'Dauer', 'Ergebnis', 'DATEV'],
  rows,
  noteLabel: 'Notiz an DATEV senden',
  sendLabel: 'An DATEV senden',
  assignLabel: 'Kontakt zuordnen…',
  closeLabel: 'Schließen',
});

async function eventually<T>(check: () => Promise<T | undefined>, what: string, ms = 15000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function journalWindowsContract(name: string, makeHarness: () => Promise<JournalWindowsHarness>): void {
  describe(`Journal windows contract: ${name}`, () => {
    let h: JournalWindowsHarness;
    beforeEach(async () => {
      h = await makeHarness();
    });
    afterEach(async () => {
      await h.dispose();
    });

    it('shows the note window without taking the focus; „Speichern“ gives the text as typed', async () => {
      const id = await h.notes.show(noteSpec());
      const shown = (await h.user.notes()).find((n) => n.id === id)!;
      expect(shown).toMatchObject({ title: 'Wildix CTI – Notiz', heading: 'Müller & Söhne GmbH (089 1234567)', focused: false });
      expect(shown.text).toContain('Dauer 4:05');
      await h.user.saveNote(id, 'Rückruf zur USt-VA\nUnterlagen „folgen“ per Post');
      expect(await h.notes.result(id)).toEqual({ reason: 'save', text: 'Rückruf zur USt-VA\r\nUnterlagen „folgen“ per Post'.replace(/\r\n/g, '\n') });
    });

    it('takes no more than maxLength characters', async () => {
      // (the program's 2,000; a smaller limit types faster under Wine, one key at a time)
      const id = await h.notes.show(noteSpec({ maxLength: 200 }));
      await h.user.saveNote(id, 'x'.repeat(250));
      const r = await h.notes.result(id);
      expect(r.reason).toBe('save');
      expect(r.reason === 'save' && r.text.length).toBe(200);
    });

    it('„Verwerfen“, a close from code and the timeout end the note unsent', async () => {
      const a = await h.notes.show(noteSpec());
      await h.user.discardNote(a);
      expect(await h.notes.result(a)).toEqual({ reason: 'discard' });
      const b = await h.notes.show(noteSpec());
      await h.notes.close(b);
      expect(await h.notes.result(b)).toEqual({ reason: 'closed' });
      await h.notes.close(b); // closed already: nothing happens
      const c = await h.notes.show(noteSpec({ timeoutMs: 300 }));
      expect(await h.notes.result(c)).toEqual({ reason: 'timeout' });
      expect((await h.user.notes()).filter((n) => [a, b, c].includes(n.id))).toEqual([]);
      await expect(h.notes.result(99999)).rejects.toThrow();
    });

    it('shows the call list with its rows; actions reach the program for the selected row, disabled ones do nothing', async () => {
      const actions: [CallListAction, string][] = [];
      let closed = 0;
      await h.list.show(listSpec([row(1), row(2), row(3, { canNote: false })]), (a, id) => actions.push([a, id]), () => closed++);
      const rows = await eventually(() => h.user.callListRows(), 'the call list');
      expect(rows.map((r) => r.id)).toEqual(['call-1', 'call-2', 'call-3']);
      expect(rows[0]!.cells).toEqual(row(1).cells);
      await h.user.callListAction('call-2', 'send');
      await h.user.callListAction('call-2', 'assign');
      await h.user.callListAction('call-1', 'send'); // disabled for this row
      await h.user.callListAction('call-3', 'note'); // disabled for this row
      await h.user.callListAction('call-1', 'note');
      await eventually(async () => (actions.length >= 3 ? true : undefined), 'three actions');
      expect(actions).toEqual([
        ['send', 'call-2'],
        ['assign', 'call-2'],
        ['note', 'call-1'],
      ]);
      await h.list.update([row(4), row(1)]);
      expect((await h.user.callListRows())!.map((r) => r.id)).toEqual(['call-4', 'call-1']);
      await h.user.closeCallList();
      await eventually(async () => (closed === 1 ? true : undefined), 'the close to be reported');
      expect(await h.user.callListRows()).toBeUndefined();
      await h.list.update([row(5)]); // not open: nothing happens
      expect(await h.user.callListRows()).toBeUndefined();
    });

    it('shows the call list once: showing it again replaces the rows of the same window', async () => {
      await h.list.show(listSpec([row(1)]), () => undefined, () => undefined);
      await h.list.show(listSpec([row(2), row(3)]), () => undefined, () => undefined);
      expect((await eventually(() => h.user.callListRows(), 'the call list'))!.map((r) => r.id)).toEqual(['call-2', 'call-3']);
      await h.list.close();
      expect(await h.user.callListRows()).toBeUndefined();
    });

    it('the contact chooser asks the program as the user types and returns the picked id; cancel returns nothing', async () => {
      const asked: string[] = [];
      const search = async (text: string) => {
        asked.push(text);
        return text.length < 2
          ? []
          : [
              { id: 'DATEV_Adressaten:4711', label: 'Müller & Söhne GmbH (4711)' },
              { id: 'DATEV_Adressaten:4712', label: 'Müller Bau KG (4712)' },
            ];
      };
      const spec = { title: 'Wildix CTI – Kontakt zuordnen', heading: '089 1234562', searchLabel: 'Name:', chooseLabel: 'Zuordnen', cancelLabel: 'Abbrechen' };
      const picked = h.chooser.choose(spec, search);
      expect(await h.user.chooserSearch('Mü')).toEqual(['Müller & Söhne GmbH (4711)', 'Müller Bau KG (4712)']);
      expect(asked).toContain('Mü');
      await h.user.chooserPick('Müller Bau KG (4712)');
      expect(await picked).toBe('DATEV_Adressaten:4712');
      const cancelled = h.chooser.choose(spec, search);
      await h.user.chooserSearch('Mü');
      await h.user.chooserCancel();
      expect(await cancelled).toBeUndefined();
    });
  });
}
