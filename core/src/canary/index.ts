/**
 * Canary judge public API (pure core). Typical shell flow:
 *
 *   const settings = resolveJudgeSettings(overrides, loadBudget(path));
 *   const intervals: IntervalSamples[] = [];
 *   for each interval i < settings.intervals:
 *     intervals.push({ index: i, baseline: {...}, canary: {...} });   // raw latencies or histograms
 *     const j = judge(intervals, settings, seed);
 *     if (shouldAbortEarly(j)) break;                                  // hard failure: stop traffic now
 *   const judgement = judge(intervals, settings, seed);
 *   const report = buildCanaryReport({ environment, sha, source, plan, settings, seed, intervals, preconditions, prometheus, outcome });
 *   // report.verdict is the FINAL verdict (finalVerdict: synthetic judgement + Prometheus part + preconditions)
 *   writeFileAtomically(path, JSON.stringify(report, null, 2)); summary = renderCanaryMarkdown(report);
 *   // `judge <report.json>`: rejudge(parseCanaryReport(JSON.parse(text))).agrees
 */
export type * from './types.js';
export {
  DEFAULT_JUDGE_SETTINGS,
  DEFAULT_CANARY_SAMPLE,
  JudgeSettingsError,
  budgetLatencyToleranceMs,
  resolveJudgeSettings,
  validateJudgeSettings,
} from './defaults.js';
export { judge, judgeInterval, shouldAbortEarly, decideOutcome, JudgeInputError } from './judge.js';
export { histogramFromBuckets, histogramQuantile, HistogramError } from './histogram.js';
export {
  buildCanaryReport,
  parseCanaryReport,
  rejudge,
  CanaryReportError,
  type BuildCanaryReportInput,
} from './report.js';
export {
  CONFIG_FILE,
  EMBEDDED_ENVIRONMENTS,
  describePlan,
  prometheusQueries,
  reportPathFor,
  runReportPathFor,
  timeRunKey,
  servedSelector,
  type CanaryPlan,
  type DeployerPlan,
  type EnvironmentConfig,
  type PrometheusPlan,
  type ReadinessSettings,
} from './plan.js';
export { renderCanaryMarkdown, type RenderLinks } from './render.js';
export { finalVerdict, type VerdictParts } from './final.js';
export { reportFindings } from './consistency.js';
