import { h } from 'preact';
import { useCallback, useEffect, useId, useLayoutEffect, useRef, useState } from 'preact/hooks';
import htm from 'htm';
import { api, getKey, svg } from './api.js';

export const html = htm.bind(h);

export const href = {
  workflows: () => '#/workflows',
  workflow: (id) => `#/workflows/${encodeURIComponent(id)}`,
  define: () => '#/define',
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
 * An SVG picture from the API, inlined (an <img> could not send the key), in a `NetView`. The previous
 * picture stays while the next one loads; answers that arrive out of order are dropped.
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
  return html`<${NetView} svg=${state.svg} error=${state.error} loading=${state.loading} label=${label} />`;
}

/** Below this a label of the net (12 px) is too small to read: the view scrolls instead of shrinking further. */
export const READABLE_SCALE = 0.75;
const MAX_SCALE = 4;
const ZOOM_STEP = 1.25;
const PAN_STEP = 60;
const clampScale = (scale) => Math.min(MAX_SCALE, Math.max(0.1, scale));

/** The drawn size of a net picture, from its own attributes (what the server laid out). */
function naturalSize(picture) {
  const box = picture.viewBox?.baseVal;
  return box && box.width > 0
    ? { width: box.width, height: box.height }
    : {
        width: Number(picture.getAttribute('width')) || 1,
        height: Number(picture.getAttribute('height')) || 1,
      };
}

/**
 * A net picture (SVG text) that can be zoomed and panned: the mouse wheel with Ctrl (or a trackpad's
 * pinch), dragging, two-finger pinch and one-finger drag on touch screens, and the keys + − 0 and the
 * arrows when it has focus. It starts fitted to its width, but never below `READABLE_SCALE`: a large
 * net scrolls rather than shrinking to a strip. `decorate(svgElement)` runs after each drawing (the
 * counterexample player puts its tokens there); the zoom stays as it is when `svg` changes (time travel).
 */
