/**
 * What the installer runs: --write-defaults (pre-seeded settings, checked by the config schema) and
 * --stop --wait (end the running instance before files are replaced); the value sources in --diagnose.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseArgs, helpText } from '../../src/cli/args';
import { run, type RunDeps } from '../../src/cli/run';
import { STOP_POLL_MS, stopAndWait } from '../../src/cli/stopWait';
import { mergeDeep, nodeDefaultsFiles, writeDefaults, type DefaultsFiles, type WriteDefaultsIo } from '../../src/cli/writeDefaults';
import { STOP_RETRY_MS, type Workstation } from '../../src/cli/workstation';
import { MemoryLogger } from '../../src/logging/logger';

/** In-memory files; `failWrite` makes writes throw. */
class MemoryFiles implements DefaultsFiles {
  files = new Map<string, string>();
  failWrite?: Error;
  failAppend?: Error;
  read(file: string): string {
    const v = this.files.get(file);
    if (v === undefined) throw Object.assign(new Error(`ENOENT: ${file}`), { code: 'ENOENT' });
    return v;
  }
  write(file: string, text: string): void {
    if (this.failWrite) throw this.failWrite;
    this.files.set(file, text);
  }
  append(file: string, text: string): void {
    if (this.failAppend) throw this.failAppend;
    this.files.set(file, (this.files.get(file) ?? '') + text);
  }
}

const FILE = 'C:\\ProgramData\\Wildix\\DatevCti\\defaults.json';
const SETUP_LOG = 'C:\\Temp\\wildix-datev-cti-setup.log';

function io(files = new MemoryFiles(), withBox = true) {
  const out: string[] = [];
  const err: string[] = [];
  const boxes: { title: string; text: string }[] = [];
  const i: WriteDefaultsIo = {
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    files,
    setupLog: SETUP_LOG,
    now: () => new Date(2026, 11, 2, 9, 30, 5),
    ...(withBox
      ? {
          message: async (title: string, text: string) => {
            boxes.push({ title, text });
          },
        }
      : {}),
  };
  return { i, out, err, boxes, files };
}

