/** Injection tokens of what the runtime module provides behind an interface. */
export const CONFIG = Symbol('wfnet:config');
export const EVENT_STORE = Symbol('wfnet:event-store');
