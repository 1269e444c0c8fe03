/**
 * The fake GitHub's request checker: the request side of every operation of GitHub's published
 * OpenAPI description (`@octokit/openapi`), matched by method and path, parameters and JSON body
 * validated with ajv.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

// ajv-formats is CommonJS; under NodeNext its default export is the module object.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

// ---------------------------------------------------------------------------------------------
// OpenAPI index: the request side of every operation, extracted once from the 73 MB dereferenced
// description and cached beside node_modules (about 1 MB), because every test file loads it.

interface OpParam {
  name: string;
  in: 'path' | 'query';
  required: boolean;
  schema?: object;
}
interface Operation {
  path: string;
  method: string;
  operationId: string;
  params: OpParam[];
  body: { required: boolean; types: string[]; schema?: object } | null;
}
interface CompiledOp extends Operation {
  regex: RegExp;
  loose: RegExp;
  names: string[];
  literalWeight: number;
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete', 'head'] as const;

function loadOperations(): Operation[] {
  const pkgDir = path.join(repoRoot, 'node_modules/@octokit/openapi');
  const version = (JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8')) as { version: string }).version;
  const cacheDir = path.join(repoRoot, 'node_modules/.cache/hotel-perf');
  const cacheFile = path.join(cacheDir, `openapi-${version}-requests.json`);
  try {
    return JSON.parse(readFileSync(cacheFile, 'utf8')) as Operation[];
  } catch {
    // no cache yet: build it below
  }
  type RawParam = { name: string; in: string; required?: boolean; schema?: object };
  type RawOp = {
    operationId: string;
    parameters?: RawParam[];
    requestBody?: { required?: boolean; content: Record<string, { schema?: object }> };
  };
  const spec = JSON.parse(readFileSync(path.join(pkgDir, 'generated/api.github.com.deref.json'), 'utf8')) as {
    paths: Record<string, Record<string, unknown> & { parameters?: RawParam[] }>;
  };
  const ops: Operation[] = [];
  for (const [p, item] of Object.entries(spec.paths)) {
    for (const m of METHODS) {
      const op = item[m] as RawOp | undefined;
      if (!op) continue;
      const params = [...(item.parameters ?? []), ...(op.parameters ?? [])]
        .filter((x) => x.in === 'path' || x.in === 'query')
        .map((x) => ({ name: x.name, in: x.in as 'path' | 'query', required: !!x.required, schema: x.schema }));
      const rb = op.requestBody;
      ops.push({
        path: p,
        method: m,
        operationId: op.operationId,
        params,
        body: rb
          ? { required: !!rb.required, types: Object.keys(rb.content), schema: rb.content['application/json']?.schema }
          : null,
      });
    }
  }
  mkdirSync(cacheDir, { recursive: true });
  const tmp = `${cacheFile}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(ops));
  renameSync(tmp, cacheFile);
  return ops;
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const SLASHY = new Set(['ref', 'path', 'basehead', 'base', 'head', 'branch']);

function compileOperations(ops: Operation[]): CompiledOp[] {
  return ops
    .map((op) => {
      const names: string[] = [];
      let literalWeight = 0;
      const segs = op.path.split('/').map((seg) => {
        let out = '';
        let last = 0;
        for (const m of seg.matchAll(/\{([^}]+)\}/g)) {
          out += escapeRegex(seg.slice(last, m.index));
          out += '\uE000';
          names.push(m[1]!);
          last = m.index + m[0].length;
        }
        const tail = seg.slice(last);
        out += escapeRegex(tail);
        if (!seg.includes('{')) literalWeight += 1;
        return out;
      });
      const strict = segs.join('/').replace(/\uE000/g, '([^/]+?)');
      // GitHub also accepts an unencoded `/` inside ref-like parameters (`git/ref/tags/v1`, `contents/a/b.json`).
      let n = 0;
      const loose = segs.join('/').replace(/\uE000/g, () => (SLASHY.has(names[n++]!) ? '(.+?)' : '([^/]+?)'));
      return { ...op, names, literalWeight, regex: new RegExp(`^${strict}$`), loose: new RegExp(`^${loose}$`) };
    })
    .sort((a, b) => b.literalWeight - a.literalWeight);
}

let compiled: CompiledOp[] | undefined;
export function operations(): CompiledOp[] {
  compiled ??= compileOperations(loadOperations());
  return compiled;
}

const ajvBody = new Ajv({ strict: false, allErrors: true, logger: false });
addFormats(ajvBody);
const ajvParams = new Ajv({ strict: false, allErrors: true, coerceTypes: true, logger: false });
addFormats(ajvParams);
const bodyValidators = new Map<string, ValidateFunction>();
const paramValidators = new Map<string, ValidateFunction>();

/**
 * Adapts an OpenAPI 3.0 schema for ajv: `nullable` without `type` (which ajv rejects) becomes
 * `anyOf [schema, null]`. `looseRequired` also drops `required` and turns oneOf into anyOf, for
 * checking the types of a partial object (the fake's responses carry the fields clients read).
 */