describe('--write-defaults', () => {
  it('writes the given properties as a defaults file and notes it in the setup log', async () => {
    const t = io();
    expect(await writeDefaults({ file: FILE, assignments: ['LINE=201', 'DIALFORMAT=national', 'DATEVCONNECTURL=http://dc:58454', 'AREACODE='] }, t.i)).toBe(0);
    expect(JSON.parse(t.files.read(FILE))).toEqual({ line: '201', dialFormat: 'national', contacts: { datevConnect: { baseUrl: 'http://dc:58454' } } });
    expect(t.files.read(FILE).endsWith('}\n')).toBe(true);
    expect(t.out).toEqual([`Voreinstellungen geschrieben / defaults written: ${FILE}: LINE=201 DIALFORMAT=national DATEVCONNECTURL=http://dc:58454`]);
    expect(t.files.read(SETUP_LOG)).toBe(`2026-12-02 09:30:05 ${t.out[0]}\r\n`);
    expect(t.err).toEqual([]);
  });

  it('merges into an existing defaults file key by key (an upgrade with one new property keeps the rest)', async () => {
    const t = io();
    t.files.files.set(FILE, '\uFEFF' + JSON.stringify({ line: '201', dialFormat: 'national', contacts: { datevConnect: { auth: 'basic', user: 'x' } } }));
    expect(await writeDefaults({ file: FILE, assignments: ['LINE=202', 'DATEVCONNECTUSER=KANZLEI\\anna'] }, t.i)).toBe(0);
    expect(JSON.parse(t.files.read(FILE))).toEqual({ line: '202', dialFormat: 'national', contacts: { datevConnect: { auth: 'basic', user: 'KANZLEI\\anna' } } });
  });

  it('no property given: the file is left as it is', async () => {
    const t = io();
    t.files.files.set(FILE, '{"line":"201"}');
    expect(await writeDefaults({ file: FILE, assignments: ['LINE=', 'DIALFORMAT='] }, t.i)).toBe(0);
    expect(t.files.read(FILE)).toBe('{"line":"201"}');
    expect(t.out[0]).toContain('no defaults given');
  });

  it('replaces an old file that is not a JSON object, and says so', async () => {
    const a = io();
    a.files.files.set(FILE, '[1]');
    expect(await writeDefaults({ file: FILE, assignments: ['LINE=1'] }, a.i)).toBe(0);
    expect(JSON.parse(a.files.read(FILE))).toEqual({ line: '1' });
    expect(a.out[0]).toContain('was not a JSON object and was replaced');
    const b = io();
    b.files.files.set(FILE, '{ broken');
    expect(await writeDefaults({ file: FILE, assignments: ['LINE=1'] }, b.i)).toBe(0);
    expect(b.out[0]).toContain('could not be read and was replaced');
    // the old content is kept beside it: an administrator's other settings are not lost
    expect(a.files.read(`${FILE}.old`)).toBe('[1]');
    expect(b.files.read(`${FILE}.old`)).toBe('{ broken');
    expect(b.out[0]).toContain(`${FILE}.old`);
  });

  it('a bad property: nothing written, exit 1, the reason on stderr, in the setup log and — interactive only — in a message box', async () => {
    const silent = io();
    silent.files.files.set(FILE, '{"line":"201"}');
    expect(await writeDefaults({ file: FILE, assignments: ['LINE=202', 'DIALFORMAT=fast'], uiLevel: 2 }, silent.i)).toBe(1);
    expect(silent.files.read(FILE)).toBe('{"line":"201"}');
    expect(silent.err[0]).toBe(`Installation abgebrochen: ungültige Eigenschaft(en) / installation stopped: invalid property (${FILE} unverändert / unchanged)`);
    expect(silent.err[1]).toContain('DIALFORMAT (dialFormat): ungültiger Wert / invalid value "fast": erlaubt / allowed: "e164", "national", "digits"');
    expect(silent.files.read(SETUP_LOG)).toContain('DIALFORMAT (dialFormat)');
    expect(silent.boxes).toEqual([]);

    const interactive = io();
    expect(await writeDefaults({ file: FILE, assignments: ['DIALFORMAT=fast', 'NOPE=1'], uiLevel: 5 }, interactive.i)).toBe(1);
    expect(interactive.boxes).toHaveLength(1);
    expect(interactive.boxes[0]!.title).toBe('Wildix CTI für DATEV – Installation');
    expect(interactive.boxes[0]!.text).toContain('invalid properties');
    expect(interactive.boxes[0]!.text).toContain('NOPE: unbekannte Eigenschaft');
  });

  it('a failing message box or setup log never hides the result', async () => {
    const t = io();
    t.i.message = async () => Promise.reject(new Error('no desktop'));
    t.files.failAppend = new Error('disk full');
    expect(await writeDefaults({ file: FILE, assignments: ['DIALFORMAT=fast'], uiLevel: 5 }, t.i)).toBe(1);
    expect(t.err[0]).toContain('installation stopped');
    const n = io(new MemoryFiles(), false);
    delete n.i.setupLog;
    expect(await writeDefaults({ file: FILE, assignments: ['DIALFORMAT=fast'], uiLevel: 5 }, n.i)).toBe(1);
  });

  it('a file that cannot be written fails the install with the folder named', async () => {
    const t = io();
    t.files.failWrite = Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
    expect(await writeDefaults({ file: FILE, assignments: ['LINE=201'] }, t.i)).toBe(1);
    expect(t.err[0]).toContain(`defaults could not be written: ${FILE}: EACCES`);
    expect(t.err[1]).toContain('Ordner / folder');
  });

  it('the real files: the folder is created and the file replaced whole', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wdef-'));
    const file = join(dir, 'a', 'b', 'defaults.json');
    const f = nodeDefaultsFiles();
    f.write(file, '{"x":1}\n');
    f.write(file, '{"x":2}\n');
    expect(f.read(file)).toBe('{"x":2}\n');
    f.append(join(dir, 'log'), 'a');
    f.append(join(dir, 'log'), 'b');
    expect(readFileSync(join(dir, 'log'), 'utf8')).toBe('ab');
    mkdirSync(join(dir, 'isdir'));
    expect(() => f.write(join(dir, 'isdir'), 'x')).toThrow();
  });

  it('mergeDeep merges nested sections and replaces scalars', () => {
    expect(mergeDeep({ a: 1, s: { x: 1, y: 2 }, t: 5 }, { s: { y: 3 }, t: { z: 1 } })).toEqual({ a: 1, s: { x: 1, y: 3 }, t: { z: 1 } });
  });
});

