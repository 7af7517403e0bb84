import { Authorized } from 'routing-controllers';
import { authenticateBeforeBody } from '../integration/before-body';
import { captureBodiesOf } from '../integration/raw-body';
import { LoginRequirement } from '../requirement';
import type { LoginRequiredOptions } from '../types';

/**
 * Requires authentication on a controller (every action) or an action. Method options override
 * class options key by key. Read the user with routing-controllers' `@CurrentUser()`.
 *
 * @example
 * @JsonController('/items') @LoginRequired()
 * class ItemController {
 *   @Delete('/:id') @LoginRequired({ role: ['admin', 'owner'] }) remove() {}
 *   @Get('/feed') @LoginRequired({ optional: true }) feed(@CurrentUser() user?: User) {}
 * }
 */
export function LoginRequired(options?: LoginRequiredOptions): ClassDecorator & MethodDecorator {
  return (target: object, key?: string | symbol) => {
    const where = key === undefined
      ? `@LoginRequired on ${(target as Function).name}`
      : `@LoginRequired on ${(target as object).constructor.name}.${String(key)}`;
    const requirement = new LoginRequirement(options, where);
    (Authorized(requirement) as (target: object, key?: string | symbol) => void)(target, key);
    const controller = key === undefined ? (target as Function) : target.constructor;
    captureBodiesOf(controller, key);
    authenticateBeforeBody(controller, key);
  };
}
