import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { Readable } from 'node:stream';
import type { AddressGuard } from './address-guard.js';

/** What the webhook executor asks of its HTTP client: one request, its answer as a fetch `Response`. */
export type WebhookFetch = (
  url: string,
  init: {
    readonly method: 'POST';
    readonly headers: Readonly<Record<string, string>>;
    readonly body: string;
    readonly redirect: 'error';
    readonly signal: AbortSignal;
  },
) => Promise<Response>;

/** Refused by the address guard: the message says which address and why. */
export class AddressRefusedError extends Error {
  override readonly name = 'AddressRefusedError';
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

function responseOf(incoming: IncomingMessage): Response {
  const status = incoming.statusCode ?? 0;
  const headers = new Headers();
  for (let i = 0; i + 1 < incoming.rawHeaders.length; i += 2) {
    headers.append(incoming.rawHeaders[i]!, incoming.rawHeaders[i + 1]!);
  }
  const body =
    status === 204 || status === 304 ? null : (Readable.toWeb(incoming) as ReadableStream<Uint8Array>);
  return new Response(body, { status, headers });
}

/**
 * An HTTP client for webhooks that connects only to addresses `guard` accepts: an address written in the
 * URL is checked as it stands (the URL parser has already read `2130706433`, `0x7f.1` or `127.1` as
 * 127.0.0.1), a name on each address it resolves to when the socket connects. Redirects are refused.
 */
export function guardedFetch(guard: AddressGuard): WebhookFetch {
  const http = new HttpAgent({ keepAlive: true, lookup: guard.lookup });
  const https = new HttpsAgent({ keepAlive: true, lookup: guard.lookup });
  return (url, { method, headers, body, signal }) =>
    new Promise((resolve, reject) => {
      const target = new URL(url);
      const literal = target.hostname.replace(/^\[(.*)\]$/, '$1');
      const refusal = isIP(literal) === 0 ? undefined : guard.refusal(literal);
      if (refusal !== undefined) {
        reject(new AddressRefusedError(refusal));
        return;
      }
      const secure = target.protocol === 'https:';
      const outgoing = (secure ? httpsRequest : httpRequest)(
        target,
        { method, headers, signal, agent: secure ? https : http },
        (incoming) => {
          if (REDIRECTS.has(incoming.statusCode ?? 0)) {
            incoming.resume();
            reject(new Error('unexpected redirect'));
            return;
          }
          // An answer cut off by the timeout fails with the timeout, as fetch's does.
          signal.addEventListener('abort', () => incoming.destroy(signal.reason as Error), { once: true });
          try {
            resolve(responseOf(incoming));
          } catch (error) {
            incoming.destroy();
            reject(error instanceof Error ? error : new Error(String(error)));
          }
        },
      );
      outgoing.on('error', (error: NodeJS.ErrnoException) => {
        if (signal.aborted) reject(signal.reason as Error);
        else if (error.code === 'EWEBHOOKADDRESS') reject(new AddressRefusedError(error.message));
        else reject(error);
      });
      outgoing.end(body);
    });
}