describe('command line of the installer', () => {
  it('--write-defaults takes a file, an optional --ui-level and the rest as NAME=VALUE', () => {
    const r = parseArgs(['--write-defaults', 'C:\\d.json', '--ui-level', '5', 'LINE=201', 'DIALFORMAT=national']);
    expect(r).toMatchObject({ ok: true, options: { writeDefaults: { file: 'C:\\d.json', uiLevel: 5, assignments: ['LINE=201', 'DIALFORMAT=national'] } } });
    expect(parseArgs(['--write-defaults'])).toMatchObject({ ok: false, error: expect.stringContaining('needs a file') });
    expect(parseArgs(['--write-defaults', '--ui-level'])).toMatchObject({ ok: false, error: expect.stringContaining('needs a file') });
    expect(parseArgs(['--write-defaults', 'f', '--ui-level', 'x'])).toMatchObject({ ok: false, error: expect.stringContaining('--ui-level') });
    // everything after the file belongs to it, even what looks like an option
    expect(parseArgs(['--write-defaults', 'f', '--verbose'])).toMatchObject({ ok: true, options: { verbose: false, writeDefaults: { assignments: ['--verbose'] } } });
  });

  it('--wait goes with --stop and takes 1–300 seconds', () => {
    expect(parseArgs(['--stop', '--wait', '30'])).toMatchObject({ ok: true, options: { stop: true, waitSeconds: 30 } });
    expect(parseArgs(['--stop', '--wait=5'])).toMatchObject({ ok: true, options: { waitSeconds: 5 } });
    expect(parseArgs(['--wait', '5'])).toMatchObject({ ok: false, error: expect.stringContaining('only with --stop') });
    for (const bad of [['--stop', '--wait'], ['--stop', '--wait', '0'], ['--stop', '--wait', '301'], ['--stop', '--wait', 'x']]) {
      expect(parseArgs(bad)).toMatchObject({ ok: false, error: expect.stringContaining('--wait') });
    }
    expect(helpText('1')).toContain('--stop --wait');
    expect(helpText('1')).toContain('--write-defaults');
  });
});

