/** The tray icon of src/cli/tray.ts on native/tray (Shell_NotifyIconW on its own thread). */
import type { CreateTray, TrayCommand } from '../cli/tray';
import type { NativeTray } from './addon';
import { guarded } from './guard';

export function nativeTray(tray: NativeTray): CreateTray {
  return (tooltip, problem, onCommand) => {
    const state = tray.create(tooltip, problem, guarded('tray', (command: TrayCommand) => onCommand(command)));
    let open = true;
    return {
      shown: state === 'shown',
      icon: {
        setStatus(t, p) {
          if (open) tray.setStatus(t, p);
        },
        close() {
          if (!open) return;
          open = false;
          tray.close();
        },
      },
    };
  };
}
