import { useState } from 'preact/hooks';
import { api, path, query } from './api.js';
import {
  ErrorState,
  Failures,
  Json,
  JsonField,
  Load,
  LoadMore,
  Time,
  href,
  html,
  notify,
  parseJson,
  useDialog,
  useLoad,
  usePaged,
  useServiceNow,
} from './widgets.js';

/** Complete (with a JSON output) or abandon one workitem; `onDone` runs after either succeeds. */
export function WorkitemActions({ workitem, onDone }) {
  const [mode, setMode] = useState('idle');
  const [output, setOutput] = useState('{}');
  const [error, setError] = useState(undefined);
  const parsed = parseJson(output);
  const opener = useDialog(
    mode === 'editing' || mode === 'completing',
    () => mode === 'editing' && setMode('idle'),
  );
  const act = async (action, body) => {
    setMode(action === 'complete' ? 'completing' : 'abandoning');
    setError(undefined);
    try {
      await api(path`workitems/${workitem.id}/${action}`, { method: 'POST', body });
      notify(
        `${action === 'complete' ? 'Completed' : 'Abandoned'} ${workitem.transitionId} of case ${workitem.caseId}.`,
      );
      setMode('idle');
      onDone?.();
    } catch (failure) {
      setError(failure);
      setMode(action === 'complete' ? 'editing' : 'idle');
    }
  };
  const complete = (event) => {
    event.preventDefault();
    if (parsed.ok) void act('complete', { output: parsed.value });
  };
  if (mode === 'editing' || mode === 'completing') {
    return html`<form class="complete" onSubmit=${complete} aria-label=${`Complete ${workitem.id}`}>
      <${JsonField}
        label=${`Output of ${workitem.transitionId} (JSON)`}
        value=${output}
        onInput=${setOutput}
        hint="Valid JSON: it becomes the workitem's output."
      />
      ${error ? html`<${ErrorState} error=${error} what="complete the workitem" />` : null}
      <div class="actions">
        <button type="submit" class="primary" disabled=${!parsed.ok || mode === 'completing'}>
          ${mode === 'completing' ? 'Completing…' : 'Complete'}
        </button>
        <button type="button" onClick=${() => setMode('idle')} disabled=${mode === 'completing'}>
          Cancel
        </button>
      </div>
    </form>`;
  }
  return html`<div class="actions">
    <button
      type="button"
      class="primary"
      ref=${opener}
      onClick=${() => setMode('editing')}
      disabled=${mode === 'abandoning'}
    >
      Complete…
    </button>
    <button type="button" onClick=${() => act('abandon', {})} disabled=${mode === 'abandoning'}>
      ${mode === 'abandoning' ? 'Abandoning…' : 'Abandon'}
    </button>
    ${error ? html`<${ErrorState} error=${error} what="abandon the workitem" />` : null}
  </div>`;
}

/** What the workitem works on: the payloads of the tokens its task holds or was offered. */
function WorkitemInput({ workitem }) {
  const [state] = useLoad(async () => {
    const [task, tokens] = await Promise.all([
      api(path`tasks/${workitem.taskId}`, { readModel: true }),
      api(path`cases/${workitem.caseId}/tokens`, { readModel: true }),
    ]);
    const ids = new Set(task.tokens.map((t) => t.tokenId));
    return tokens.filter((t) => ids.has(t.id));
  }, [workitem.id]);
  if (state.status === 'error')
    return html`<p class="meta">Input: not available (${state.error.message})</p>`;
  if (state.data === undefined) return html`<p class="meta">Input: loading…</p>`;
  return html`<p class="meta input">
    Input:${state.data.map((t) => html`${' '}<${Json} value=${t.payload} max=${120} />${` in ${t.placeId}`}`)}
  </p>`;
}

export function WorklistPage() {
  const list = usePaged(
    (after) =>
      api(`workitems${query({ state: 'started', executor: 'manual', limit: 100, after })}`, {
        readModel: true,
      }),
    [],
    { refreshEvery: 3000 },
  );
  const now = useServiceNow([list.state.data]);
  return html`<section aria-labelledby="page-title">
    <h1 id="page-title" tabindex="-1">Worklist</h1>
    <div class="toolbar">
      <p class="lead">Manual workitems waiting for someone, across all cases. Refreshed every few seconds.</p>
      <button type="button" onClick=${list.reload}>Refresh</button>
    </div>
    <${Load}
      state=${list.state}
      retry=${list.reload}
      what="the worklist"
      isEmpty=${(items) => items.length === 0}
      empty=${html`<p>Nothing to do: no manual workitem is waiting.</p>`}
    >
      ${(items) =>
        html`<ul class="cards worklist" aria-label="Waiting workitems">
            ${items.map(
              (workitem) =>
                html`<li key=${workitem.id}>
                  <article
                    class="card workitem"
                    data-workitem=${workitem.id}
                    data-transition=${workitem.transitionId}
                  >
                    <header class="card-head">
                      <h2>${workitem.transitionId}</h2>
                      <span class="meta"
                        >of case <a href=${href.case(workitem.caseId)}>${workitem.caseId}</a></span
                      >
                    </header>
                    <p class="meta">
                      <code>${workitem.id}</code> · waiting since <${Time} iso=${workitem.createdAt} />
                    </p>
                    <${WorkitemInput} workitem=${workitem} />
                    <${Failures} workitem=${workitem} now=${now} />
                  <${WorkitemActions} workitem=${workitem} onDone=${list.reload} />
                  </article>
                </li>`,
            )}
          </ul>
          <${LoadMore} next=${list.next} onMore=${list.more} busy=${list.busy} />`}
    <//>
  </section>`;
}
