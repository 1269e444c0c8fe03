/** Every generated workflow file and the code it comes from. */
import { canary } from './canary.js';
import { ci } from './ci.js';
import type { Workflow } from './common.js';
import { perfSmoke } from './perf-smoke.js';
import { release } from './release.js';
import { renderWorkflow } from './render.js';

export const WORKFLOWS: ReadonlyArray<{ file: string; workflow: Workflow }> = [
  { file: 'ci.yml', workflow: ci },
  { file: 'perf-smoke.yml', workflow: perfSmoke },
  { file: 'canary.yml', workflow: canary },
  { file: 'release.yml', workflow: release },
];

/** file name -> YAML text, exactly as committed under .github/workflows/. */
export function renderAll(): Map<string, string> {
  return new Map(WORKFLOWS.map(({ file, workflow }) => [file, renderWorkflow(workflow, file)]));
}
