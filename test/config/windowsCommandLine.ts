/**
 * How a Windows program's C runtime (the UCRT's wmain, which node.exe and so the packaged exe use;
 * CommandLineToArgvW agrees for everything below except `""` inside quotes) splits its command line
 * into argv — for tests of what the installer passes on its command lines.
 *
 * - argv[0], the program: up to the next blank, or in quotes up to the next quote (no escapes).
 * - Blanks (space, tab) outside quotes separate arguments; a quote toggles quoted mode and is dropped.
 * - 2n backslashes before a quote: n backslashes, the quote toggles; 2n+1: n backslashes and a
 *   literal quote. Backslashes not before a quote are literal.
 * - In quoted mode `""` is one literal quote (and quoted mode goes on).
 */
export function splitWindowsCommandLine(line: string): string[] {
  const [program, rest] = splitProgram(line);
  const args = [program];
  let i = 0;
  for (;;) {
    while (i < rest.length && isBlank(rest[i]!)) i++;
    if (i >= rest.length) return args;
    const [arg, next] = readArgument(rest, i);
    args.push(arg);
    i = next;
  }
}

function isBlank(ch: string): boolean {
  return ch === ' ' || ch === '\t';
}

/** argv[0] and the text after it. */
function splitProgram(line: string): [string, string] {
  if (line.startsWith('"')) {
    const end = line.indexOf('"', 1);
    return end < 0 ? [line.slice(1), ''] : [line.slice(1, end), line.slice(end + 1)];
  }
  const end = line.search(/[ \t]/);
  return end < 0 ? [line, ''] : [line.slice(0, end), line.slice(end)];
}

/** One argument from `start` (not a blank): its text and where the next one may begin. */
function readArgument(s: string, start: number): [string, number] {
  let arg = '';
  let quoted = false;
  let i = start;
  while (i < s.length && (quoted || !isBlank(s[i]!))) {
    if (s[i] === '\\') {
      let n = 0;
      while (s[i] === '\\') {
        n++;
        i++;
      }
      if (s[i] !== '"') arg += '\\'.repeat(n);
      else {
        arg += '\\'.repeat(Math.floor(n / 2));
        if (n % 2 === 1) {
          arg += '"';
          i++;
        }
      }
    } else if (s[i] === '"') {
      if (quoted && s[i + 1] === '"') {
        arg += '"';
        i += 2;
      } else {
        quoted = !quoted;
        i++;
      }
    } else arg += s[i++];
  }
  return [arg, i];
}
