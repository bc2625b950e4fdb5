import { h } from 'preact';
import { useCallback, useEffect, useId, useRef, useState } from 'preact/hooks';
import htm from 'htm';
import { api, getKey, svg } from './api.js';

export const html = htm.bind(h);

export const href = {
  workflows: () => '#/workflows',
  workflow: (id) => `#/workflows/${encodeURIComponent(id)}`,
  cases: (filter = {}) => {
    const params = new URLSearchParams(Object.entries(filter).filter(([, v]) => v));
    return `#/cases${params.size ? `?${params}` : ''}`;
  },
  case: (id) => `#/cases/${encodeURIComponent(id)}`,
  worklist: () => '#/worklist',
  incidents: (filter = {}) => {
    const params = new URLSearchParams(Object.entries(filter).filter(([, v]) => v));
    return `#/incidents${params.size ? `?${params}` : ''}`;
  },
};

/** Short messages for everyone: shown in a polite live region by the App. */
export const notify = (message, kind = 'ok') =>
  window.dispatchEvent(new CustomEvent('wfnet:notice', { detail: { message, kind } }));

/** A number that changes whenever the API key does, for effects that must start again with it. */
export function useKeyVersion() {
  const [version, setVersion] = useState(0);
  useEffect(() => {
    const onKey = () => setVersion((n) => n + 1);
    window.addEventListener('wfnet:key', onKey);
    return () => window.removeEventListener('wfnet:key', onKey);
  }, []);
  return version;
}

/**
 * Loads with `loader` whenever `deps` change, when `reload()` is called, and when the API key
 * changes. The last data stays shown while a reload is under way.
 */
export function useLoad(loader, deps) {
  const [state, setState] = useState({ status: 'loading', data: undefined, error: undefined });
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  useEffect(() => {
    const onKey = () => reload();
    window.addEventListener('wfnet:key', onKey);
    return () => window.removeEventListener('wfnet:key', onKey);
  }, [reload]);
  useEffect(() => {
    let current = true;
    setState((previous) => ({ ...previous, status: 'loading' }));
    loader().then(
      (data) => current && setState({ status: 'ok', data, error: undefined }),
      (error) => current && setState((previous) => ({ ...previous, status: 'error', error })),
    );
    return () => {
      current = false;
    };
  }, [...deps, tick]);
  return [state, reload];
}

/** The codes of a command refused because someone else changed its target first. */
const ACTED_ELSEWHERE = new Set([
  'case_not_available',
  'workitem_not_available',
  'task_not_available',
  'incident_not_open',
]);

export const actedElsewhere = (error) => error?.status === 409 && ACTED_ELSEWHERE.has(error.code);

/**
 * An error as one sentence a person reads: what could not be done (`what`, a verb phrase such as "load the
 * cases"), then the API's own message as the reason, and what to do where there is something to do.
 */
export function errorText(error, what) {
  const reason = String(error.message ?? '')
    .trim()
    .replace(/[.\s]+$/, '');
  const hint =
    error.status === 401
      ? getKey()
        ? ' This API key was refused: enter another one above.'
        : ' Enter an API key above.'
      : error.code === 'forbidden'
        ? ' Your key’s role may not do this.'
        : actedElsewhere(error)
          ? ' Someone else acted on it meanwhile; the page now shows it as it is.'
          : '';
  return `Could not ${what}${reason ? `: ${reason}` : ''}.${hint}`;
}

export function ErrorState({ error, retry, what }) {
  return html`<div class="state error" role="alert" data-code=${error.code}>
    <p>${errorText(error, what)}</p>
    ${retry ? html`<button type="button" onClick=${retry}>Try again</button>` : null}
  </div>`;
}

/** Loading, error and empty states around `children(data)`. */
export function Load({ state, retry, what, isEmpty, empty, children }) {
  if (state.status === 'error')
    return html`<${ErrorState} error=${state.error} retry=${retry} what=${`load ${what}`} />`;
  if (state.data === undefined) return html`<p class="state loading" role="status">Loading ${what}…</p>`;
  if (isEmpty?.(state.data)) return html`<div class="state empty">${empty}</div>`;
  return children(state.data);
}

