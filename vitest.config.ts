// `npm test` runs the fast project; `npm run test:slow` the slow one (tests/**/*.slow.test.ts: real training
// runs, many subprocesses, the browser). `npx vitest run <file>` runs a file of either.
import { configDefaults, defineConfig } from 'vitest/config';

const slow = 'tests/**/*.slow.test.ts';

export default defineConfig({
  test: {
    setupFiles: ['tests/setup.ts'],
    projects: [
      { extends: true, test: { name: 'fast', include: ['tests/**/*.test.ts'], exclude: [...configDefaults.exclude, slow] } },
      { extends: true, test: { name: 'slow', include: [slow] } },
    ],
  },
});
