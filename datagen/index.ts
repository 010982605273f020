// The registry of dataset families, by the names recipes use.

import type { DatasetFamily } from './types.js';
import { tinyR1Addition } from './tiny-r1/index.js';

export const FAMILIES: Record<string, DatasetFamily> = { [tinyR1Addition.name]: tinyR1Addition };
export type { DatasetFamily, DatasetRow } from './types.js';
