/**
 * Contract of the dialog port (src/dialogs/port.ts). Passed by the fake and by the Win32 dialogs under
 * Wine, where the "user" finds windows and buttons by their texts as a screen reader would.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DialogSpec } from '../src/dialogs/port';
import type { DialogHarness, VisibleDialog } from './harness';

const incoming: DialogSpec = {
  title: 'Wildix CTI – Eingehender Anruf',
  heading: 'Müller & Söhne GmbH',
  text: '+49 89 1234567\nDATEV-Nr. 4711',
  buttons: [
    { id: 'answer', label: 'Annehmen', enabled: true },
    { id: 'reject', label: 'Ablehnen', enabled: true },
  ],
};

const outgoing: DialogSpec = {
  title: 'Wildix CTI – Ausgehender Anruf',
  heading: 'Anruf an Ärztekammer Nürnberg',
  text: 'Wählt …',
  buttons: [{ id: 'hangup', label: 'Auflegen', enabled: false }],
};

export function dialogsContract(name: string, makeHarness: () => Promise<DialogHarness>): void {
  describe(`DialogPort contract: ${name}`, () => {
    let h: DialogHarness;
    beforeEach(async () => {
      h = await makeHarness();
    });
    afterEach(async () => {
      for (const d of await h.user.visible()) await h.port.close(d.id);
      await h.dispose();
    });

    async function shown(id: number): Promise<VisibleDialog> {
      const d = (await h.user.visible()).find((v) => v.id === id);
      expect(d, `dialog ${id} is visible`).toBeDefined();
      return d!;
    }

    it('shows a dialog with its title, texts (umlauts intact) and buttons', async () => {
      const id = await h.port.show(incoming);
      const d = await shown(id);
      expect(d.title).toBe(incoming.title);
      expect(d.title.startsWith('Wildix CTI')).toBe(true);
      expect(d.text).toContain('Müller & Söhne GmbH');
      expect(d.text).toContain('+49 89 1234567');
      expect(d.buttons).toEqual([
        { label: 'Annehmen', enabled: true },
        { label: 'Ablehnen', enabled: true },
      ]);
    });

    it('returns the id of the button the user pressed', async () => {
      const id = await h.port.show(incoming);
      await shown(id);
      await h.user.click(id, 'Ablehnen');
      expect(await h.port.result(id)).toEqual({ reason: 'button', choice: 'reject' });
      expect((await h.user.visible()).map((v) => v.id)).not.toContain(id);
    });

    it('ignores a disabled button until it is enabled from code', async () => {
      const id = await h.port.show(outgoing);
      expect((await shown(id)).buttons).toEqual([{ label: 'Auflegen', enabled: false }]);
      await h.user.click(id, 'Auflegen');
      expect((await h.user.visible()).map((v) => v.id)).toContain(id);
      await h.port.setButtonEnabled(id, 'hangup', true);
      expect((await shown(id)).buttons).toEqual([{ label: 'Auflegen', enabled: true }]);
      await h.user.click(id, 'Auflegen');
      expect(await h.port.result(id)).toEqual({ reason: 'button', choice: 'hangup' });
    });

    it('updates the text of an open dialog', async () => {
      const id = await h.port.show(outgoing);
      await h.port.update(id, 'Verbunden mit Ärztekammer Nürnberg', 'Dauer 00:05');
      const d = await shown(id);
      expect(d.text).toContain('Verbunden mit Ärztekammer Nürnberg');
      expect(d.text).toContain('Dauer 00:05');
    });

    it('closes from code with reason "closed"', async () => {
      const id = await h.port.show(incoming);
      await h.port.close(id);
      expect(await h.port.result(id)).toEqual({ reason: 'closed' });
      expect((await h.user.visible()).map((v) => v.id)).not.toContain(id);
    });

    it('gives "closed" once close() was requested, even when the user\'s click was already under way', async () => {
      const id = await h.port.show(incoming);
      await shown(id);
      // the call ended (the program closes the dialog) while the user clicks "Annehmen": no answer wanted
      const clicking = h.user.click(id, 'Annehmen').catch(() => undefined); // the window may be gone already
      await h.port.close(id);
      await clicking;
      expect(await h.port.result(id)).toEqual({ reason: 'closed' });
    });

    it('ignores a click that comes after close()', async () => {
      const id = await h.port.show(incoming);
      await shown(id);
      await h.port.close(id);
      await h.user.click(id, 'Annehmen').catch(() => undefined);
      expect(await h.port.result(id)).toEqual({ reason: 'closed' });
      expect((await h.user.visible()).map((v) => v.id)).not.toContain(id);
    });

    it('shows a dialog that may not take the focus (the default) and one that may, both clickable', async () => {
      const quiet = await h.port.show(incoming);
      const asked = await h.port.show({ ...outgoing, takeFocus: true, buttons: [{ id: 'hangup', label: 'Auflegen', enabled: true }] });
      await h.user.click(quiet, 'Annehmen');
      await h.user.click(asked, 'Auflegen');
      expect(await h.port.result(quiet)).toEqual({ reason: 'button', choice: 'answer' });
      expect(await h.port.result(asked)).toEqual({ reason: 'button', choice: 'hangup' });
    });

    it('reports a window the user closed as "dismissed"', async () => {
      const id = await h.port.show(incoming);
      await shown(id);
      await h.user.dismiss(id);
      expect((await h.port.result(id)).reason).toBe('dismissed');
    });

    it('closes by itself after timeoutMs with reason "timeout"', async () => {
      const id = await h.port.show({ ...incoming, timeoutMs: 300 });
      expect((await h.port.result(id)).reason).toBe('timeout');
    });

    it('keeps several dialogs apart', async () => {
      const a = await h.port.show(incoming);
      const b = await h.port.show(outgoing);
      expect(a).not.toBe(b);
      await h.user.click(a, 'Annehmen');
      expect(await h.port.result(a)).toEqual({ reason: 'button', choice: 'answer' });
      expect((await shown(b)).title).toBe(outgoing.title);
      await h.port.close(b);
      expect((await h.port.result(b)).reason).toBe('closed');
    });

    it('treats operations on closed or unknown dialogs as no-ops, and rejects result() of an unknown id', async () => {
      const id = await h.port.show(incoming);
      await h.port.close(id);
      await h.port.close(id);
      await h.port.update(id, 'x', 'y');
      await h.port.setButtonEnabled(id, 'answer', false);
      await h.port.setButtonEnabled(987654, 'answer', false);
      await expect(h.port.result(987654)).rejects.toThrow();
    });
  });
}
