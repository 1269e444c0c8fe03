/**
 * Seeded pseudo-random numbers, so every bootstrap and simulation can be repeated exactly from
 * the seed recorded in a report. sfc32 (Chris Doty-Humphrey's small fast counter): 128-bit state,
 * passes PractRand, seeded through splitmix32 so nearby seeds give unrelated streams.
 */
export interface Rng {
  /** Uniform on [0, 1). */
  next(): number;
  /** Standard normal (Marsaglia polar method). */
  normal(): number;
  /** Gamma(shape, 1), shape > 0 (Marsaglia-Tsang). */
  gamma(shape: number): number;
  /** Beta(a, b). */
  beta(a: number, b: number): number;
}

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export function createRng(seed: number): Rng {
  const sm = splitmix32(Math.floor(seed) >>> 0);
  let a = sm();
  let b = sm();
  let c = sm();
  let d = sm();
  const next = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) >>> 0;
    return t / 4294967296;
  };
  for (let i = 0; i < 12; i++) next();
  let spare: number | null = null;
  const normal = (): number => {
    if (spare !== null) {
      const v = spare;
      spare = null;
      return v;
    }
    for (;;) {
      const u = 2 * next() - 1;
      const v = 2 * next() - 1;
      const s = u * u + v * v;
      if (s > 0 && s < 1) {
        const m = Math.sqrt((-2 * Math.log(s)) / s);
        spare = v * m;
        return u * m;
      }
    }
  };
  const gamma = (shape: number): number => {
    if (shape < 1) {
      // Boost: Gamma(k) = Gamma(k + 1) * U^(1/k).
      return gamma(shape + 1) * Math.pow(1 - next(), 1 / shape);
    }
    const dd = shape - 1 / 3;
    const cc = 1 / Math.sqrt(9 * dd);
    for (;;) {
      let x: number;
      let v: number;
      do {
        x = normal();
        v = 1 + cc * x;
      } while (v <= 0);
      v = v * v * v;
      const u = 1 - next();
      if (u < 1 - 0.0331 * x * x * x * x) return dd * v;
      if (Math.log(u) < 0.5 * x * x + dd * (1 - v + Math.log(v))) return dd * v;
    }
  };
  const beta = (x: number, y: number): number => {
    const g1 = gamma(x);
    const g2 = gamma(y);
    return g1 / (g1 + g2);
  };
  return { next, normal, gamma, beta };
}
