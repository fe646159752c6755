import { defineConfig } from 'vitest/config';

// Linux run. Its coverage covers all of src/ (nothing excluded) and is written as JSON; the figure
// that is enforced is the merge with the Windows side under Wine (scripts/coverage-merge.js, run by
// scripts/test.sh), so no threshold here.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['node_modules/**', 'test/wine/**/*.wine.test.ts'],
    environment: 'node',
    globalSetup: ['test/support/scratchTmp.ts'],
    setupFiles: ['test/support/datevRules.setup.ts'],
    testTimeout: 15000,
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      exclude: [],
      reporter: ['text-summary', 'json'],
      reportsDirectory: 'coverage/linux',
    },
  },
});