export function forAjv(schema: unknown, looseRequired = false): unknown {
  if (Array.isArray(schema)) return schema.map((s) => forAjv(s, looseRequired));
  if (typeof schema !== 'object' || schema === null) return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) {
    if (looseRequired && k === 'required' && Array.isArray(v)) continue;
    if (k === 'properties' && typeof v === 'object' && v !== null) {
      out[k] = Object.fromEntries(Object.entries(v).map(([name, sub]) => [name, forAjv(sub, looseRequired)]));
      continue;
    }
    out[looseRequired && k === 'oneOf' ? 'anyOf' : k] = forAjv(v, looseRequired);
  }
  if (out.nullable === true && out.type === undefined) {
    delete out.nullable;
    return { anyOf: [out, { type: 'null' }] };
  }
  return out;
}

export function paramValidator(op: CompiledOp): ValidateFunction {
  let v = paramValidators.get(op.operationId);
  if (!v) {
    const schema = (where: 'path' | 'query') => {
      const ps = op.params.filter((p) => p.in === where);
      return {
        type: 'object',
        properties: Object.fromEntries(ps.map((p) => [p.name, forAjv(p.schema ?? {})])),
        required: ps.filter((p) => p.required).map((p) => p.name),
        additionalProperties: false,
      };
    };
    v = ajvParams.compile({ type: 'object', properties: { path: schema('path'), query: schema('query') } });
    paramValidators.set(op.operationId, v);
  }
  return v;
}

export function bodyValidator(op: CompiledOp): ValidateFunction | undefined {
  if (!op.body?.schema) return undefined;
  let v = bodyValidators.get(op.operationId);
  if (!v) {
    v = ajvBody.compile(forAjv(op.body.schema) as object);
    bodyValidators.set(op.operationId, v);
  }
  return v;
}

export function formatErrors(prefix: string, v: ValidateFunction): string[] {
  return (v.errors ?? []).map((e) => {
    const extra = e.keyword === 'additionalProperties' ? ` (${String(e.params.additionalProperty)})` : '';
    return `${prefix}${e.instancePath || '/'} ${e.message ?? e.keyword}${extra}`;
  });
}

interface Match {
  op: CompiledOp;
  params: Record<string, string>;
}

export function matchOperation(method: string, pathname: string): Match | { error: string } {
  const ops = operations();
  const m = method.toLowerCase();
  for (const field of ['regex', 'loose'] as const) {
    const candidates = ops.filter((op) => op[field].test(pathname));
    if (candidates.length === 0) continue;
    const op = candidates.find((c) => c.method === m);
    if (!op) {
      return {
        error: `no ${method} operation for ${candidates[0]!.path} (has ${candidates.map((c) => c.method.toUpperCase()).join(', ')})`,
      };
    }
    const groups = op[field].exec(pathname)!;
    const params: Record<string, string> = {};
    op.names.forEach((name, i) => {
      params[name] = decodeURIComponent(groups[i + 1]!);
    });
    return { op, params };
  }
  return { error: `no operation of api.github.com matches ${method} ${pathname}` };
}
