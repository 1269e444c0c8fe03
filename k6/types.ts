// The parts of the JSON files and of k6's summary data that the k6 scripts read. Kept here rather
// than imported from core/ because the scripts run inside k6, which has no Node modules; the files
// themselves are validated where the product reads them (core/src/budget.ts, lib/load/scenario.ts).

export interface BudgetFile {
  p95_ms: number;
  error_rate: number;
  smoke: { vus: number; duration_s: number; max_requests: number };
}

export interface ScenarioRequest {
  /** Stable request name, sent as the `name` tag. */
  name: string;
  method: string;
  path: string;
  json?: unknown;
  /** Sign the body like WhatsApp does (X-Hub-Signature-256). */
  sign?: boolean;
}

export interface ScenarioFile {
  requests: ScenarioRequest[];
}

/** The data k6 passes to handleSummary (only what the scripts read). */
export interface SummaryData {
  metrics: Record<string, { values: Record<string, number> } | undefined>;
}
