/** The smoke report as a terminal table (`npm run smoke`), one row per gate check. */
import { fmtMs, fmtPct } from '#core/gate/format.js';
import type { SmokeReport } from '#core/gate/report.js';

export function smokeTable(report: SmokeReport): string {
  const rows = report.gate_checks.map((c) => {
    const fmt = (v: number | null) =>
      v === null ? 'n/a' : c.unit === 'ms' ? fmtMs(v) : c.unit === 'ratio' ? fmtPct(v) : String(v);
    const status = c.ok === null ? '-' : c.ok ? 'ok' : c.gating ? 'FAIL' : 'warn';
    const ci =
      c.id === 'p95' && report.measured.p95_ci_ms
        ? ` (95 % CI ${report.measured.p95_ci_ms.map(fmtMs).join(' - ')})`
        : '';
    const measured = c.measured === null && c.range ? `between ${c.range.map(fmtMs).join(' and ')}` : fmt(c.measured);
    return [c.label, `${measured}${ci}`, `${c.comparator} ${fmt(c.limit)}${c.gating ? '' : ' (info)'}`, status];
  });
  const head = ['check', 'measured', 'limit', 'status'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  const out = [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line), ''];
  out.push(
    `verdict: ${report.verdict.toUpperCase()}  (${report.measured.requests} requests, source ${report.source.format})`,
  );
  for (const p of report.parts)
    out.push(
      `  part ${p.file}: ${p.format}, ${p.requests} requests, ${p.failed_requests} failed, p95 ${fmtMs(p.p95_ms)}`,
    );
  if (report.combination) out.push(`  ${report.combination}`);
  for (const p of report.budget.burn_rates?.pairs ?? []) out.push(`  burn rate, ${p.slo} ${p.severity}: ${p.why}`);
  for (const r of report.reasons) out.push(`  - ${r}`);
  for (const w of report.warnings) out.push(`  warning: ${w}`);
  return out.join('\n');
}
