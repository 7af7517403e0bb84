import type { RequestView } from '../authenticators/authenticator';
import type { BoundAuth, MisconfigurationReporter } from './decision';
import { HookFailure } from './hook-errors';
import type { Steps } from '../internal/steps';
import type { Reservation } from '../internal/throttle';

/**
 * The throttle's step of the flow, before any verify hook runs: who the attempt counts as, then a
 * slot (or a block). `undefined` when nothing is counted: no throttle, or no credentials.
 *
 * Only requests that carry credentials are counted or blocked. A request without any gets what
 * it would get anyway (the anonymous view on an optional route, the 401 challenge elsewhere), so
 * a block on one address (a proxy's, a NAT's) does not shut everyone behind it out of what needs
 * no login.
 */
export function* reserveAttempt(selected: BoundAuth, request: RequestView, misconfigured: MisconfigurationReporter): Steps<Reservation | undefined> {
  const { throttle, authenticator } = selected;
  if (!throttle || !authenticator.presents(request)) return undefined;
  const { key, normalize } = throttle.config;
  const scope = key && userString(() => key(request.hookRequest()), `${selected.name} throttle.key`, misconfigured, true);
  // One account, however it is spelled: a userhash is resolved (whatever algorithm made it), and
  // the name is canonicalised (`Alice`, `ALICE` and `ａｌｉｃｅ` are one budget).
  const claimed = (yield authenticator.claimedUsername?.(request)) as string | undefined;
  const account = claimed ? userString(() => normalize(claimed), `${selected.name} throttle.normalize`, misconfigured, false) : undefined;
  const needsSlot = !authenticator.knownGood?.(request);
  return (yield throttle.reserve({ account, address: request.clientAddress, scope }, needsSlot)) as Reservation;
}

/** Calls an app's function that must return a string: what it throws names it, like a hook's. */
function userString(fn: () => unknown, where: string, misconfigured: MisconfigurationReporter, numbers: boolean): string {
  let value: unknown;
  try {
    value = fn();
  } catch (error) {
    throw new HookFailure(where, error);
  }
  if (typeof value === 'string') return value;
  if (numbers && typeof value === 'number') return String(value);
  throw misconfigured(`${where} returned ${value === null ? 'null' : typeof value}; return a string`);
}
