/**
 * JSON request bodies, for the API and the admin routes alike: UTF-8 only (RFC 8259 8.1: JSON exchanged
 * between systems is UTF-8), so any other declared charset is 415, not a parse error; then express.json
 * within the body limit.
 */
import express, { type RequestHandler } from 'express';
import { sendError } from './respond.js';

/** The declared charset of a content type, lower case and unquoted; undefined when none is declared. */
function declaredCharset(contentType: string): string | undefined {
  const m = /;\s*charset\s*=\s*("?)([^";\s]*)\1/i.exec(contentType);
  return m ? m[2]!.toLowerCase() : undefined;
}

const UTF8 = 'utf-8';

/**
 * With `requireJson`, a body that is not `application/json` is 415 (the JSON API); without, such a body
 * is left unparsed (`req.body` undefined) for the route to refuse as it sees fit.
 */
export function jsonBody(limitBytes: number, opts: { requireJson: boolean }): RequestHandler {
  const parse = express.json({ limit: limitBytes, strict: true });
  return (req, res, next) => {
    const isJson = req.is('application/json') === 'application/json';
    if (!isJson) {
      if (opts.requireJson) return sendError(res, 415, 'unsupported_media_type', 'send Content-Type: application/json');
      return next();
    }
    const charset = declaredCharset(req.headers['content-type'] ?? '');
    if (charset !== undefined && charset !== UTF8)
      return sendError(
        res,
        415,
        'unsupported_media_type',
        `unsupported charset "${charset.slice(0, 40)}": send UTF-8 JSON`,
      );
    parse(req, res, next);
  };
}
