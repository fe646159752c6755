/** The tray icon of src/cli/tray.ts on native/tray (Shell_NotifyIconW on its own thread). */
import type { CreateTray } from '../cli/tray';
import type { NativeTray, NativeTrayEvent } from './addon';
import { guarded } from './guard';

export function nativeTray(tray: NativeTray): CreateTray {
  return (tooltip, problem, onCommand) => {
    let iconResult: (shown: boolean) => void = () => undefined;
    const shown = new Promise<boolean>((resolve) => {
      iconResult = resolve;
    });
    tray.create(
      tooltip,
      problem,
      guarded('tray', (event: NativeTrayEvent) => {
        if (event === 'shown' || event === 'no-shell') iconResult(event === 'shown');
        else onCommand(event);
      }),
    );
    let open = true;
    return {
      shown,
      icon: {
        setStatus(t, p) {
          if (open) tray.setStatus(t, p);
        },
        close() {
          if (!open) return;
          open = false;
          iconResult(false); // (closed before the shell said)
          tray.close();
        },
      },
    };
  };
}
