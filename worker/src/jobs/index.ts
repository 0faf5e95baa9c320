import type { JobDefinition } from './scheduler.js';

/** Every job this worker runs; each lives in its own file in this folder. */
export const jobs: readonly JobDefinition[] = [];
