import { Authorized } from 'routing-controllers';
import { enforceClassChainRequirements } from '../integration/route-metadata-view';
import { isAuthClass } from '../registry';
import { LoginRequirement } from '../requirement';
import type { LoginRequiredOptions } from '../types';
import { describeTarget, dualForm } from './dual-form';

/**
 * The type of {@link LoginRequired}: `@LoginRequired`, `@LoginRequired()` or
 * `@LoginRequired({ ...options })`, on a controller or an action. Name it to make a preset.
 * @example
 * ```ts
 * const requireLogin: LoginRequiredDecorator = LoginRequired;
 * @JsonController('/items') @requireLogin
 * class ItemController { @Delete('/:id') @requireLogin({ role: 'admin' }) remove() {} }
 * ```
 */
export interface LoginRequiredDecorator {
  // The options form comes first, so that an argument typed `any` is read as options.
  (options?: LoginRequiredOptions): ClassDecorator & MethodDecorator;
  (target: Function): void;
  (target: object, key: string | symbol, descriptor: PropertyDescriptor): void;
}

/**
 * Requires authentication on a controller (every action) or an action. Method options override
 * class options key by key. Read the user with routing-controllers' `@CurrentUser()`. Written
 * bare (`@LoginRequired`) it means `@LoginRequired()`.
 * @see [Roles and requirements](../../docs/roles-and-requirements.md)
 *
 * @example
 * ```ts
 * @JsonController('/items') @LoginRequired
 * class ItemController {
 *   @Delete('/:id') @LoginRequired({ role: ['admin', 'owner'] }) remove() {}
 *   @Get('/feed') @LoginRequired({ optional: true }) feed(@CurrentUser() user?: User) {}
 * }
 * ```
 */
export const LoginRequired = dualForm<LoginRequiredOptions>('@LoginRequired', (options) => (target, key, descriptor) => {
  const where = `@LoginRequired on ${describeTarget(target, key)}`;
  if (key === undefined) {
    if (typeof target !== 'function' || descriptor !== undefined) {
      throw new TypeError(`http-auth: ${where}: it decorates a controller class or an action method; put it on one`);
    }
    // `@LoginRequired(UserAuth)` reaches here as if it decorated UserAuth, and the controller it was
    // meant for would stay open.
    if (isAuthClass(target)) {
      throw new TypeError(`http-auth: ${where}, which is an auth class; to choose the auth class of a route, write @LoginRequired({ auth: ${target.name} })`);
    }
  } else if (typeof target === 'function') {
    throw new TypeError(`http-auth: ${where}, a static method; put it on an action (an instance method)`);
  } else if (typeof (descriptor as PropertyDescriptor | undefined)?.value !== 'function') {
    throw new TypeError(`http-auth: ${where}, which is not a method; put it on an action or on the controller class`);
  }
  const requirement = new LoginRequirement(options, where);
  (Authorized(requirement) as (target: object, key?: string | symbol) => void)(target, key);
  // Before any route is built, routing-controllers must read requirements through the library's
  // view: a subclass serving this action needs it too (see route-metadata-view.ts).
  enforceClassChainRequirements();
}) as LoginRequiredDecorator;
