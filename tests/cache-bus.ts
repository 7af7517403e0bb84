import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { CurrentUser, Get, JsonController } from 'routing-controllers';
import { BasicAuth, LoginRequired, VerifyPassword } from '../src';
import { basicHeader, DRIVERS, type AppBuilder } from './helpers';
import { until } from './redis-clients';

/** What the cache.redis tests share: a protected route, a users class and a cache probe. */

@JsonController('/bus')
export class BusController {
  @Get('/') @LoginRequired() index(@CurrentUser() user?: unknown) {
    return { user };
  }
}

export type App = ReturnType<AppBuilder>;
export const builder = (name: string): AppBuilder => DRIVERS.find(([driver]) => driver === name)![1];
export const uniquePrefix = () => `httpauth-test:cache-bus:${randomBytes(6).toString('hex')}`;
export const status = (app: App, user: string, password: string, path = '/bus') =>
  request(app).get(path).set('Authorization', basicHeader(user, password)).then((res) => res.status);

/**
 * Sends the request until it is answered 200 without a hook call: the credentials are cached.
 * (A subscriber's first subscription clears the cache once, whenever it lands.)
 */
export async function cached(send: () => Promise<number>, calls: readonly unknown[]): Promise<void> {
  await until(async () => {
    expect(await send()).toBe(200);
    const before = calls.length;
    return (await send()) === 200 && calls.length === before;
  }, 'the credentials to be cached');
}

/** The password table every instance reads: one database behind the load balancer. */
export function usersClass(passwords: Record<string, string>, calls: string[], cache: object) {
  @BasicAuth({ cache: { ttl: 300, ...cache } })
  class BusUsers {
    @VerifyPassword() verify(username: string, password: string) {
      calls.push(username);
      return passwords[username] !== undefined && passwords[username] === password ? { name: username } : null;
    }
  }
  return BusUsers;
}

/** One instance as a probe sees it: a request it answers, and its verify-hook calls. */
export interface Probe {
  send(): Promise<number>;
  readonly calls: readonly unknown[];
}

/**
 * Waits until every instance has subscribed and made the clear that follows a subscription, so
 * that what a test caches afterwards stays cached until the test clears it. Each probe's
 * credentials are cached, then cleared through `clear`: an instance forgets them either when
 * the message arrives (it subscribed before, and its own clear ran right after subscribing) or
 * through that very clear (it subscribed later and missed the message).
 */
export async function settle(probes: readonly Probe[], clear: () => Promise<void>): Promise<void> {
  for (const { send, calls } of probes) await cached(send, calls);
  const before = probes.map(({ calls }) => calls.length);
  await clear();
  for (const [i, { send, calls }] of probes.entries()) {
    await until(async () => (await send()) === 200 && calls.length > before[i], 'every instance to be subscribed');
  }
}
