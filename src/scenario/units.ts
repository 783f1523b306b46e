/** Durations and intervals as people write them: 30s, 5m, 1h, 1000us, 1ms, 250ns; a bare number means seconds. */
const UNITS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  min: 60e9,
  h: 3600e9,
};

/** Parses a time span to nanoseconds; returns null when the text is not one. */
export function parseTimeNs(v: string | number, bareUnit: keyof typeof UNITS = 's'): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v * UNITS[bareUnit] : null;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ns|us|µs|ms|s|m|min|h)?\s*$/.exec(v);
  if (!m) return null;
  return Number(m[1]) * UNITS[m[2] ?? bareUnit];
}

/** Sizes like 512M, 2G, 1024 (MiB when bare), to MiB. */
export function parseSizeMiB(v: string | number): number | null {
  if (typeof v === 'number') return Number.isInteger(v) && v > 0 ? v : null;
  const m = /^\s*(\d+)\s*([KMG])i?B?\s*$/i.exec(v);
  if (!m) return null;
  const n = Number(m[1]);
  const u = m[2].toUpperCase();
  return u === 'G' ? n * 1024 : u === 'M' ? n : Math.ceil(n / 1024);
}

export function formatNs(ns: number): string {
  if (!Number.isFinite(ns)) return String(ns);
  const a = Math.abs(ns);
  if (a >= 1e9) return `${+(ns / 1e9).toPrecision(4)} s`;
  if (a >= 1e6) return `${+(ns / 1e6).toPrecision(4)} ms`;
  if (a >= 1e3) return `${+(ns / 1e3).toPrecision(4)} us`;
  return `${+ns.toPrecision(4)} ns`;
}

/** CPU lists as in taskset/cyclictest: "0,2-3". Returns null on bad syntax. */
export function parseCpuList(v: string | number): number[] | null {
  const text = String(v).trim();
  if (text === '') return null;
  const out: number[] = [];
  for (const part of text.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) return null;
    const a = Number(m[1]);
    const b = m[2] !== undefined ? Number(m[2]) : a;
    if (b < a || b - a > 4096) return null;
    for (let c = a; c <= b; c++) out.push(c);
  }
  return [...new Set(out)].sort((x, y) => x - y);
}
