// Every test must assert something: one that returns early or checks nothing fails instead of passing.
import { beforeEach, expect } from 'vitest';

beforeEach(() => {
  expect.hasAssertions();
});
