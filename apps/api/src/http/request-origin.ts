import type { NextFunction, Request, Response } from 'express';
import type { Config } from '../config/config.js';
import { authenticates, hostName } from '../config/config.js';
import { HttpError } from './error.filter.js';

/** The host name of a `Host` header, without its port. */
function hostOf(header: string): string {
  const bracketed = /^\[([^\]]*)\](:\d*)?$/.exec(header.trim());
  return hostName(bracketed ? bracketed[1]! : header.replace(/:\d*$/, ''));
}

/**
 * Refuses, before any body is read, requests a web page of another site could have a browser send:
 * - an `Origin` other than the service's own (the origin whose host is the request's `Host`) or one of
 *   `WFNET_CORS_ORIGINS` answers `403 origin_not_allowed`. Requests without `Origin` (curl, servers, a
 *   browser's same-origin GET) are not concerned.
 * - with no API keys or JWTs configured, a `Host` other than `WFNET_ALLOWED_HOSTS` (loopback names by default)
 *   answers `403 host_not_allowed`: a page whose own name was re-pointed at this machine (DNS rebinding)
 *   would otherwise be same-origin with it. With keys, such a page has no key to send. `GET /health` is
 *   exempt, so that probes may name the machine by any address.
 */
export function requestOrigin(config: Config) {
  const anyOrigin = config.corsOrigins.includes('*');
  const origins = new Set(config.corsOrigins.map((origin) => origin.toLowerCase()));
  const checkHost = !authenticates(config) && !config.allowedHosts.includes('*');
  const hosts = new Set(config.allowedHosts);
  return (request: Request, _response: Response, next: NextFunction): void => {
    const host = request.headers.host;
    if (checkHost && host !== undefined && request.path !== '/health' && !hosts.has(hostOf(host))) {
      next(
        new HttpError(
          403,
          'host_not_allowed',
          `requests must name this service by a host in WFNET_ALLOWED_HOSTS (${[...hosts].join(', ')}), not ${hostOf(host)}`,
        ),
      );
      return;
    }
    const origin = request.headers.origin;
    if (
      origin !== undefined &&
      !anyOrigin &&
      !origins.has(origin.toLowerCase()) &&
      !sameOrigin(origin, host)
    ) {
      next(
        new HttpError(
          403,
          'origin_not_allowed',
          'requests from web pages of another origin are refused unless WFNET_CORS_ORIGINS lists it',
        ),
      );
      return;
    }
    next();
  };
}

/** Whether `origin` names the host the request was sent to (scheme aside: a proxy may end TLS before us). */
function sameOrigin(origin: string, host: string | undefined): boolean {
  if (host === undefined) return false;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  return url.host.toLowerCase() === host.trim().toLowerCase();
}
