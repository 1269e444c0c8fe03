import type { Request } from 'express';
import { safeEqual } from './whatsapp/signature.js';

/** True when the request carries `Authorization: Bearer <token>` (compared in constant time). */
export function bearerMatches(req: Request, token: string | undefined): boolean {
  if (!token) return false;
  const h = req.headers.authorization;
  return typeof h === 'string' && h.startsWith('Bearer ') && safeEqual(h.slice(7), token);
}
