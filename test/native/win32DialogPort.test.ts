/**
 * Win32DialogPort's own logic against a scripted native/ui (the real windows run under Wine:
 * test/wine/dialogs.wine.test.ts): a close() requested while a click's result is still on its way
 * gives "closed", takeFocus reaches the native spec (default false), bad specs are refused.
 */
import { describe, expect, it } from 'vitest';
import { DialogError, Win32DialogPort } from '../../src/native/win32DialogPort';
import type { NativeDialogEvent, NativeDialogSpec, NativeUi } from '../../src/native/addon';
import type { DialogSpec } from '../../src/dialogs/port';

interface Shown {
  spec: NativeDialogSpec;
  emit(event: NativeDialogEvent): void;
}

function scriptedUi(): NativeUi & { shown: Shown[]; closed: number[] } {
  const shown: Shown[] = [];
  const closed: number[] = [];
  return {
    shown,
    closed,
    showDialog(spec, onEvent) {
      shown.push({ spec, emit: onEvent });
      return shown.length;
    },
    updateDialog: () => true,
    setButtonEnabled: () => true,
    closeDialog(id) {
      closed.push(id);
      return true;
    },
    messageBox: () => 1,
  };
}

const incoming: DialogSpec = {
  title: 'Wildix CTI – Eingehender Anruf',
  heading: 'Müller',
  text: '+49 89 1234567',
  buttons: [{ id: 'answer', label: 'Annehmen', enabled: true }],
};

/** Lets the port's promise callbacks run (native events arrive on later ticks). */
const tick = () => new Promise<void>((r) => setImmediate(r));

describe('Win32DialogPort', () => {
  it('gives "closed" when close() came before the result of a click that the window handled first', async () => {
    const ui = scriptedUi();
    const port = new Win32DialogPort(ui);
    const showing = port.show(incoming);
    ui.shown[0]!.emit({ type: 'shown' });
    const id = await showing;
    await port.close(id); // the call ended ...
    ui.shown[0]!.emit({ type: 'closed', reason: 'button', choice: 'answer' }); // ... the click's result arrives after
    expect(await port.result(id)).toEqual({ reason: 'closed' });
    expect(ui.closed).toEqual([id]);
  });

  it('keeps the button result when close() comes after the result arrived (and does not call native again)', async () => {
    const ui = scriptedUi();
    const port = new Win32DialogPort(ui);
    const showing = port.show(incoming);
    ui.shown[0]!.emit({ type: 'shown' });
    const id = await showing;
    ui.shown[0]!.emit({ type: 'closed', reason: 'button', choice: 'answer' });
    await tick();
    await port.close(id);
    expect(await port.result(id)).toEqual({ reason: 'button', choice: 'answer' });
    expect(ui.closed).toEqual([]);
  });

  it('gives "closed" for a timeout that raced close() too', async () => {
    const ui = scriptedUi();
    const port = new Win32DialogPort(ui);
    const showing = port.show({ ...incoming, timeoutMs: 100 });
    ui.shown[0]!.emit({ type: 'shown' });
    const id = await showing;
    await port.close(id);
    ui.shown[0]!.emit({ type: 'closed', reason: 'timeout', choice: '' });
    expect(await port.result(id)).toEqual({ reason: 'closed' });
  });

  it('passes takeFocus to native/ui: false unless the spec asks for the focus', async () => {
    const ui = scriptedUi();
    const port = new Win32DialogPort(ui);
    void port.show(incoming);
    void port.show({ ...incoming, takeFocus: true });
    void port.show({ ...incoming, takeFocus: false });
    expect(ui.shown.map((s) => s.spec.takeFocus)).toEqual([false, true, false]);
    expect(ui.shown[0]!.spec).toEqual({
      title: incoming.title,
      heading: incoming.heading,
      text: incoming.text,
      buttons: incoming.buttons,
      timeoutMs: 0,
      takeFocus: false,
    });
  });

  it('refuses a takeFocus that is not a boolean', async () => {
    const ui = scriptedUi();
    const port = new Win32DialogPort(ui);
    const err = await port.show({ ...incoming, takeFocus: 'yes' as unknown as boolean }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DialogError);
    expect(err).toMatchObject({ code: 'invalid-spec' });
    expect(ui.shown).toEqual([]);
  });

  it('forgets a dialog that failed to show: close() and result() of it do nothing / reject', async () => {
    const ui = scriptedUi();
    const port = new Win32DialogPort(ui);
    const showing = port.show(incoming).catch((e: unknown) => e);
    ui.shown[0]!.emit({ type: 'failed', message: 'no desktop' });
    expect(await showing).toMatchObject({ code: 'failed' });
    await port.close(1);
    expect(ui.closed).toEqual([]);
    await expect(port.result(1)).rejects.toMatchObject({ code: 'unknown-id' });
  });
});
