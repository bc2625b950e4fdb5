/**
 * A start-up failure the user can fix: a bad setting, a store file another process holds, a port in use.
 * The service prints its message as one plain `wfnet: …` line on stderr and exits 2; anything else that
 * stops a start is a bug, and keeps its stack.
 */
export class StartupError extends Error {
  override readonly name: string = 'StartupError';
}