export const Badge = ({ value }) => html`<span class="badge badge-${value}">${value}</span>`;

export function Time({ iso }) {
  if (!iso) return null;
  const date = new Date(iso);
  const today = date.toDateString() === new Date().toDateString();
  return html`<time datetime=${iso} title=${iso}
    >${today ? date.toLocaleTimeString() : date.toLocaleString()}</time
  >`;
}

const RELATIVE = new Intl.RelativeTimeFormat('en', { numeric: 'always' });
const UNITS = [
  ['second', 1000, 60],
  ['minute', 60_000, 60],
  ['hour', 3_600_000, 48],
  ['day', 86_400_000, Infinity],
];

/** How far `iso` is from `now` (ms) in words, "in 3 hours" or "2 minutes ago", in the largest unit that fits. */
export function relativeText(iso, now) {
  const delta = Date.parse(iso) - now;
  for (const [unit, size, limit] of UNITS) {
    const count = Math.round(delta / size);
    if (Math.abs(count) < limit) return RELATIVE.format(count, unit);
  }
  return '';
}

export const Relative = ({ iso, now }) =>
  iso && now !== undefined ? html`<span class="relative">${relativeText(iso, now)}</span>` : null;

/**
 * The service's time, in ms: its clock may be a test clock that stands still until moved
 * (`WFNET_CLOCK=manual`), so due times are told relative to it, not to this browser's. Read again whenever
 * `deps` change, and every few seconds while it is manual (nothing else tells this page that it moved);
 * a system clock is carried on with this browser's, re-rendering so "in 2 minutes" does not go stale. This
 * browser's own time when the key may not read the service's.
 */
export function useServiceNow(deps) {
  const [clock, setClock] = useState({ now: Date.now(), manual: false, at: Date.now() });
  const [, setTick] = useState(0);
  const manual = useRef(false);
  const live = useRef(true);
  // A key that may not read the clock is not asked again until the key changes.
  const refused = useRef(false);
  const keyVersion = useKeyVersion();
  useEffect(() => {
    refused.current = false;
  }, [keyVersion]);
  const read = useCallback(() => {
    if (refused.current) return Promise.resolve();
    return api('admin/clock').then(
      (body) => {
        if (!live.current) return;
        manual.current = body.mode === 'manual';
        setClock({ now: Date.parse(body.now), manual: manual.current, at: Date.now() });
      },
      (error) => {
        if (error.status === 401 || error.status === 403) refused.current = true;
      },
    );
  }, []);
  useEffect(() => {
    live.current = true;
    const timer = setInterval(() => (manual.current ? read() : setTick((n) => n + 1)), 5_000);
    return () => {
      live.current = false;
      clearInterval(timer);
    };
  }, []);
  useEffect(() => {
    void read();
  }, [...deps, keyVersion]);
  return clock.manual ? clock.now : clock.now + (Date.now() - clock.at);
}

/** A workitem's failed attempts, its last error and when the next attempt runs; nothing if it never failed. */
export function Failures({ workitem, now }) {
  const attempts = workitem.attempts ?? 0;
  if (attempts === 0) return null;
  const error = workitem.lastError;
  return html`<div class="failures">
    <span class="attempts">${attempts} failed attempt${attempts === 1 ? '' : 's'}</span>
    ${error ? html`<span class="last-error"><code>${error.type}</code> ${error.message}</span>` : null}
    ${
      workitem.retryAt
        ? html`<span class="next-attempt"
            >next attempt <${Time} iso=${workitem.retryAt} />${now === undefined ? null : html` (<${Relative} iso=${workitem.retryAt} now=${now} />)`}</span
          >`
        : null
    }
  </div>`;
}

export function Json({ value, max = 80 }) {
  const text = JSON.stringify(value);
  if (text === undefined) return null;
  return text.length > max
    ? html`<code title=${text}>${text.slice(0, max - 1)}…</code>`
    : html`<code>${text}</code>`;
}

export const NARROW = '(max-width: 40rem)';

/** On a narrow screen the net is laid out top to bottom, so it fits without scrolling sideways. */
export const diagramSource = (url, narrow) =>
  narrow ? `${url}${url.includes('?') ? '&' : '?'}direction=down` : url;

