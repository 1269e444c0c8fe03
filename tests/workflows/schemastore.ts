/**
 * SchemaStore's GitHub workflow JSON schema (https://json.schemastore.org/github-workflow.json), as
 * shipped inside the `@action-validator/core` npm package: no package ships the JSON file alone, and
 * that validator compiles the schema text verbatim into its wasm. Reading it from there keeps the
 * schema versioned by package-lock.json instead of a hand-copied file.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const SCHEMA_ID = '"$id": "https://json.schemastore.org/github-workflow.json"';

/** The schema object; throws if the package no longer embeds it (then vendor the file instead). */
export function loadWorkflowSchema(): Record<string, unknown> {
  const wasmPath = require.resolve('@action-validator/core/action_validator_bg.wasm');
  const bytes = readFileSync(wasmPath).toString('latin1');
  const at = bytes.indexOf(SCHEMA_ID);
  if (at < 0) throw new Error(`${wasmPath} does not embed the github-workflow schema`);
  const start = bytes.lastIndexOf('{', at);
  // Walk to the matching closing brace, skipping braces inside JSON strings.
  let depth = 0;
  let inString = false;
  for (let i = start; i < bytes.length; i++) {
    const c = bytes[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) {
      return JSON.parse(Buffer.from(bytes.slice(start, i + 1), 'latin1').toString('utf8')) as Record<string, unknown>;
    }
  }
  throw new Error(`${wasmPath}: unterminated github-workflow schema`);
}
