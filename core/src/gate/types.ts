/** Outcome of a gate: `inconclusive` when the run cannot be judged (too few requests, no data). */
export type Verdict = 'pass' | 'fail' | 'inconclusive';
