import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { getKey, setKey } from './api.js';
import { CasePage, CasesPage } from './cases.js';
import { useIdentity } from './identity.js';
import { IncidentsPage } from './incidents.js';
import { href, html } from './widgets.js';
import { DefinePage, WorkflowPage, WorkflowsPage } from './workflows.js';
import { WorklistPage } from './worklist.js';

function parseRoute() {
  const hash = location.hash.replace(/^#/, '');
  const [pathname = '', search = ''] = hash.split('?');
  const parts = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  return { hash, parts, params: new URLSearchParams(search) };
}

function useRoute() {
  const [route, setRoute] = useState(parseRoute);
  useEffect(() => {
    const onChange = () => setRoute(parseRoute());
    window.addEventListener('hashchange', onChange);
    // The effect runs after the first paint: a link followed before then fired its hashchange unheard.
    if (parseRoute().hash !== route.hash) onChange();
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

function Page({ route }) {
  const [section, id] = route.parts;
  if (route.parts.length > 2) return html`<${NotFound} />`;
  switch (section) {
    case undefined:
    case 'workflows':
      return id === undefined ? html`<${WorkflowsPage} />` : html`<${WorkflowPage} key=${id} id=${id} />`;
    case 'cases':
      return id === undefined
        ? html`<${CasesPage} params=${route.params} />`
        : html`<${CasePage} key=${id} id=${id} />`;
    case 'define':
      return id === undefined ? html`<${DefinePage} />` : html`<${NotFound} />`;
    case 'worklist':
      return id === undefined ? html`<${WorklistPage} params=${route.params} />` : html`<${NotFound} />`;
    case 'incidents':
      return id === undefined ? html`<${IncidentsPage} params=${route.params} />` : html`<${NotFound} />`;
    default:
      return html`<${NotFound} />`;
  }
}

function NotFound() {
  return html`<section>
    <h1 id="page-title" tabindex="-1">Not found</h1>
    <p class="state empty">There is no such page. <a href=${href.workflows()}>Go to the workflows.</a></p>
  </section>`;
}

function KeyForm() {
  const [saved, setSaved] = useState(getKey);
  const [draft, setDraft] = useState('');
  const save = (event) => {
    event.preventDefault();
    setKey(draft.trim());
    setSaved(draft.trim());
    setDraft('');
  };
  const forget = () => {
    setKey('');
    setSaved('');
  };
  return html`<form class="key" onSubmit=${save} aria-label="API key">
    <label for="api-key">API key</label>
    <input
      id="api-key"
      type="password"
      autocomplete="off"
      placeholder=${saved ? 'saved in this browser' : 'none: open service'}
      value=${draft}
      onInput=${(e) => setDraft(e.currentTarget.value)}
    />
    <button type="submit" disabled=${draft.trim() === ''}>Save key</button>
    ${saved ? html`<button type="button" onClick=${forget}>Forget key</button>` : null}
    <${WhoAmI} />
  </form>`;
}

/** Who the saved key (or the open service) acts as, or why it acts as nobody. */
function WhoAmI() {
  const identity = useIdentity();
  switch (identity.status) {
    case 'ok':
      return html`<p class="whoami" data-user=${identity.user} data-role=${identity.role}>
        Signed in as <strong>${identity.user}</strong> (${identity.role}${
          identity.groups.length ? `; ${identity.groups.join(', ')}` : ''
        })
      </p>`;
    case 'refused':
      return html`<p class="whoami refused">
        ${
          identity.keySaved
            ? 'This API key was refused: enter another one or forget it.'
            : 'This service needs an API key: enter one here.'
        }
      </p>`;
    case 'loading':
    case 'unknown':
      return null;
    default:
      throw new Error(`unknown identity status ${identity.status}`);
  }
}

const NAV = [
  ['workflows', 'Workflows'],
  ['cases', 'Cases'],
  ['worklist', 'Worklist'],
  ['incidents', 'Incidents'],
];

function App() {
  const route = useRoute();
  const [notice, setNotice] = useState(null);
  const main = useRef(null);
  const first = useRef(true);
  const section = route.parts[0] ?? 'workflows';

  useEffect(() => {
    let timer;
    const onNotice = (event) => {
      setNotice(event.detail);
      clearTimeout(timer);
      // Short for news, longer for an error, which takes reading.
      timer = setTimeout(() => setNotice(null), event.detail.kind === 'error' ? 6000 : 3000);
    };
    window.addEventListener('wfnet:notice', onNotice);
    return () => window.removeEventListener('wfnet:notice', onNotice);
  }, []);

  // After navigating, keyboard and screen-reader users land on the new page's heading.
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    const heading = main.current?.querySelector('h1');
    (heading ?? main.current)?.focus({ preventScroll: false });
  }, [route.parts.join('/')]);

  return html`<a
      class="skip"
      href="#main"
      onClick=${(e) => {
        e.preventDefault();
        main.current?.focus();
      }}
      >Skip to content</a
    >
    <header class="top">
      <a class="brand" href=${href.workflows()}>wfnet</a>
      <nav aria-label="Main">
        <ul>
          ${NAV.map(
            ([name, label]) =>
              html`<li>
                <a href=${`#/${name}`} aria-current=${section === name ? 'page' : undefined}>${label}</a>
              </li>`,
          )}
        </ul>
      </nav>
      <${KeyForm} />
    </header>
    <main id="main" ref=${main} tabindex="-1">
      <${Page} route=${route} />
    </main>
    <div class="notice-area" aria-live="polite" role="status">
      ${
        notice
          ? html`<p class=${`notice notice-${notice.kind}`}>
            <span>${notice.message}</span>
            <button type="button" class="dismiss" aria-label="Dismiss" onClick=${() => setNotice(null)}>×</button>
          </p>`
          : null
      }
    </div>`;
}

const root = document.getElementById('app');
root.textContent = '';
render(html`<${App} />`, root);
