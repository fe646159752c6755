/**
 * Runs inside Wine's node.exe for test/wine/datevconnect.wine.test.ts and contacts.wine.test.ts:
 * serves WinHttpTransport, DPAPI and whole ContactDirectory instances (WinHTTP + DPAPI, as wired on
 * Windows) over the port-host protocol (src/native/host/server.ts) to the Linux test process.
 *   node.exe datevconnectHost.cjs --port N [--js-root <compiled build/js>]
 * Plain CommonJS on purpose: it loads the compiled program from build/js (npm run build).
 */
'use strict';
const net = require('node:net');
const path = require('node:path');

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

const jsRoot = arg('js-root', path.resolve(__dirname, '..', '..', 'build', 'js'));
const load = (rel) => require(path.join(jsRoot, rel));
const { PortServer } = load('src/native/host/server.js');
const { loadAddon } = load('src/native/addon.js');
const { WinHttpTransport, nativeHttp } = load('src/native/winHttpTransport.js');
const { DpapiCodec, DpapiSecretStore, nativeDpapi } = load('src/native/dpapi.js');
const { createContactDirectory, DEFAULT_CONTACTS_CONFIG } = load('src/contacts/factory.js');
const { systemClock } = load('src/util/clock.js');

function log(line) {
  process.stderr.write(`[datevconnectHost ${new Date().toISOString()}] ${line}\n`);
}

const registry = {
  /** WinHttpTransport and the raw native/http module. */
  http: () => {
    const transports = [];
    const target = {
      /** One GET through a WinHttpTransport (body as string, headers parsed). */
      async get(url, headers, timeoutMs, windowsSignIn) {
        const t = new WinHttpTransport({ native: nativeHttp(loadAddon()), windowsSignIn, concurrency: 4 });
        transports.push(t);
        const started = Date.now();
        try {
          const r = await t.get(url, headers, timeoutMs);
          return { ok: true, ...r, ms: Date.now() - started };
        } catch (e) {
          return { ok: false, name: e.name, timeout: e.timeout, message: e.message, ms: Date.now() - started };
        }
      },
      /** `count` GETs at once through one transport with the given concurrency; statuses in order. */
      async getMany(urls, concurrency, timeoutMs) {
        const t = new WinHttpTransport({ native: nativeHttp(loadAddon()), windowsSignIn: false, concurrency });
        transports.push(t);
        const rs = await Promise.allSettled(urls.map((u) => t.get(u, { Accept: 'application/json' }, timeoutMs)));
        return rs.map((r) => (r.status === 'fulfilled' ? r.value.status : `error: ${r.reason.message}`));
      },
      /** native/http directly: argument checks happen synchronously. */
      rawGet(url, headers, options) {
        try {
          return nativeHttp(loadAddon())
            .get(url, headers, options)
            .then(
              (r) => ({ ok: true, status: r.status, headers: r.headers, body: Buffer.from(r.body).toString('base64'), signIn: r.signIn }),
              (e) => ({ ok: false, async: true, message: e.message, code: e.code, fn: e.fn, win32Error: e.win32Error, timeout: e.timeout }),
            );
        } catch (e) {
          return { ok: false, async: false, name: e.name, message: e.message };
        }
      },
      inFlight: () => nativeHttp(loadAddon()).inFlight(),
    };
    return { target, dispose: () => transports.forEach((t) => t.close()) };
  },

  /** DPAPI for the Wine user. Bytes travel as base64. */
  dpapi: () => ({
    target: {
      async protect(b64, entropy) {
        return Buffer.from(await nativeDpapi(loadAddon()).protect(Buffer.from(b64, 'base64'), entropy)).toString('base64');
      },
      async unprotect(b64, entropy) {
        try {
          return { ok: true, data: Buffer.from(await nativeDpapi(loadAddon()).unprotect(Buffer.from(b64, 'base64'), entropy)).toString('base64') };
        } catch (e) {
          return { ok: false, message: e.message, code: e.code, win32Error: e.win32Error };
        }
      },
      async codecRoundTrip(text) {
        const codec = new DpapiCodec(nativeDpapi(loadAddon()));
        const stored = await codec.encode(Buffer.from(text, 'utf8'));
        return { stored: stored.toString('base64'), back: (await codec.decode(stored)).toString('utf8') };
      },
      async codecDecode(b64) {
        try {
          return { ok: true, data: (await new DpapiCodec(nativeDpapi(loadAddon())).decode(Buffer.from(b64, 'base64'))).toString('base64') };
        } catch (e) {
          return { ok: false, message: e.message };
        }
      },
      savePassword: (file, password) => new DpapiSecretStore(file, nativeDpapi(loadAddon())).save(password),
      loadPassword: (file) => new DpapiSecretStore(file, nativeDpapi(loadAddon())).load(),
    },
  }),

  /** The program's ContactDirectory as wired on Windows: WinHTTP transport, DPAPI caches and password. */
  directory: () => {
    const open = [];
    const target = {
      /**
       * Builds the directory, runs one full crawl, looks `numbers` up and closes it again.
       * opts: { baseUrl, auth, user, dataDir, passwordFile, concurrency }
       */
      async crawl(opts, numbers) {
        const dpapi = nativeDpapi(loadAddon());
        const transport = new WinHttpTransport({ native: nativeHttp(loadAddon()), windowsSignIn: opts.auth === 'windows', concurrency: opts.concurrency });
        // how many requests the program itself made (what reaches the server may be more: sign-in)
        let gets = 0;
        const get = transport.get.bind(transport);
        transport.get = (...a) => (gets++, get(...a));
        const lines = [];
        const logger = {};
        for (const level of ['error', 'warn', 'info', 'debug']) logger[level] = (m) => lines.push(`${level} ${m}`);
        const built = createContactDirectory({
          config: {
            ...DEFAULT_CONTACTS_CONFIG,
            datevConnect: { ...DEFAULT_CONTACTS_CONFIG.datevConnect, baseUrl: opts.baseUrl, auth: opts.auth, user: opts.user, concurrency: opts.concurrency, timeoutSeconds: 10 },
          },
          dataDir: opts.dataDir,
          clock: systemClock,
          logger,
          transport,
          windowsSignIn: transport.windowsSignIn,
          secret: new DpapiSecretStore(opts.passwordFile, dpapi).secretSource(),
          codec: new DpapiCodec(dpapi),
        });
        open.push(built);
        let result;
        try {
          await built.directory.start();
          await built.directory.refresh();
          const found = {};
          for (const n of numbers) found[n] = (await built.directory.lookup(n)).map((c) => c.name);
          result = { status: built.directory.status(), found, log: lines };
        } finally {
          built.close();
          open.splice(open.indexOf(built), 1);
          // a background run (the start-up timer) may still have a request on the wire: let it end
          await httpSettled();
        }
        return { ...result, gets };
      },
    };
    return { target, dispose: () => open.forEach((b) => b.close()) };
  },
};

