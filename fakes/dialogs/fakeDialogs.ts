/**
 * Scriptable in-memory dialogs: `port` is what the program uses, `user` plays the person in front of
 * the screen. Every dialog ever shown stays in `history` for assertions and the simulation output.
 * Like the real adapter, a result reaches the program asynchronously (a click closes the window at
 * once, its result arrives a moment later), and a close() requested before it arrived wins: the
 * result is then "closed". The 'shown' event says whether the dialog took the focus (takeFocus).
 */
import type { DialogPort, DialogResult, DialogSpec } from '../../src/dialogs/port';
import type { DialogUser, VisibleDialog } from '../../contracts/harness';
import { systemClock, type Clock } from '../../src/util/clock';

interface OpenDialog {
  id: number;
  spec: DialogSpec;
  heading: string;
  text: string;
  enabled: Map<string, boolean>;
  open: boolean;
  /** The result on its way to the program (the window is gone already). */
  pending?: DialogResult;
  result: Promise<DialogResult>;
  finish: (r: DialogResult) => void;
  cancelTimer?: () => void;
}

export interface DialogEvent {
  type: 'shown' | 'updated' | 'button' | 'closed';
  id: number;
  title: string;
  heading: string;
  text: string;
  detail?: string;
  /** 'shown' only: whether the dialog took the keyboard focus. */
  takeFocus?: boolean;
}

export class FakeDialogs {
  readonly port: DialogPort;
  readonly user: DialogUser;
  readonly history: DialogEvent[] = [];
  /** When set, show() rejects (e.g. no desktop). */
  failShow = false;
  private readonly dialogs = new Map<number, OpenDialog>();
  private readonly listeners: ((e: DialogEvent) => void)[] = [];
  private nextId = 1;

  constructor(private readonly clock: Clock = systemClock) {
    this.port = {
      show: async (spec) => this.show(spec),
      update: async (id, heading, text) => {
        const d = this.openDialog(id);
        if (!d) return;
        d.heading = heading;
        d.text = text;
        this.log('updated', d);
      },
      setButtonEnabled: async (id, buttonId, enabled) => {
        const d = this.openDialog(id);
        if (!d || !d.enabled.has(buttonId)) return;
        d.enabled.set(buttonId, enabled);
        this.log('button', d, `${buttonId}=${enabled ? 'enabled' : 'disabled'}`);
      },
      close: async (id) => {
        const d = this.dialogs.get(id);
        if (!d) return;
        if (d.open) this.finish(d, { reason: 'closed' });
        else if (d.pending) d.pending = { reason: 'closed' }; // the click raced the close: close wins
      },
      result: async (id) => {
        const d = this.dialogs.get(id);
        if (!d) throw new Error(`unknown dialog ${id}`);
        return d.result;
      },
      message: async (title, text, kind, timeoutMs) => {
        const id = await this.show({
          title,
          heading: kind === 'error' ? 'Fehler' : 'Hinweis',
          text,
          buttons: [{ id: 'ok', label: 'OK', enabled: true }],
          ...(timeoutMs !== undefined ? { timeoutMs } : {}),
        });
        await this.port.result(id);
      },
    };
    this.user = {
      visible: async () => this.visible(),
      click: async (id, label) => {
        const d = this.openDialog(id);
        if (!d) return;
        const button = d.spec.buttons.find((b) => b.label === label);
        if (!button || !d.enabled.get(button.id)) return;
        this.finish(d, { reason: 'button', choice: button.id });
      },
      dismiss: async (id) => {
        const d = this.openDialog(id);
        if (d) this.finish(d, { reason: 'dismissed' });
      },
    };
  }

  onEvent(listener: (e: DialogEvent) => void): void {
    this.listeners.push(listener);
  }

  /** Synchronous view of the open dialogs. */
  visible(): VisibleDialog[] {
    return [...this.dialogs.values()]
      .filter((d) => d.open)
      .map((d) => ({
        id: d.id,
        title: d.spec.title,
        text: d.heading ? `${d.heading}\n${d.text}` : d.text,
        buttons: d.spec.buttons.map((b) => ({ label: b.label, enabled: d.enabled.get(b.id) ?? false })),
      }));
  }

  private async show(spec: DialogSpec): Promise<number> {
    if (this.failShow) throw new Error('no desktop: dialog cannot be shown');
    const id = this.nextId++;
    let finish!: (r: DialogResult) => void;
    const result = new Promise<DialogResult>((r) => (finish = r));
    const d: OpenDialog = {
      id,
      spec: { ...spec, buttons: spec.buttons.map((b) => ({ ...b })) },
      heading: spec.heading,
      text: spec.text,
      enabled: new Map(spec.buttons.map((b) => [b.id, b.enabled])),
      open: true,
      result,
      finish,
    };
    if (spec.timeoutMs !== undefined) d.cancelTimer = this.clock.setTimeout(() => this.finish(d, { reason: 'timeout' }), spec.timeoutMs);
    this.dialogs.set(id, d);
    this.log('shown', d, spec.buttons.map((b) => `[${b.label}${b.enabled ? '' : ' (gesperrt)'}]`).join(' '), spec.takeFocus ?? false);
    return id;
  }

  private openDialog(id: number): OpenDialog | undefined {
    const d = this.dialogs.get(id);
    return d && d.open ? d : undefined;
  }

  private finish(d: OpenDialog, r: DialogResult): void {
    if (!d.open) return;
    d.open = false;
    d.cancelTimer?.();
    this.log('closed', d, r.choice ? `${r.reason}: ${r.choice}` : r.reason);
    if (r.reason === 'closed') {
      d.finish(r);
      return;
    }
    d.pending = r;
    setImmediate(() => {
      const final = d.pending ?? r;
      d.pending = undefined;
      d.finish(final);
    });
  }

  private log(type: DialogEvent['type'], d: OpenDialog, detail?: string, takeFocus?: boolean): void {
    const e: DialogEvent = {
      type,
      id: d.id,
      title: d.spec.title,
      heading: d.heading,
      text: d.text,
      ...(detail ? { detail } : {}),
      ...(takeFocus !== undefined ? { takeFocus } : {}),
    };
    this.history.push(e);
    for (const l of this.listeners) l(e);
  }
}
