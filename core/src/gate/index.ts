/** The smoke gate's pure core: verdict, base-branch comparison, error-budget limits, history, report and rendering. */
export type { Verdict } from './types.js';
export {
  evaluateGate,
  type GateInput,
  type GateOptions,
  type GateResult,
  type GateCheck,
  type GateCheckId,
} from './evaluate.js';
export {
  compareWithBaseline,
  noiseBand,
  DEFAULT_NOISE_FLOOR,
  type BaselineComparison,
  type NoiseBand,
} from './compare.js';
export {
  adaptiveErrorRateLimit,
  budgetSpentFromHistory,
  budgetSpentFromErrorRatio,
  defaultErrorBudgetQuery,
  errorRatioFromSamples,
  ratioFromSamples,
  promDuration,
  AdaptiveBudgetError,
  type AdaptiveLimit,
  type BudgetSpentSource,
  type ErrorBudgetInput,
} from './adaptive.js';
export {
  assessBurnRates,
  burnRateQuery,
  errorRatioQuery,
  normalizeSelector,
  promRange,
  windowsToMeasure,
  fmtBurn,
  BurnRateError,
  BURN_RATE_ACTIONS,
  DEFAULT_LATENCY_SLO,
  SRE_WORKBOOK_WINDOWS,
  type BurnRateAction,
  type BurnRateAssessment,
  type BurnRateInput,
  type BurnRateReport,
  type BurnPairResult,
  type BurnWindowPair,
  type SloKind,
  type WindowMeasurement,
} from './burn-rate.js';
export {
  appendHistory,
  nearestRecordedAncestor,
  isUsableBaseline,
  parseHistoryFile,
  parseHistoryEntry,
  emptyHistory,
  HistoryFormatError,
  HISTORY_VERSION,
  DEFAULT_HISTORY_MAX,
  type HistoryEntry,
  type HistoryFile,
} from './history.js';
export {
  buildSmokeReport,
  historyEntryFromReport,
  SMOKE_REPORT_SCHEMA_VERSION,
  type SmokeReport,
  type RunInfo,
  type BuildSmokeReportInput,
} from './report.js';
export {
  renderSmokeMarkdown,
  renderBurnRates,
  renderTrendChart,
  mdText,
  mdCode,
  type RenderOptions,
} from './render.js';
export { fmtMs, fmtPct, fmtChange } from './format.js';