export function useMedia(query) {
  const [matches, setMatches] = useState(() => window.matchMedia(query).matches);
  useEffect(() => {
    const list = window.matchMedia(query);
    const onChange = () => setMatches(list.matches);
    list.addEventListener('change', onChange);
    onChange();
    return () => list.removeEventListener('change', onChange);
  }, [query]);
  return matches;
}

/**
 * An SVG picture from the API, inlined (an <img> could not send the key). The previous picture stays
 * while the next one loads; answers that arrive out of order are dropped.
 */
export function Diagram({ url, label }) {
  const [state, setState] = useState({ svg: '', error: undefined, loading: true });
  const latest = useRef(0);
  const narrow = useMedia(NARROW);
  const source = diagramSource(url, narrow);
  useEffect(() => {
    const ticket = ++latest.current;
    setState((previous) => ({ ...previous, loading: true }));
    svg(source).then(
      (text) => ticket === latest.current && setState({ svg: text, error: undefined, loading: false }),
      (error) =>
        ticket === latest.current && setState((previous) => ({ ...previous, error, loading: false })),
    );
  }, [source]);
  return html`<figure class="diagram" aria-busy=${state.loading ? 'true' : 'false'}>
    ${
      state.error
        ? html`<${ErrorState} error=${state.error} what="draw the diagram" />`
        : state.svg
          ? html`<div class="diagram-picture" dangerouslySetInnerHTML=${{ __html: state.svg }}></div>`
          : html`<p class="state loading" role="status">Drawing the diagram…</p>`
    }
    ${label ? html`<figcaption>${label}</figcaption>` : null}
  </figure>`;
}

export function parseJson(text) {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, message: error.message };
  }
}

/** A JSON textarea that says at once whether its text parses. */
export function JsonField({ label, value, onInput, hint, rows = 4 }) {
  const id = useId();
  const parsed = parseJson(value);
  return html`<div class="field">
    <label for=${id}>${label}</label>
    <textarea
      id=${id}
      rows=${rows}
      spellcheck="false"
      class="json"
      aria-invalid=${parsed.ok ? 'false' : 'true'}
      aria-describedby=${`${id}-help`}
      value=${value}
      onInput=${(e) => onInput(e.currentTarget.value)}
    ></textarea>
    <p id=${`${id}-help`} class=${parsed.ok ? 'help' : 'help invalid'} aria-live="polite">
      ${parsed.ok ? (hint ?? 'Valid JSON.') : `Not valid JSON: ${parsed.message}`}
    </p>
  </div>`;
}

export function LoadMore({ next, onMore, busy }) {
  if (!next) return null;
  return html`<p class="more">
    <button type="button" onClick=${onMore} disabled=${busy}>${busy ? 'Loading…' : 'Load more'}</button>
  </p>`;
}

/** A paged list endpoint: `items`, `next`, and `more()` to append the next page. */
export function usePaged(loadPage, deps, { refreshEvery } = {}) {
  const [pages, setPages] = useState({ items: undefined, next: null, busy: false });
  const [state, reload] = useLoad(() => loadPage(undefined), deps);
  useEffect(() => {
    if (state.status === 'ok') setPages({ items: state.data.items, next: state.data.next, busy: false });
  }, [state]);
  useEffect(() => {
    if (!refreshEvery) return undefined;
    const timer = setInterval(() => document.visibilityState === 'visible' && reload(), refreshEvery);
    return () => clearInterval(timer);
  }, [reload, refreshEvery]);
  const more = async () => {
    setPages((p) => ({ ...p, busy: true }));
    try {
      const page = await loadPage(pages.next);
      setPages((p) => ({ items: [...p.items, ...page.items], next: page.next, busy: false }));
    } catch (error) {
      setPages((p) => ({ ...p, busy: false }));
      notify(errorText(error, 'load more'), 'error');
    }
  };
  const view = {
    status: state.status,
    error: state.error,
    data: pages.items === undefined ? undefined : pages.items,
  };
  return { state: view, reload, next: pages.next, more, busy: pages.busy };
}
