/**
 * The example API: routing-controllers on Express with HTTP Basic users, roles, an optional
 * login, an API-key client, a MultiAuth route and a guarded static page.
 *
 * Run it:  npm start                 (listens on http://localhost:3000)
 *          PORT=8080 npm start       (another port; PORT=0 picks a free one)
 *          LOG_LEVEL=warn npm start  (audit log: one pino JSON line per login decision on stdout,
 *                                     info for logins, warn for refusals; 'silent' turns it off)
 *
 * Demo credentials:
 *   alice / alice-secret    roles admin, reader
 *   bob   / bob-secret      roles editor, verified, owner, reader
 *   carol / carol-secret    role  reader
 *   X-API-Key: demo-api-key (machine client "build-bot", only for /machine/status)
 *
 * Try it:
 *   curl -i http://localhost:3000/                      # public index, 200
 *   curl -i -u bob:bob-secret http://localhost:3000/me  # 200; a wrong password gets 401 + challenge
 *   curl -i -u bob:bob-secret -H 'Content-Type: application/json' \
 *        -d '{"title":"Hello","body":"First post"}' http://localhost:3000/articles  # 201; as carol: 403
 *   curl -i -u bob:bob-secret -H 'Content-Type: application/json' \
 *        -d '{"title":"","body":"x"}' http://localhost:3000/articles               # 400, validation errors
 *   curl -i -H 'X-API-Key: demo-api-key' http://localhost:3000/machine/status     # 200, MultiAuth
 *   curl -i http://localhost:3000/machine/status    # 401, challenges Basic and ApiKey
 *   curl -i -u alice:alice-secret http://localhost:3000/admin/                    # 200; as bob: 403
 *
 * Issuing tokens (see README, "Issuing tokens"):
 *   curl -s -X POST -u bob:bob-secret http://localhost:3000/auth/token            # {"access_token":…,"refresh_token":…}
 *   curl -s -H "Authorization: Bearer <access_token>" http://localhost:3000/auth/whoami   # 200
 *   curl -s -X POST -H 'Content-Type: application/json' \
 *        -d '{"refresh_token":"<refresh_token>"}' http://localhost:3000/auth/refresh  # a new pair; the same token again: 400, login revoked
 */
import type { AddressInfo } from 'node:net';
import { createApp } from './app';
import { DEMO_API_KEY, DEMO_USERS } from './users';

async function main(): Promise<void> {
  const port = Number(process.env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`PORT must be a port number, got ${JSON.stringify(process.env.PORT)}`);
    process.exit(1);
  }

  const { app, users } = createApp();
  await users.ready;

  const server = app.listen(port);
  server.once('error', (error: NodeJS.ErrnoException) => {
    console.error(error.code === 'EADDRINUSE' ? `Port ${port} is in use; set PORT to another one.` : error);
    process.exit(1);
  });
  server.once('listening', () => {
    const url = `http://localhost:${(server.address() as AddressInfo).port}`;
    console.log(`Example API listening on ${url}/`);
    console.log('Demo users (HTTP Basic):');
    for (const { username, password, roles } of DEMO_USERS) console.log(`  ${username} / ${password}  (${roles.join(', ')})`);
    console.log(`Demo API key: X-API-Key: ${DEMO_API_KEY}`);
    console.log(`Try: curl -u bob:bob-secret ${url}/me`);
  });

  let closing = false;
  const shutdown = (signal: NodeJS.Signals) => {
    // npm forwards the signal it gets to this process too, so one Ctrl-C or `kill` of the process
    // group arrives twice: the second must not end the process before the first was handled.
    if (closing) return;
    closing = true;
    console.log(`${signal} received, closing the server`);
    server.close(() => process.exit(0));
    // Idle keep-alive connections would hold close() open until they time out.
    server.closeIdleConnections();
    setTimeout(() => process.exit(1), 5000).unref();
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
