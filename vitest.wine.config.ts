import { defineConfig } from 'vitest/config';

// Wine tests: the native adapters run inside Wine's node.exe (port host), driven from here.
// npm run test:wine builds everything first. One Xvfb and wineserver for the whole run.
export default defineConfig({
  test: {
    include: ['test/wine/**/*.wine.test.ts'],
    environment: 'node',
    globalSetup: ['test/support/scratchTmp.ts', 'test/wine/globalSetup.ts'],
    fileParallelism: false,
    testTimeout: 60000,
    hookTimeout: 120000,
    teardownTimeout: 30000,
    coverage: { enabled: false },
  },
});