describe('--stop --wait', () => {
  const logIo = () => {
    const out: string[] = [];
    const err: string[] = [];
    return { io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t), log: new MemoryLogger() }, out, err };
  };
  /**
   * A session where another instance runs (holds the lock), answers a stop request only after
   * `refusals` requests (still starting: no stop window yet; never: Infinity) and ends after
   * `endsAfter` polls once asked (never: -1). Not running: no answer and a free lock.
   */
  function session(opts: { running: boolean; endsAfter: number; failStop?: Error; refusals?: number }) {
    let polls = 0;
    let requests = 0;
    let asked = false;
    const ws = {
      requestStop: () => {
        if (opts.failStop) throw opts.failStop;
        asked = ++requests > (opts.refusals ?? 0) && opts.running;
        return asked;
      },
      claimInstance: () => {
        if (!opts.running) return 'acquired';
        if (!asked) return 'running';
        return ++polls > opts.endsAfter && opts.endsAfter >= 0 ? 'acquired' : 'running';
      },
    } as unknown as Workstation;
    let t = 0;
    const deps = {
      sleep: async (ms: number) => {
        t += ms;
      },
      pause: (ms: number) => {
        t += ms;
      },
      now: () => t,
    };
    return { get: () => ws, deps, polls: () => polls, requests: () => requests, elapsed: () => t };
  }

  it('asks the instance to stop and returns once it has ended', async () => {
    const s = session({ running: true, endsAfter: 3 });
    const l = logIo();
    expect(await stopAndWait(s.get, 30, l.io, s.deps)).toBe(0);
    expect(s.polls()).toBe(4);
    expect(l.out).toEqual(['Wildix CTI für DATEV wird beendet / the running instance was asked to stop.', 'Wildix CTI für DATEV ist beendet / has ended.']);
    expect(l.io.log.has('info', 'the running instance has ended')).toBe(true);
  });

  it('gives up after the given seconds (exit 1) and says so', async () => {
    const s = session({ running: true, endsAfter: -1 });
    const l = logIo();
    expect(await stopAndWait(s.get, 2, l.io, s.deps)).toBe(1);
    expect(s.polls()).toBe((2 * 1000) / STOP_POLL_MS);
    expect(l.err).toEqual(['Wildix CTI für DATEV läuft nach 2 s noch / still runs after 2 s']);
  });

  it('an instance still starting (lock held, no stop window yet) is asked again until it answers', async () => {
    const s = session({ running: true, refusals: 2, endsAfter: 1 });
    const l = logIo();
    expect(await stopAndWait(s.get, 30, l.io, s.deps)).toBe(0);
    expect(s.requests()).toBe(3);
    expect(l.err).toEqual([]);
    expect(l.out).toEqual(['Wildix CTI für DATEV wird beendet / the running instance was asked to stop.', 'Wildix CTI für DATEV ist beendet / has ended.']);
  });

  it('an instance slow to start is asked on past STOP_RETRY_MS, within the wait', async () => {
    const s = session({ running: true, refusals: 40, endsAfter: 0 });
    const l = logIo();
    expect(await stopAndWait(s.get, 30, l.io, s.deps)).toBe(0);
    expect(s.requests()).toBe(41);
    expect(s.elapsed()).toBeGreaterThan(STOP_RETRY_MS);
  });

  it('an instance that holds the lock but never answers: exit 1 at the end of the wait, and says so', async () => {
    const s = session({ running: true, refusals: Infinity, endsAfter: 0 });
    const l = logIo();
    expect(await stopAndWait(s.get, 5, l.io, s.deps)).toBe(1);
    expect(s.elapsed()).toBeGreaterThanOrEqual(5000);
    expect(s.elapsed()).toBeLessThan(5000 + STOP_RETRY_MS);
    expect(l.err).toEqual(['Wildix CTI für DATEV läuft, antwortet aber nicht in 5 s / runs but does not answer within 5 s']);
  });

  it('none running: asks for STOP_RETRY_MS as --stop does, then exit 1 without waiting out the rest', async () => {
    const s = session({ running: false, endsAfter: 0 });
    const l = logIo();
    expect(await stopAndWait(s.get, 30, l.io, s.deps)).toBe(1);
    expect(s.elapsed()).toBe(STOP_RETRY_MS);
    expect(s.requests()).toBeGreaterThan(1);
    expect(l.err).toEqual([expect.stringContaining('läuft nicht')]);
  });

  it('none running, no Windows, or a failure: exit 1 with a message', async () => {
    const none = logIo();
    expect(await stopAndWait(session({ running: false, endsAfter: 0 }).get, 5, none.io, session({ running: false, endsAfter: 0 }).deps)).toBe(1);
    expect(none.err[0]).toContain('läuft nicht');
    const noWin = logIo();
    expect(await stopAndWait(undefined, 5, noWin.io, session({ running: false, endsAfter: 0 }).deps)).toBe(1);
    expect(noWin.err[0]).toContain('needs Windows');
    const broken = session({ running: true, endsAfter: 0, failStop: new Error('no window') });
    const b = logIo();
    expect(await stopAndWait(broken.get, 5, b.io, broken.deps)).toBe(1);
    expect(b.err[0]).toBe('--stop: no window');
  });
});

