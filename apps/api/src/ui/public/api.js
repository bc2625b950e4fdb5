// The HTTP contract as the UI uses it: bearer key from localStorage, read-your-writes through
// `waitFor`, errors as ApiError with the contract's code, and the case event stream over fetch
// (EventSource cannot send an Authorization header).

const KEY = 'wfnet.apiKey';

export const getKey = () => localStorage.getItem(KEY) ?? '';

export function setKey(key) {
  pastPictures.clear();
  if (key) localStorage.setItem(KEY, key);
  else localStorage.removeItem(KEY);
  window.dispatchEvent(new CustomEvent('wfnet:key'));
}

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = body?.code ?? `http_${status}`;
    this.details = body?.details;
  }
}

/** The highest position a command of this page has answered; reads wait for the read models to reach it. */
let lastPosition = 0n;

export function notePosition(position) {
  if (typeof position === 'string' && /^[0-9]+$/.test(position) && BigInt(position) > lastPosition)
    lastPosition = BigInt(position);
}

const headers = (extra = {}) => {
  const key = getKey();
  return { ...extra, ...(key ? { authorization: `Bearer ${key}` } : {}) };
};

export const path = (strings, ...values) =>
  strings.reduce((out, s, i) => out + s + (i < values.length ? encodeURIComponent(values[i]) : ''), '');

export function query(params) {
  const entries = Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== '');
  return entries.length ? `?${new URLSearchParams(entries)}` : '';
}

/** `body` goes as JSON; `xml`, a string, goes as it is (PNML), as `application/xml`. */
async function request(
  url,
  { method = 'GET', body, xml, readModel = false, accept = 'application/json' } = {},
) {
  let target = url;
  if (readModel && lastPosition > 0n) target += `${url.includes('?') ? '&' : '?'}waitFor=${lastPosition}`;
  let response;
  try {
    response = await fetch(target, {
      method,
      headers: headers({
        accept,
        ...(xml !== undefined
          ? { 'content-type': 'application/xml' }
          : body === undefined
            ? {}
            : { 'content-type': 'application/json' }),
      }),
      body: xml ?? (body === undefined ? undefined : JSON.stringify(body)),
    });
  } catch {
    throw new ApiError(0, { code: 'network_error', message: 'The service cannot be reached.' });
  }
  const text = await response.text();
  if (!response.ok) {
    let error;
    try {
      error = JSON.parse(text);
    } catch {
      error = { message: text || response.statusText };
    }
    throw new ApiError(response.status, error);
  }
  return text;
}

/** A JSON call; `readModel` asks the read models to have caught up with this page's last command. */
export async function api(url, options = {}) {
  const text = await request(url, options);
  const json = text ? JSON.parse(text) : null;
  if (options.method && options.method !== 'GET') notePosition(json?.position);
  return json;
}

/**
 * Pictures of a case as it was at a revision never change: they are kept (the last 64), so that time travel
 * can ask for the next steps' pictures ahead of the key press (`prefetchSvg`) and show them at once.
 */
const PAST_PICTURES = 64;
const pastPictures = new Map();

export function svg(url, options = {}) {
  if (!url.includes('atRevision=') || options.method !== undefined)
    return request(url, { ...options, accept: 'image/svg+xml' });
  let picture = pastPictures.get(url);
  if (picture === undefined) {
    picture = request(url, { accept: 'image/svg+xml' });
    picture.catch(() => pastPictures.delete(url));
    pastPictures.set(url, picture);
    if (pastPictures.size > PAST_PICTURES) pastPictures.delete(pastPictures.keys().next().value);
  }
  return picture;
}

export const prefetchSvg = (url) => void svg(url).catch(() => undefined);

const ENDS = new Set(['CaseFinished', 'CaseTerminated']);

/**
 * Follows `GET /cases/:id/events/stream`: calls `onEvent` once per revision (history first, then
 * live) and `onStatus` with `connecting`, `live`, `reconnecting` or `ended`. Reconnects with backoff
 * until the case ends or the returned function is called.
 */
export function followCase(caseId, onEvent, onStatus) {
  const controller = new AbortController();
  let lastRevision = -1;
  let ended = false;
  (async () => {
    for (let attempt = 0; !controller.signal.aborted; attempt += 1) {
      onStatus(attempt === 0 ? 'connecting' : 'reconnecting');
      try {
        const response = await fetch(path`cases/${caseId}/events/stream`, {
          headers: headers({ accept: 'text/event-stream' }),
          signal: controller.signal,
        });
        if (!response.ok) {
          const body = await response.json().catch(() => ({}));
          throw new ApiError(response.status, body);
        }
        onStatus('live');
        attempt = 0;
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let end;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const data = block
              .split('\n')
              .filter((line) => line.startsWith('data:'))
              .map((line) => line.slice(5).trimStart())
              .join('\n');
            if (!data) continue;
            const event = JSON.parse(data);
            if (Number(event.revision) <= lastRevision) continue;
            lastRevision = Number(event.revision);
            if (ENDS.has(event.type)) ended = true;
            onEvent(event);
          }
        }
        if (ended) {
          onStatus('ended');
          return;
        }
      } catch (error) {
        if (controller.signal.aborted) return;
        if (error instanceof ApiError && error.status >= 400 && error.status < 500) {
          onStatus('error', error);
          return;
        }
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(500 * 2 ** attempt, 10_000)));
    }
  })();
  return () => controller.abort();
}
