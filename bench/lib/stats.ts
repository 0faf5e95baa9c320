/** Timings of one side of a comparison, in milliseconds. */
export interface Summary {
  readonly samples: number;
  readonly p50: number;
  readonly p95: number;
  readonly mean: number;
  readonly min: number;
  readonly max: number;
}

/** Nearest-rank percentile: the smallest sample with at least `p`% of the samples at or below it. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new RangeError('no samples');
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

export function summarise(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const total = sorted.reduce((sum, value) => sum + value, 0);
  return {
    samples: sorted.length,
    p50: round(percentile(sorted, 50)),
    p95: round(percentile(sorted, 95)),
    mean: round(total / sorted.length),
    min: round(sorted[0] as number),
    max: round(sorted[sorted.length - 1] as number),
  };
}

/** Milliseconds to three decimals (microseconds): finer digits are noise, and they bloat the results file. */
export function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/** How many times slower `measured` is than `baseline`, to two decimals. */
export function ratio(measured: number, baseline: number): number {
  return baseline === 0 ? Number.POSITIVE_INFINITY : Math.round((measured / baseline) * 100) / 100;
}

/** Runs `operation` and returns its result with the elapsed wall-clock milliseconds. */
export async function timed<T>(operation: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = process.hrtime.bigint();
  const value = await operation();
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, value };
}

/** mulberry32: a small seeded generator, so a run's data and query parameters can be repeated exactly. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
