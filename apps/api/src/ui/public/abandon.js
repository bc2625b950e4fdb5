import { useEffect, useRef, useState } from 'preact/hooks';
import { api, path, query } from './api.js';
import { ErrorState, actedElsewhere, errorText, html, notify } from './widgets.js';

/**
 * The workitem that offers the same step again after `abandoned` was abandoned: the newest open one of its
 * transition in its case, if the case offers it again (it does not once the case has ended).
 */
async function offeredAgain(abandoned) {
  const page = await api(
    `${path`cases/${abandoned.caseId}/workitems`}${query({ transitionId: abandoned.transitionId, limit: 500 })}`,
    { readModel: true },
  );
  const open = page.items.filter(
    (w) => w.id !== abandoned.id && (w.state === 'created' || w.state === 'started'),
  );
  return open[open.length - 1];
}

/**
 * Abandon, confirmed first: abandoning a workitem does not end its step, which comes back at once as a
 * new workitem, so the confirmation says that, and the notice after it names the new workitem.
 */
export function AbandonWorkitem({ workitem, onDone, disabled = false }) {
  const [step, setStep] = useState('idle');
  const [error, setError] = useState(undefined);
  const confirm = useRef(null);
  useEffect(() => {
    if (step === 'confirm') confirm.current?.focus();
  }, [step]);
  const abandon = async () => {
    setStep('busy');
    setError(undefined);
    try {
      await api(path`workitems/${workitem.id}/abandon`, { method: 'POST', body: {} });
      const next = await offeredAgain(workitem).catch(() => undefined);
      notify(
        next
          ? `Abandoned ${workitem.id}. The step ${workitem.transitionId} is offered again as workitem ${next.id}.`
          : `Abandoned ${workitem.id}. The step ${workitem.transitionId} is not offered again: its case has moved on.`,
      );
      setStep('idle');
      onDone?.();
    } catch (failure) {
      setError(failure);
      setStep(actedElsewhere(failure) ? 'gone' : 'confirm');
      if (actedElsewhere(failure)) {
        notify(errorText(failure, 'abandon the workitem'), 'error');
        onDone?.();
      }
    }
  };
  if (step === 'idle' || step === 'gone')
    return html`<button
        type="button"
        onClick=${() => setStep('confirm')}
        disabled=${disabled || step === 'gone'}
      >
        Abandon…
      </button>
      ${error ? html`<${ErrorState} error=${error} what="abandon the workitem" />` : null}`;
  return html`<div class="confirm" role="group" aria-label=${`Confirm abandoning ${workitem.id}`}>
    <p>
      Abandon this workitem? The step ${workitem.transitionId} will be offered again as a new workitem, with a
      new id; this one ends as abandoned.
    </p>
    ${error ? html`<${ErrorState} error=${error} what="abandon the workitem" />` : null}
    <button type="button" class="danger" ref=${confirm} onClick=${abandon} disabled=${step === 'busy'}>
      ${step === 'busy' ? 'Abandoning…' : 'Abandon'}
    </button>
    <button type="button" onClick=${() => setStep('idle')} disabled=${step === 'busy'}>Cancel</button>
  </div>`;
}