export function NetView({ svg: text, error, loading = false, label, decorate }) {
  const viewport = useRef(null);
  const view = useRef({ scale: 1, fitted: true, left: 0, top: 0 });
  const [scale, setScale] = useState(1);
  // The view is drawn only with a picture and no error; its listeners go with each view drawn.
  const shown = !error && text !== '';

  const picture = () => viewport.current?.querySelector('svg') ?? null;
  const fitScale = () => {
    const element = picture();
    if (!element || !viewport.current) return 1;
    const { width } = naturalSize(element);
    return Math.max(READABLE_SCALE, Math.min(1, viewport.current.clientWidth / width));
  };
  const resize = (element, next) => {
    const { width, height } = naturalSize(element);
    element.setAttribute('width', String(Math.round(width * next)));
    element.setAttribute('height', String(Math.round(height * next)));
    view.current.scale = next;
    setScale(next);
  };
  /** Zooms to `next`, keeping the point `at` of the view (its middle by default) where it is. */
  const apply = (next, at) => {
    const box = viewport.current;
    const element = picture();
    if (!box || !element) return;
    const previous = view.current.scale;
    const point = at ?? { x: box.clientWidth / 2, y: box.clientHeight / 2 };
    const contentX = (box.scrollLeft + point.x) / previous;
    const contentY = (box.scrollTop + point.y) / previous;
    resize(element, next);
    box.scrollLeft = contentX * next - point.x;
    box.scrollTop = contentY * next - point.y;
  };
  const zoom = (factor, at) => {
    view.current.fitted = false;
    apply(clampScale(view.current.scale * factor), at);
  };
  const fit = () => {
    view.current.fitted = true;
    apply(fitScale());
    if (viewport.current) viewport.current.scrollLeft = 0;
  };

  // A new picture (time travel's next revision) keeps the zoom and the scroll position of the last one.
  const drawn = useRef('');
  useLayoutEffect(() => {
    const element = picture();
    if (!element) {
      drawn.current = '';
      return;
    }
    if (drawn.current !== text) {
      drawn.current = text;
      const { left, top } = view.current;
      resize(element, view.current.fitted ? fitScale() : view.current.scale);
      viewport.current.scrollLeft = left;
      viewport.current.scrollTop = top;
    }
    decorate?.(element);
  }, [text, decorate]);

  useEffect(() => {
    const box = viewport.current;
    if (!box) return undefined;
    const onResize = () => view.current.fitted && picture() && apply(fitScale());
    const observer = new ResizeObserver(onResize);
    observer.observe(box);
    const onWheel = (event) => {
      if (!event.ctrlKey && !event.metaKey) return;
      event.preventDefault();
      const bounds = box.getBoundingClientRect();
      zoom(Math.exp(-event.deltaY * 0.002), {
        x: event.clientX - bounds.left,
        y: event.clientY - bounds.top,
      });
    };
    let pinch;
    const spread = (touches) => {
      const [a, b] = [touches[0], touches[1]];
      return {
        distance: Math.hypot(a.clientX - b.clientX, a.clientY - b.clientY) || 1,
        x: (a.clientX + b.clientX) / 2,
        y: (a.clientY + b.clientY) / 2,
      };
    };
    const onTouchStart = (event) => {
      if (event.touches.length === 2) pinch = { ...spread(event.touches), scale: view.current.scale };
    };
    const onTouchMove = (event) => {
      if (event.touches.length !== 2 || !pinch) return;
      event.preventDefault();
      const now = spread(event.touches);
      const bounds = box.getBoundingClientRect();
      view.current.fitted = false;
      apply(clampScale((pinch.scale * now.distance) / pinch.distance), {
        x: now.x - bounds.left,
        y: now.y - bounds.top,
      });
    };
    const onTouchEnd = (event) => {
      if (event.touches.length < 2) pinch = undefined;
    };
    box.addEventListener('wheel', onWheel, { passive: false });
    box.addEventListener('touchstart', onTouchStart, { passive: true });
    box.addEventListener('touchmove', onTouchMove, { passive: false });
    box.addEventListener('touchend', onTouchEnd);
    box.addEventListener('touchcancel', onTouchEnd);
    return () => {
      observer.disconnect();
      box.removeEventListener('wheel', onWheel);
      box.removeEventListener('touchstart', onTouchStart);
      box.removeEventListener('touchmove', onTouchMove);
      box.removeEventListener('touchend', onTouchEnd);
      box.removeEventListener('touchcancel', onTouchEnd);
    };
  }, [shown]);

  const drag = useRef(undefined);
  const onPointerDown = (event) => {
    if (event.pointerType !== 'mouse' || event.button !== 0) return;
    const box = viewport.current;
    drag.current = { x: event.clientX, y: event.clientY, left: box.scrollLeft, top: box.scrollTop };
    box.setPointerCapture(event.pointerId);
    box.classList.add('dragging');
  };
  const onPointerMove = (event) => {
    if (!drag.current) return;
    const box = viewport.current;
    box.scrollLeft = drag.current.left - (event.clientX - drag.current.x);
    box.scrollTop = drag.current.top - (event.clientY - drag.current.y);
  };
  const onPointerUp = () => {
    drag.current = undefined;
    viewport.current?.classList.remove('dragging');
  };
  const onKeyDown = (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    const box = viewport.current;
    const keys = {
      '+': () => zoom(ZOOM_STEP),
      '=': () => zoom(ZOOM_STEP),
      '-': () => zoom(1 / ZOOM_STEP),
      _: () => zoom(1 / ZOOM_STEP),
      0: fit,
      ArrowLeft: () => box.scrollBy({ left: -PAN_STEP }),
      ArrowRight: () => box.scrollBy({ left: PAN_STEP }),
      ArrowUp: () => box.scrollBy({ top: -PAN_STEP }),
      ArrowDown: () => box.scrollBy({ top: PAN_STEP }),
    };
    const action = keys[event.key];
    if (!action) return;
    event.preventDefault();
    action();
  };

  return html`<figure class="diagram" aria-busy=${loading ? 'true' : 'false'}>
    ${
      error
        ? html`<${ErrorState} error=${error} what="draw the diagram" />`
        : text
          ? html`<div class="zoom-bar" role="group" aria-label="Zoom">
                <button type="button" aria-label="Zoom out" onClick=${() => zoom(1 / ZOOM_STEP)}>−</button>
                <output class="zoom-level" aria-label="Zoom level">${Math.round(scale * 100)}%</output>
                <button type="button" aria-label="Zoom in" onClick=${() => zoom(ZOOM_STEP)}>+</button>
                <button type="button" onClick=${fit}>Fit</button>
              </div>
              <div
                class="diagram-picture"
                ref=${viewport}
                tabindex="0"
                role="group"
                aria-label=${`${label ?? 'Diagram'}: drag or scroll to pan, Ctrl and the wheel or + and − to zoom, 0 to fit`}
                onKeyDown=${onKeyDown}
                onPointerDown=${onPointerDown}
                onPointerMove=${onPointerMove}
                onPointerUp=${onPointerUp}
                onPointerCancel=${onPointerUp}
                onScroll=${(event) => {
                  view.current.left = event.currentTarget.scrollLeft;
                  view.current.top = event.currentTarget.scrollTop;
                }}
                dangerouslySetInnerHTML=${{ __html: text }}
              ></div>`
          : html`<p class="state loading" role="status">Drawing the diagram…</p>`
    }
    ${label ? html`<figcaption>${label}</figcaption>` : null}
  </figure>`;
}

/** The inline dialogs open now, the last opened last: Escape closes that one. */
const openDialogs = [];
document.addEventListener('keydown', (event) => {
  if (event.key !== 'Escape' || event.defaultPrevented || openDialogs.length === 0) return;
  event.preventDefault();
  openDialogs[openDialogs.length - 1].close();
});

/**
 * An inline dialog (a confirmation, a form a button opens): while `open`, Escape calls `close`; when it
 * closes, focus goes back to the button that opened it (put the returned ref on that button) unless it
 * has already moved somewhere else on purpose.
 */
export function useDialog(open, close) {
  const opener = useRef(null);
  const closing = useRef(close);
  closing.current = close;
  const wasOpen = useRef(open);
  useLayoutEffect(() => {
    const was = wasOpen.current;
    wasOpen.current = open;
    if (open) {
      const entry = { close: () => closing.current() };
      openDialogs.push(entry);
      return () => openDialogs.splice(openDialogs.indexOf(entry), 1);
    }
    const lost = document.activeElement === null || document.activeElement === document.body;
    if (was && lost && opener.current?.isConnected) opener.current.focus();
    return undefined;
  }, [open]);
  return opener;
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