describe('run(): the installer options and value sources', () => {
  function deps(extra: Partial<RunDeps> = {}) {
    const out: string[] = [];
    const err: string[] = [];
    const home = mkdtempSync(join(tmpdir(), 'wcti-inst-'));
    const logger = Object.assign(new MemoryLogger(), { close: async () => undefined });
    const d: RunDeps = {
      version: '9.8.7',
      env: { platform: 'linux', env: { TEMP: home }, home },
      nodeVersion: 'v22.23.3',
      out: (t) => out.push(t),
      err: (t) => err.push(t),
      makeLogger: () => logger,
      ...extra,
    };
    return { d, out, err, home, logger };
  }

  it('--write-defaults runs without config or log folder and writes the setup log to %TEMP%', async () => {
    const files = new MemoryFiles();
    const a = deps({ defaultsFiles: files });
    expect(await run(['--write-defaults', '/x/defaults.json', 'LINE=201'], a.d)).toBe(0);
    expect(JSON.parse(files.read('/x/defaults.json'))).toEqual({ line: '201' });
    expect(files.read(join(a.home, 'wildix-datev-cti-setup.log'))).toContain('defaults written');
    expect(a.logger.entries).toEqual([]);
  });

  it('--write-defaults on Windows shows errors of an interactive install in a message box', async () => {
    const boxes: string[] = [];
    const ws = { message: async (_t: string, text: string) => void boxes.push(text) } as unknown as Workstation;
    const a = deps({ defaultsFiles: new MemoryFiles(), workstation: () => ws });
    expect(await run(['--write-defaults', 'f', '--ui-level', '5', 'DIALFORMAT=x'], a.d)).toBe(1);
    expect(boxes[0]).toContain('DIALFORMAT (dialFormat)');
  });

  it('--stop --wait waits for the end of the running instance', async () => {
    let polls = 0;
    const ws = { requestStop: () => true, claimInstance: () => (++polls > 1 ? 'acquired' : 'running') } as unknown as Workstation;
    const a = deps({ workstation: () => ws });
    expect(await run(['--stop', '--wait', '5'], a.d)).toBe(0);
    expect(a.out).toContain('Wildix CTI für DATEV ist beendet / has ended.');
  });

  it('--diagnose shows the defaults files and where each value comes from', async () => {
    const a = deps();
    const dir = join(a.home, 'cfg');
    mkdirSync(join(dir, 'wildix-datev-cti'), { recursive: true });
    writeFileSync(join(dir, 'wildix-datev-cti', 'defaults.json'), JSON.stringify({ line: '201', dialFormat: 'national' }));
    writeFileSync(join(dir, 'wildix-datev-cti', 'config.json'), JSON.stringify({ dialFormat: 'digits' }));
    a.d.env.env.XDG_CONFIG_HOME = dir;
    expect(await run(['--diagnose', '--verbose'], a.d)).toBe(0);
    const text = a.out.join('\n');
    expect(text).toContain('Voreinstellungen für alle Benutzer / machine-wide: /etc/wildix-datev-cti/defaults.json (nicht vorhanden / not present)');
    expect(text).toContain(`Voreinstellungen für diesen Benutzer / user-wide: ${join(dir, 'wildix-datev-cti', 'defaults.json')} (gefunden / found)`);
    expect(text).toContain(`line = "201" ← ${join(dir, 'wildix-datev-cti', 'defaults.json')}`);
    expect(text).toContain(`dialFormat = "digits" ← ${join(dir, 'wildix-datev-cti', 'config.json')}`);
    expect(text).toContain('log.level = "debug" ← --verbose');
    expect(text).toMatch(/eingebaute Standardwerte \/ built-in defaults: country, /);
    expect(a.logger.has('info', `config: defaults from ${join(dir, 'wildix-datev-cti', 'defaults.json')}`)).toBe(true);
  });

  it('--line and --log-dir are named as sources too', async () => {
    const a = deps();
    expect(await run(['--diagnose', '--line', '201', '--log-dir', '/tmp/l'], a.d)).toBe(0);
    const text = a.out.join('\n');
    expect(text).toContain('line = "201" ← --line');
    expect(text).toContain('log.dir = "/tmp/l" ← --log-dir');
  });
});
