// `npm test` runs the fast project; `npm run test:slow` the slow one (tests/**/*.slow.test.ts: real training
// runs, many subprocesses, the browser). `npx vitest run <file>` runs a file of either. `npm test` runs 3 workers on
// 2 cores: many fast tests wait on subprocesses and servers (measured 104 s with the default, 75 s with 3).
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
