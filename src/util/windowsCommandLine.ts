/**
 * One Windows command line from arguments, quoted so that the C runtime (CommandLineToArgvW and the
 * MSVC/UCRT argv parser, which node.exe uses) reads back exactly these arguments — the rules libuv
 * applies when child_process.spawn starts a process: an argument without spaces, tabs and quotes stays
 * as it is; otherwise it is put in quotes, a quote inside is escaped with a backslash, and backslashes
 * are doubled where they come before a quote (including the closing one).
 */
export function quoteWindowsArg(arg: string): string {
  if (arg !== '' && !/[\s"]/.test(arg)) return arg;
  let out = '"';
  let backslashes = 0;
  for (const ch of arg) {
    if (ch === '\\') {
      backslashes++;
      continue;
    }
    out += ch === '"' ? '\\'.repeat(backslashes * 2 + 1) + '"' : '\\'.repeat(backslashes) + ch;
    backslashes = 0;
  }
  return `${out}${'\\'.repeat(backslashes * 2)}"`;
}

export function windowsCommandLine(args: readonly string[]): string {
  return args.map(quoteWindowsArg).join(' ');
}
