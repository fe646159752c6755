/**
 * Callbacks handed to the addon run on the JavaScript thread, called by a native thread through a
 * thread-safe function. An exception one throws would go back into the addon: node-addon-api then
 * leaks the event and re-throws it as an uncaught exception, which ends the program. A guarded callback
 * reports it instead (to the log where the adapter has one) and the program goes on.
 */
export function guarded<A extends unknown[]>(where: string, fn: (...args: A) => void, report: (message: string) => void = toStderr): (...args: A) => void {
  return (...args: A): void => {
    try {
      fn(...args);
    } catch (e) {
      try {
        report(`${where}: handling an event from the addon failed: ${(e as Error)?.stack ?? String(e)}`);
      } catch {
        // the report itself failed: nothing more to do on this thread
      }
    }
  };
}

function toStderr(message: string): void {
  process.stderr.write(`Wildix CTI: ${message}\n`);
}
