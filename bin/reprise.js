#!/usr/bin/env node
// The `reprise` command straight from the sources: tsx (a dependency) compiles src/ as it loads, so the bin
// works after `npm ci` with no build step.

import { register } from 'tsx/esm/api';

register();
await import('../src/cli.ts');
