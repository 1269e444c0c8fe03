/**
 * A canary report's own consistency, checked before it is re-judged: a report whose parts
 * contradict each other cannot be trusted whatever the recomputed verdict says. Each problem is
 * one finding in plain words.
 */
import { DEFAULT_JUDGE_SETTINGS } from './defaults.js';
import { decideOutcome } from './judge.js';
import type { CanaryReport, IntervalSamples, JudgeSettings, TrackSamples } from './types.js';

/** Settings no input sets: a report without a recorded plan must hold the defaults. */
const FIXED_SETTINGS = [
  'alpha',
  'power',
  'ciLevel',
  'multipleTesting',
  'bootstrapResamples',
  'minSamplesPerInterval',
] as const;

const show = (v: unknown): string => JSON.stringify(v);

function settingsFindings(report: CanaryReport): string[] {
  const s = report.settings;
  const planned = report.plan?.judge as JudgeSettings | undefined;
  if (planned && typeof planned === 'object') {
    const keys = [...new Set([...Object.keys(planned), ...Object.keys(s)])] as Array<keyof JudgeSettings>;
    return keys
      .filter((k) => show(s[k]) !== show(planned[k]))
      .map((k) => `setting ${k} is ${show(s[k])} in the report but ${show(planned[k])} in its plan`);
  }
  return FIXED_SETTINGS.filter((k) => s[k] !== DEFAULT_JUDGE_SETTINGS[k]).map(
    (k) =>
      `setting ${k} is ${show(s[k])}, not the default ${show(DEFAULT_JUDGE_SETTINGS[k])}, and the report records no plan`,
  );
}

/** Every answered request has a latency and no request has two: answered <= latencies <= total. */
function trackFinding(t: TrackSamples, where: string): string | null {
  if (!t || typeof t !== 'object') return null;
  if (Array.isArray(t.latencies_ms)) {
    const n = t.latencies_ms.length;
    if (n > t.total) return `${where}: total ${t.total} but ${n} latencies recorded`;
    if (n < t.total - t.errors)
      return `${where}: total ${t.total} with ${t.errors} errors, but only ${n} latencies recorded (every answered request has one)`;
  }
  if (t.histogram && Array.isArray(t.histogram.cumulative)) {
    const count = t.histogram.cumulative[t.histogram.cumulative.length - 1] ?? 0;
    if (Math.round(count) !== t.total)
      return `${where}: total ${t.total} but the histogram counts ${Math.round(count)}`;
  }
  return null;
}

function intervalFindings(intervals: readonly IntervalSamples[], part: string): string[] {
  return intervals.flatMap((iv, i) =>
    (['baseline', 'canary'] as const)
      .map((track) => trackFinding(iv[track], `${part} interval ${i + 1} ${track}`))
      .filter((f): f is string => f !== null),
  );
}

function outcomeFinding(report: CanaryReport): string | null {
  const expected = decideOutcome(report.verdict, report.settings);
  const action = report.outcome?.action;
  return action === expected
    ? null
    : `verdict ${report.verdict} with outcome ${show(action)} cannot happen (a ${report.verdict} verdict ${expected === 'none' ? 'leaves the canary as is' : expected === 'promote' ? 'promotes' : 'rolls back'} with these settings)`;
}

/** Findings about the report's own consistency; empty when its parts agree with each other. */
export function reportFindings(report: CanaryReport): string[] {
  const findings = settingsFindings(report);
  const plan = report.plan;
  if (plan && typeof plan === 'object') {
    if (plan.sha !== undefined && plan.sha !== report.sha)
      findings.push(`sha is ${report.sha} in the report but ${plan.sha} in its plan`);
    if (plan.environment !== undefined && plan.environment !== report.environment)
      findings.push(`environment is ${report.environment} in the report but ${plan.environment} in its plan`);
    if (plan.analysis?.seed !== undefined && plan.analysis.seed !== report.seed)
      findings.push(`seed is ${report.seed} in the report but ${plan.analysis.seed} in its plan`);
  }
  findings.push(...intervalFindings(report.intervals, 'synthetic'));
  if (report.prometheus) findings.push(...intervalFindings(report.prometheus.intervals, 'Prometheus'));
  const outcome = outcomeFinding(report);
  if (outcome) findings.push(outcome);
  return findings;
}
