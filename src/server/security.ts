import type { RequestHandler } from 'express';
import helmet from 'helmet';

/** Security headers: a strict CSP (no inline script or style; images from us or data URIs). */
export function securityHeaders(): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        fontSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    // Served over plain HTTP on a local address: HSTS would only pin a scheme we do not offer.
    strictTransportSecurity: false,
  });
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost', '[::1]']);

/**
 * When bound to a loopback address, only answer requests addressed to one (a DNS-rebinding page
 * on another origin cannot read the runs).
 */
export function loopbackHostGuard(host: string): RequestHandler {
  const guarded = LOOPBACK.has(host);
  return (req, res, next) => {
    if (!guarded) return next();
    const name = (req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
    if (LOOPBACK.has(name)) return next();
    res.status(403).type('text/plain').send('forbidden host\n');
  };
}
