import type { IncomingMessage, ServerResponse } from 'node:http';
import { getFromContainer, type Action, type HttpError } from 'routing-controllers';
import { bindAuth, validateAuthClass } from '../flow/bind';
import { HookFailure } from '../flow/hook-errors';
import type { RequestView } from '../authenticators/authenticator';
import { admit } from '../flow/admit';
import { isRefused, type BoundAuth, type Decision, type DecisionNote, type HeaderTarget } from '../flow/decision';
import { readAuthClass } from '../registry';
import { LoginRequirement, mergeRequirements } from '../requirement';
import type { LoginRequiredOptions } from '../types';
import { rateLimitedLog } from '../internal/log';
import type { AppLink } from '../internal/app-link';
import type { UsernameFilter } from '../internal/credential-cache';
import { isPromiseLike, runSteps, type MaybePromise, type Steps } from '../internal/steps';
import { actionsServedBy, rolesOf } from './actions';
import { earlyActionOf } from './before-body';
import { enforceClassChainRequirements } from './route-metadata-view';
import { expressIntegration } from './express';
import { koaIntegration } from './koa';
import { methodOf, nodeRequestOf, viewOfAction, type NodeRequestView, type RequestSource } from './request';
import { createMisconfigurationReporter, describeThrown, toHttpError } from './failures';
import { createLateAnswerCheck } from './response-state';
import { applySecurity, securitySchemesFor, type OpenApiDocument } from './openapi';
import { createPlanner, resolveDefaultAuth, type Member, type Plan } from './plans';
import { protectedResourcesOf } from './protected-resource';
import { scopesNamedBy } from '../scopes';
import { createTags, type Tags } from './tags';
import { createWiringCheck, type WiringCheck } from './wiring';
import { createAuditor, resolveEventListener } from './audit';
import { createCacheSync } from './cache-sync';
import type { AuthCheckers, AuthCheckersOptions, AuthInput } from './auth-checkers';

import { socketIoIntegration } from './socket-io';
import type { AppCore, FlowView } from './app-core';

/** routing-controllers expects a refusal thrown from the checker: the one place the flow throws it. */
const admittedOrThrow = (decision: Decision): true => {
  if (isRefused(decision)) throw decision.refused;
  return true;
};

/**
 * Turns auth classes (instances, or classes resolved through routing-controllers' container) into
 * routing-controllers' `authorizationChecker` and `currentUserChecker`. The first one is the
 * default for routes that do not name one. Call it before routing-controllers builds the routes
 * (the checkers are passed to it anyway): it also applies `@LoginRequired` declared on base
 * controllers to the subclasses that serve their actions.
 *
 * `User` is what `@CurrentUser()` and `currentUser()` hold; it is not checked against the classes.
 * It is the value a `@VerifyPassword` / `@VerifyToken` hook returned, except that the current
 * user is a `string`, the username, for `@GetPassword` classes (Basic, with or without
 * `@HashPassword`), for every `@DigestAuth` class and when `@VerifyPassword` returns `true`; it is
 * `undefined` when `@VerifyToken` returns `true`. Name such classes' user `string` (the default),
 * or a union (`User | string`) when a MultiAuth mixes them.
 * @see [createAuthCheckers](../../docs/checkers.md)
 *
 * @example
 * ```ts
 * const auth = createAuthCheckers<User>([new UserAuth(store), ApiKeyAuth]);
 * const app = createExpressServer({ controllers: [ItemController], ...auth });
 * auth.useExpress(app);
 * ```
 */
