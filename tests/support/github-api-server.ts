/**
 * A local GitHub REST server for tests: in-memory repository state behind the few endpoints the
 * actions use, and EVERY request checked against GitHub's published OpenAPI description
 * (`@octokit/openapi`, api.github.com). A request that matches no operation, or whose path/query
 * parameters or JSON body do not satisfy the operation's schema, answers 400 and is recorded in
 * `violations`, so a test can assert that the client spoke real GitHub.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { handlers, HttpError, type Ctx } from './github-api/handlers.js';
import { bodyValidator, formatErrors, matchOperation, operations, paramValidator } from './github-api/openapi.js';
import { FakeRepoState } from './github-api/state.js';

export { forAjv } from './github-api/openapi.js';
export * from './github-api/state.js';

// ---------------------------------------------------------------------------------------------
// Server.

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  status: number;
  operationId?: string;
  /** The token the request carried, if any (never a real secret: tests invent them). */
  token?: string;
  /** What the fake answered (parsed JSON), so its own tests can check it against the description. */
  response?: unknown;
}
export interface Violation {
  method: string;
  path: string;
  errors: string[];
}
export interface FakeGitHub {
  url: string;
  requests: RecordedRequest[];
  violations: Violation[];
  /** queue failures: the next `times` requests matching method+path regex answer `status` */
  failNext(method: string, path: RegExp, status: number, times?: number, headers?: Record<string, string>): void;
  /**
   * Like failNext, but the request is carried out first (state changes) and only the answer is
   * `status`: GitHub doing the work and then failing, or a lost response.
   */
  failAfterNext(method: string, path: RegExp, status: number, times?: number, headers?: Record<string, string>): void;
  state: FakeRepoState;
  close(): Promise<void>;
}
export interface FakeGitHubOptions {
  owner?: string;
  repo?: string;
  /** Tokens that may read but whose writes answer 403 like a fork PR's GITHUB_TOKEN. */
  readOnlyTokens?: string[];
}

/** Operations that change state; they need a token that may write. */
const WRITE = new Set(['post', 'put', 'patch', 'delete']);

interface QueuedFailure {
  method: string;
  path: RegExp;
  status: number;
  times: number;
  headers: Record<string, string>;
  /** Answer `status` only after the handler ran (failAfterNext). */
  after: boolean;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    ...(text && { 'content-type': 'application/json; charset=utf-8' }),
    'x-github-media-type': 'github.v3; format=json',
    'x-ratelimit-limit': '5000',
    'x-ratelimit-remaining': '4999',
    'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600),
    ...headers,
  });
  res.end(text);
}

export async function startFakeGitHub(opts: FakeGitHubOptions = {}): Promise<FakeGitHub> {
  operations(); // load (or build the cache of) the OpenAPI index before the first request
  const state = new FakeRepoState(opts.owner ?? 'hotel-org', opts.repo ?? 'hotel-perf');
  const readOnly = new Set(opts.readOnlyTokens ?? []);
  const requests: RecordedRequest[] = [];
  const violations: Violation[] = [];
  const failures: QueuedFailure[] = [];
  let base = '';

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', base);
    const method = (req.method ?? 'GET').toUpperCase();
    const query = Object.fromEntries(url.searchParams);
    const raw = await readBody(req);
    const auth = req.headers.authorization;
    const token = auth?.replace(/^(token|bearer)\s+/i, '');
    const record: RecordedRequest = {
      method,
      path: url.pathname,
      query,
      body: undefined,
      status: 0,
      ...(token && { token }),
    };
    requests.push(record);
    const reply = (status: number, body?: unknown, headers?: Record<string, string>) => {
      record.status = status;
      if (body !== undefined) record.response = body;
      send(res, status, body, headers);
    };
    const violate = (errors: string[]) => {
      violations.push({ method, path: url.pathname + url.search, errors });
      reply(400, { message: `Request does not match the GitHub REST API: ${errors.join('; ')}`, errors });
    };

    let body: unknown;
    if (raw.length) {
      try {
        body = JSON.parse(raw);
      } catch {
        return violate(['request body is not JSON']);
      }
    }
    record.body = body;

    const match = matchOperation(method, url.pathname);
    if ('error' in match) return violate([match.error]);
    const { op, params } = match;
    record.operationId = op.operationId;

    const errors: string[] = [];
    const pv = paramValidator(op);
    if (!pv({ path: { ...params }, query: { ...query } })) errors.push(...formatErrors('params', pv));
    const hasBody =
      body !== undefined && !(typeof body === 'object' && body !== null && Object.keys(body).length === 0);
    if (op.body) {
      const bv = bodyValidator(op);
      if (body === undefined && op.body.required) errors.push('body is required');
      else if (body !== undefined && bv && !bv(body)) errors.push(...formatErrors('body', bv));
      if (body !== undefined && !String(req.headers['content-type'] ?? '').includes('application/json')) {
        errors.push(`content-type must be application/json, got ${String(req.headers['content-type'])}`);
      }
    } else if (hasBody) {
      errors.push(`${op.operationId} takes no request body`);
    }
    if (errors.length) return violate(errors);

    const writes = WRITE.has(method.toLowerCase());
    if (writes && !token)
      return reply(401, { message: 'Requires authentication', documentation_url: 'https://docs.github.com/rest' });
    if (writes && readOnly.has(token!)) {
      return reply(403, {
        message: 'Resource not accessible by integration',
        documentation_url: `https://docs.github.com/rest/${op.operationId}`,
        status: '403',
      });
    }
    const takeFailure = (after: boolean) => {
      const f = failures.find((x) => x.after === after && x.method === method && x.path.test(url.pathname));
      if (f) {
        f.times -= 1;
        if (f.times <= 0) failures.splice(failures.indexOf(f), 1);
      }
      return f;
    };
    const replyInjected = (f: QueuedFailure) => reply(f.status, { message: `injected failure ${f.status}` }, f.headers);
    const injected = takeFailure(false);
    if (injected) return replyInjected(injected);
    if (
      params.owner?.toLowerCase() !== state.owner.toLowerCase() ||
      params.repo?.toLowerCase() !== state.repo.toLowerCase()
    ) {
      return reply(404, { message: 'Not Found' });
    }

    const handler = handlers[op.operationId];
    if (!handler) return reply(501, { message: `${op.operationId} is valid but not implemented by the fake server` });
    const headers: Record<string, string> = {};
    const ctx: Ctx = {
      base,
      api: `${base}/repos/${state.owner}/${state.repo}`,
      html: `https://github.com/${state.owner}/${state.repo}`,
      state,
      params,
      query,
      body: (body ?? {}) as Record<string, unknown>,
      setHeader: (k, v) => {
        headers[k] = v;
      },
    };
    try {
      const out = handler(ctx);
      const lost = out.status < 400 ? takeFailure(true) : undefined;
      if (lost) return replyInjected(lost);
      reply(out.status, out.body, headers);
    } catch (err) {
      if (err instanceof HttpError) return reply(err.status, { message: err.message, ...err.extra });
      reply(500, { message: `fake server error: ${(err as Error).message}` });
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, { message: `fake server error: ${String(err)}` });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: base,
    requests,
    violations,
    state,
    failNext(method, pathRe, status, times = 1, headers = {}) {
      failures.push({ method: method.toUpperCase(), path: pathRe, status, times, headers, after: false });
    },
    failAfterNext(method, pathRe, status, times = 1, headers = {}) {
      failures.push({ method: method.toUpperCase(), path: pathRe, status, times, headers, after: true });
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
