/**
 * How the service answers what it cannot serve: one JSON error shape `{error, message, request_id}`,
 * 405 with `Allow` for a known path asked with another method, 404 for unknown paths, and the error
 * handler that turns body-parser and unexpected errors into that shape (never a stack trace).
 */
import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';

export function sendError(res: Response, status: number, code: string, message: string): void {
  res.status(status).json({ error: code, message, request_id: res.locals.requestId });
}

/**
 * The last handler of a route (`app.route(path).get(...).all(allowOnly('GET'))`): any other method is
 * 405 with the `Allow` header (RFC 9110 15.5.6); OPTIONS gets 204 with it. GET implies HEAD (Express
 * answers HEAD with the GET handler).
 */
export function allowOnly(...methods: string[]): RequestHandler {
  const allow = methods.flatMap((m) => (m === 'GET' ? ['GET', 'HEAD'] : [m])).join(', ');
  return (req, res) => {
    res.setHeader('allow', allow);
    if (req.method === 'OPTIONS') return void res.status(204).end();
    sendError(res, 405, 'method_not_allowed', `${req.method.slice(0, 20)} is not allowed here; use ${allow}`);
  };
}

export const notFound: RequestHandler = (req, res) => {
  sendError(res, 404, 'not_found', `no route for ${req.method.slice(0, 20)} ${req.path.slice(0, 200)}`);
};

export function errorHandler(bodyLimitBytes: number, log: Logger): ErrorRequestHandler {
  return (err, _req, res, next) => {
    if (res.headersSent) return next(err);
    const e = err as { type?: string; status?: number; statusCode?: number; message?: string; expose?: boolean };
    if (e.type === 'entity.too.large')
      return sendError(res, 413, 'payload_too_large', `request body exceeds ${bodyLimitBytes} bytes`);
    if (e.type === 'entity.parse.failed') return sendError(res, 400, 'invalid_json', 'request body is not valid JSON');
    const status = e.status ?? e.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      // http-errors marks messages safe for clients (e.g. 'unsupported charset "LATIN1"') with `expose`.
      const message = e.expose === true && e.message ? e.message.slice(0, 200) : 'the request could not be read';
      return sendError(res, status, status === 415 ? 'unsupported_media_type' : 'bad_request', message);
    }
    log.error({ err: e.message, stack: (err as Error).stack, request_id: res.locals.requestId }, 'unhandled error');
    sendError(res, 500, 'internal_error', 'internal error');
  };
}