export function createAuthCheckers<User = string>(
  auth: AuthInput | readonly AuthInput[],
  options: AuthCheckersOptions = {},
): AuthCheckers<User> {
  const inputs: readonly AuthInput[] = Array.isArray(auth) ? auth : [auth];
  if (inputs.length === 0) throw new TypeError('http-auth: createAuthCheckers needs at least one auth class or instance');
  const logger = options.logger ?? console;
  const limitedLog = rateLimitedLog(logger);
  const onEvent = resolveEventListener(options.onEvent);
  if (options.container !== undefined && typeof options.container !== 'boolean') {
    throw new TypeError('http-auth: createAuthCheckers: container must be true or false');
  }
  const auditor = onEvent && createAuditor(onEvent, limitedLog);

  const members: Member[] = inputs.map((input) => {
    const isClass = typeof input === 'function';
    const cls = isClass ? input : (input as object).constructor;
    const meta = readAuthClass(cls);
    if (!meta) {
      throw new TypeError(
        `http-auth: createAuthCheckers got ${cls?.name || String(input)}, which is not an auth class; decorate it with @BasicAuth, @DigestAuth, @TokenAuth or @JwtAuth`,
      );
    }
    for (const warning of validateAuthClass(meta)) logger.warn(`http-auth: ${warning}`);
    // `length` counts the parameters before the first one with a default.
    if (isClass && input.length > 0 && options.container !== true) {
      throw new TypeError(
        `http-auth: createAuthCheckers got the class ${meta.name}, whose constructor takes ${input.length} parameter${input.length === 1 ? '' : 's'}, but routing-controllers' default container builds classes with none; pass an instance (createAuthCheckers([new ${meta.name}(…)])), or, when the container set with useContainer() supplies them, say so with createAuthCheckers(…, { container: true })`,
      );
    }
    return isClass ? { cls, meta } : { cls, meta, instance: input as object };
  });
  if (new Set(members.map((m) => m.cls)).size !== members.length) {
    throw new TypeError('http-auth: createAuthCheckers got the same auth class twice; pass each once');
  }

  const construct = (member: Member): object => {
    try {
      return getFromContainer(member.cls as new () => object) as object;
    } catch (error) {
      throw new HookFailure(`${member.meta.name} (built by routing-controllers' container)`, error);
    }
  };
  const bound = (member: Member): BoundAuth => {
    // Classes are resolved on first use, so useContainer() may be called after createAuthCheckers.
    member.bound ??= bindAuth(member.meta, member.instance ?? construct(member), {
      logError: (kind, message) => limitedLog.error(`${member.meta.name}:${kind}`, `http-auth: ${member.meta.name}: ${message}`),
      logWarn: (kind, message) => limitedLog.warn(`${member.meta.name}:${kind}`, `http-auth: ${member.meta.name}: ${message}`),
      misconfigured: (message) => misconfigured(message),
    });
    return member.bound;
  };
  const boundMembers = (plan: Plan): readonly BoundAuth[] => (plan.bound ??= plan.members.map(bound));

  const tags = createTags<Plan>();

  const misconfigured = createMisconfigurationReporter(logger, tags.markAnswered);

  const planFor = createPlanner(members, resolveDefaultAuth(options.defaultAuth, members));
  /** The plan for the roles routing-controllers passes, or why there is none. */
  const planOf = (roles: readonly unknown[]): Plan | string => {
    const requirement = mergeRequirements(roles);
    return typeof requirement === 'string' ? requirement : planFor(requirement);
  };

  // routing-controllers passes the same roles array for every request to an action.
  const plans = new WeakMap<readonly unknown[], Plan | string>();
  const planForRoles = (roles: readonly unknown[]): Plan => {
    let plan = plans.get(roles);
    if (plan === undefined) {
      plan = planOf(roles);
      plans.set(roles, plan);
    }
    if (typeof plan === 'string') throw misconfigured(plan);
    return plan;
  };

  // Every scope a route of this app requires, as start-up checks meet them: RFC 9728's scopes_supported.
  const routeScopes = new Set<string>();
  const checkRoles = (roles: readonly unknown[], where: string): void => {
    const plan = planOf(roles);
    if (typeof plan === 'string') throw new TypeError(`http-auth: ${where}: ${plan}`);
    for (const scope of scopesNamedBy(plan.requirement.scope)) routeScopes.add(scope);
  };

  // Requirements declared with routing-controllers' own @Authorized on a base class reach the
  // subclasses' routes too, whenever routing-controllers builds them.
  enforceClassChainRequirements();

  if (options.controllers) {
    for (const controller of options.controllers) {
      for (const method of actionsServedBy(controller)) {
        const roles = rolesOf(controller, method);
        if (roles.length > 0) checkRoles(roles, `${controller.name}.${method}`);
      }
    }
  }

  /**
   * The flow for one request, never throwing: a refusal, and anything a hook threw (as the generic
   * 500, logged), come back as `Refused` with the answer to send, marked as answered.
   */
  function* decide(plan: Plan, action: Action, view: FlowView, note?: DecisionNote): Steps<Decision> {
    let decision: Decision;
    try {
      decision = yield* admit(boundMembers(plan), plan.requirement, view, action, view.res, misconfigured, note);
    } catch (error) {
      if (note) note.thrown = error;
      const answer = toHttpError(error, limitedLog);
      tags.markAnswered(answer);
      return { hasUser: false, refused: answer };
    }
    if (isRefused(decision)) {
      if (note) note.thrown = decision.refused;
      tags.markAnswered(decision.refused);
    } else if (decision.hasUser) {
      tags.setUser(view.req, decision.user, decision.username);
    }
    return decision;
  }

  // With onEvent, the decision is noted and reported; without, no note, no clock, no event.
  function* audited(plan: Plan, action: Action, view: FlowView): Steps<Decision> {
    const startedAt = auditor!.start();
    const note: DecisionNote = {};
    const decision = yield* decide(plan, action, view, note);
    const fallback = plan.members[0].meta;
    if (isRefused(decision)) auditor!.refused(decision.refused, note, fallback, view as NodeRequestView, startedAt);
    else auditor!.admitted(decision, note, fallback, view as NodeRequestView, startedAt);
    return decision;
  }

  // What password files used inside this app's hooks reach through the hook request: this
  // app's logger, and the caches of its Basic classes (the only ones keyed by username).
  const appLink: AppLink = Object.freeze({
    logger,
    clearCache: (which: UsernameFilter) => {
      for (const member of members) if (member.meta.kind === 'basic') member.bound?.authenticator.clearCache?.(which);
    },
  });

  const run = (plan: Plan, action: Action, view: FlowView): MaybePromise<Decision> => {
    view.appLink = appLink;
    return runSteps(auditor ? audited(plan, action, view) : decide(plan, action, view));
  };

  const protectedResources = protectedResourcesOf(members, () => routeScopes);
  const wiring = createWiringCheck(logger);
  const answeredElsewhere = createLateAnswerCheck(limitedLog);
  const core: AppCore = {
    tags,
    wiring,
    planForRoles,
    startupPlan(guardOptions, where) {
      const plan = planOf([new LoginRequirement(guardOptions, where)]);
      if (typeof plan === 'string') throw new TypeError(`http-auth: ${where}: ${plan}`);
      for (const scope of scopesNamedBy(plan.requirement.scope)) routeScopes.add(scope);
      return plan;
    },
    protectedResources,
    checkRoutes(handlers) {
      for (const handler of handlers) {
        const action = earlyActionOf(handler);
        if (action) checkRoles(action.roles(), `${action.controller.name}.${action.method}`);
      }
    },
    run,
    misconfigured,
    needsBody(plan, view) {
      let members: readonly BoundAuth[];
      try {
        members = boundMembers(plan);
      } catch {
        // A member that cannot be built: run() answers the request with the generic 500.
        return false;
      }
      for (const member of members) if (member.authenticator.needsBody?.(view) === true) return true;
      return false;
    },
    answeredElsewhere,
    logInternalError(error) {
      limitedLog.error('internal', `http-auth: authentication failed unexpectedly (${describeThrown(error)})`);
    },
  };

  const currentUser = (source: RequestSource): User | undefined => {
    const req = nodeRequestOf(source);
    return req ? (tags.user(req) as User | undefined) : undefined;
  };

  // Last: it opens connections, which nothing could close if a check above threw.
  const caches = createCacheSync(members, limitedLog);

  return {
    // routing-controllers goes on synchronously when the checker returns a boolean rather than a
    // promise, so a decided request costs it no promise either; a refusal is thrown.
    authorizationChecker(action, roles) {
      wiring.authorizationCheckerRan(action);
      const plan = planForRoles(roles);
      // Admitted before the body was parsed (see before-body.ts): confirmed only when it was this
      // very requirement that admitted it; anything else is checked in full.
      const req = ((action.context as { req?: IncomingMessage } | undefined)?.req ?? action.request) as IncomingMessage;
      if (tags.admittedEarlyFor(req, plan, methodOf(req))) return true;
      const view = viewOfAction(action);
      const decided = run(plan, action, view);
      if (!isPromiseLike(decided)) return admittedOrThrow(decided);
      // Answered by somebody else while a hook ran: routing-controllers must not go on (it would
      // write to the response and throw), so the check never settles and the request ends here.
      return decided.then((decision) => (answeredElsewhere(view.res) ? new Promise<boolean>(() => {}) : admittedOrThrow(decision)));
    },

    currentUserChecker(action) {
      wiring.currentUserCheckerRan();
      return currentUser(action);
    },
    currentUser,
    username(source) {
      const req = nodeRequestOf(source);
      return req ? tags.username(req) : undefined;
    },

    clearCache: caches.clear,
    close: caches.close,

    openApiSecuritySchemes: () => securitySchemesFor(members),
    protectedResourceMetadata(authClass) {
      const resource = protectedResources.find((r) => authClass === undefined || r.authClass === authClass);
      if (!resource) {
        const which = authClass === undefined ? 'none of its @JwtAuth classes' : `${authClass.name}`;
        throw new TypeError(`http-auth: protectedResourceMetadata(): ${which} has a resource; set @JwtAuth({ resource: 'https://api.example.com' }) (this API's URL)`);
      }
      return resource.metadata();
    },
    applyOpenApiSecurity: <Spec extends OpenApiDocument>(spec: Spec) =>
      applySecurity(spec, members, (roles, where) => {
        const plan = planOf(roles);
        if (typeof plan === 'string') throw new TypeError(`http-auth: ${where}: ${plan}`);
        return plan;
      }) as Spec,

    ...expressIntegration(core),
    ...koaIntegration(core),
    ...socketIoIntegration(core),
  };
}

