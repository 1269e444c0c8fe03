/** Workflow object -> YAML text: stable key order as written, SHA pins annotated with their version. */
import { Document, isScalar, visit } from 'yaml';
import type { Workflow } from './common.js';
import { PIN_VERSIONS } from './pins.js';

export function renderWorkflow(workflow: Workflow, file: string): string {
  const doc = new Document(workflow);
  visit(doc, {
    Pair(_, pair) {
      if (isScalar(pair.key) && pair.key.value === 'uses' && isScalar(pair.value)) {
        const version = PIN_VERSIONS.get(String(pair.value.value));
        if (version) pair.value.comment = ` ${version}`;
      }
    },
  });
  doc.commentBefore = ` Generated from workflows/${file.replace(/\.yml$/, '')}.ts by \`npm run workflows\`. Do not edit by hand.`;
  return doc.toString({ lineWidth: 0 });
}
