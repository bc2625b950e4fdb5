// Who this browser acts as, from `GET /whoami`, asked again whenever the API key changes. The UI shows
// only the actions the role may take; the service decides in any case.
import { useEffect, useState } from 'preact/hooks';
import { api, getKey } from './api.js';

/** `{status: 'loading'}`, `{status: 'ok', user, role, groups}`, `{status: 'refused', keySaved}` or `{status: 'unknown'}`. */
let current = { status: 'loading' };
const listeners = new Set();
let asked = 0;
/** The key the current identity was asked with: a key saved by other means (another tab) is noticed. */
let askedWith;

function publish(identity) {
  current = identity;
  for (const listener of listeners) listener(identity);
}

function ask() {
  const ticket = ++asked;
  askedWith = getKey();
  publish({ status: 'loading' });
  api('whoami').then(
    (body) => ticket === asked && publish({ status: 'ok', ...body }),
    (error) => {
      if (ticket !== asked) return;
      if (error.status === 401) publish({ status: 'refused', keySaved: getKey() !== '' });
      // A service that cannot say who the caller is still decides each action itself.
      else publish({ status: 'unknown' });
    },
  );
}

window.addEventListener('wfnet:key', ask);
window.addEventListener('storage', () => askedWith !== getKey() && ask());
ask();

export function useIdentity() {
  const [identity, setIdentity] = useState(current);
  useEffect(() => {
    listeners.add(setIdentity);
    if (askedWith !== getKey()) ask();
    else setIdentity(current);
    return () => listeners.delete(setIdentity);
  }, []);
  return identity;
}

/** The contract's role table: readers read, workers also work and start cases, admins also administer. */
const ROLES_FOR = {
  read: ['reader', 'worker', 'admin'],
  work: ['worker', 'admin'],
  administer: ['admin'],
};

/** Whether the identity may take an action of this kind (`read`, `work`, `administer`); unknown: yes. */
export function may(identity, kind) {
  if (identity.status === 'unknown') return true;
  if (identity.status !== 'ok') return false;
  return ROLES_FOR[kind].includes(identity.role);
}
