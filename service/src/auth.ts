import type { Request } from 'express';
import { safeEqual } from './whatsapp/signature.js';

/** `Bearer` followed by one or more spaces; the scheme is case-insensitive (RFC 9110 11.1), the token is not. */
const BEARER = /^bearer +/i;

/** True when the request carries `Authorization: Bearer <token>` (compared in constant time). */
export function bearerMatches(req: Request, token: string | undefined): boolean {
  if (!token) return false;
  const h = req.headers.authorization;
  if (typeof h !== 'string') return false;
  const scheme = BEARER.exec(h);
  return scheme !== null && safeEqual(h.slice(scheme[0].length), token);
}
