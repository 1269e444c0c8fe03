/**
 * k6 cannot run on this machine, so the tests evaluate a k6 script (k6/<name>.ts) as the ES module
 * it is, with the k6 modules replaced by recorders: `k6/http` records each request and answers 200
 * with a `reply`, `k6` records the names of the checks that pass, `k6/crypto` signs with node's
 * HMAC, and `k6/execution` exposes the iteration counter the test drives. The TypeScript is
 * stripped by TypeScript's transpileModule, one file at a time as k6's esbuild does: type-only
 * imports (k6/options, ./types.ts) disappear, so the sandbox never has to provide them.
 */
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import vm from 'node:vm';
import ts from 'typescript';

export const k6Dir = resolve(import.meta.dirname, '../../k6');

export interface SentRequest {
  method: string;
  url: string;
  body: string | null;
  params: { headers: Record<string, string>; tags: Record<string, string> };
}

export interface K6Sandbox {
  ns: Record<string, unknown>;
  sent: SentRequest[];
  /** names of the checks that passed, in order */
  checks: string[];
  exec: { scenario: { iterationInTest: number } };
}

/**
 * Loads k6/`script` with `__ENV` = env; `open(path)` reads from `files` first, then from k6/.
 * An import the sandbox does not provide fails the load with the module's name.
 */
export async function loadK6Script(
  script: string,
  env: Record<string, string>,
  files: Record<string, string> = {},
): Promise<K6Sandbox> {
  const sent: SentRequest[] = [];
  const checks: string[] = [];
  const exec = { scenario: { iterationInTest: 0 } };
  const open = (p: string): string => files[p] ?? readFileSync(join(k6Dir, p), 'utf8');
  const context = vm.createContext({ open, __ENV: env, JSON, Number, console });
  const stubs: Record<string, Record<string, unknown>> = {
    'k6/http': {
      default: {
        request: (method: string, url: string, body: string | null, params: SentRequest['params']) => {
          sent.push({ method, url, body, params });
          return { status: 200, json: (k: string) => (k === 'reply' ? 'ok' : undefined) };
        },
      },
    },
    k6: {
      check: (res: unknown, sets: Record<string, (r: unknown) => boolean>) => {
        for (const [name, fn] of Object.entries(sets)) if (fn(res)) checks.push(name);
        return true;
      },
    },
    'k6/crypto': {
      default: {
        hmac: (alg: string, key: string, data: string, enc: 'hex') => createHmac(alg, key).update(data).digest(enc),
      },
    },
    'k6/execution': { default: exec },
  };
  const source = readFileSync(join(k6Dir, script), 'utf8');
  const js = script.endsWith('.ts')
    ? ts.transpileModule(source, {
        fileName: script,
        reportDiagnostics: true,
        compilerOptions: {
          module: ts.ModuleKind.ESNext,
          target: ts.ScriptTarget.ES2022,
          verbatimModuleSyntax: true,
        },
      })
    : { outputText: source, diagnostics: [] };
  if (js.diagnostics?.length)
    throw new Error(`${script}: ${ts.flattenDiagnosticMessageText(js.diagnostics[0]!.messageText, ' ')}`);
  const mod = new vm.SourceTextModule(js.outputText, {
    context,
    identifier: `k6/${script}`,
  });
  await mod.link((specifier) => {
    const exports = stubs[specifier];
    if (!exports) throw new Error(`${script} imports ${specifier}, which the test does not provide`);
    return new vm.SyntheticModule(
      Object.keys(exports),
      function () {
        for (const [k, v] of Object.entries(exports)) this.setExport(k, v);
      },
      { context },
    );
  });
  await mod.evaluate();
  return { ns: mod.namespace as Record<string, unknown>, sent, checks, exec };
}