/** Waits until no native WinHTTP request is left (a background crawl of a closed directory). */
async function httpSettled() {
  const until = Date.now() + 15000;
  while (nativeHttp(loadAddon()).inFlight() > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
}

/**
 * One long-lived ContactDirectory per instance ("contacts#n"), driven call by call by the ContactsPort
 * contract: open(opts) builds and starts it, then refresh/lookup/learn; $dispose closes it.
 * opts: { baseUrl, auth, user, password?, dataDir, passwordFile, manualListFile, concurrency }
 */
registry.contacts = () => {
  let built;
  const lines = [];
  const open = async (opts) => {
    if (built) throw new Error('contacts: already open');
    const dpapi = nativeDpapi(loadAddon());
    const store = new DpapiSecretStore(opts.passwordFile, dpapi);
    if (opts.password) await store.save(opts.password);
    const transport = new WinHttpTransport({ native: nativeHttp(loadAddon()), windowsSignIn: opts.auth === 'windows', concurrency: opts.concurrency });
    const logger = {};
    for (const level of ['error', 'warn', 'info', 'debug']) logger[level] = (m, meta) => lines.push(`${level} ${m}${meta ? ' ' + JSON.stringify(meta) : ''}`);
    built = createContactDirectory({
      config: {
        ...DEFAULT_CONTACTS_CONFIG,
        manualListFile: opts.manualListFile,
        datevConnect: { ...DEFAULT_CONTACTS_CONFIG.datevConnect, baseUrl: opts.baseUrl, auth: opts.auth, user: opts.user, concurrency: opts.concurrency, timeoutSeconds: 10 },
      },
      dataDir: opts.dataDir,
      clock: systemClock,
      logger,
      transport,
      windowsSignIn: transport.windowsSignIn,
      secret: store.secretSource(),
      codec: new DpapiCodec(dpapi),
    });
    await built.directory.start();
    return built.directory.status();
  };
  const directory = () => {
    if (!built) throw new Error('contacts: open() first');
    return built.directory;
  };
  return {
    target: {
      open,
      async refresh() {
        await directory().refresh();
        return directory().status();
      },
      lookup: (number) => directory().lookup(number),
      learn: (number, contact) => directory().learn(number, contact),
      status: () => directory().status(),
      log: () => lines.slice(),
    },
    async dispose() {
      built?.close();
      built = undefined;
      await httpSettled();
    },
  };
};

function main() {
  const port = Number(arg('port'));
  if (!Number.isInteger(port) || port <= 0 || port > 65535) {
    log('usage: datevconnectHost.cjs --port N [--js-root dir]');
    process.exit(2);
  }
  const socket = net.connect({ port, host: '127.0.0.1' }, () => {
    socket.setNoDelay(true);
    const server = new PortServer(socket, registry, {}, log);
    server.hello({ pid: process.pid, execPath: process.execPath });
    void server.finished().then(() => process.exit(0));
  });
  socket.on('error', (err) => {
    log(`socket error: ${err.message}`);
    process.exit(1);
  });
}

process.on('uncaughtException', (err) => log(`uncaught: ${err.stack || err.message}`));
process.on('unhandledRejection', (err) => log(`unhandled rejection: ${err && err.stack ? err.stack : String(err)}`));
main();
