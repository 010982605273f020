// The registry of dataset families, by the names recipes use.

import type { DatasetFamily } from './types.js';
import { tinyR1Addition } from './tiny-r1/index.js';
import { countdown } from './countdown/index.js';
import { multiplication } from './multiplication/index.js';

export const FAMILIES: Record<string, DatasetFamily> = {
  [tinyR1Addition.name]: tinyR1Addition,
  [countdown.name]: countdown,
  [multiplication.name]: multiplication,
};
export type { DatasetFamily, DatasetRow, FamilyParams, SplitSpec } from './types.js';
