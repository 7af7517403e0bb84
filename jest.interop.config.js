/**
 * The interop suite: real clients (curl, Python requests, Chromium) against a running server.
 * Run it with `npm run test:interop` (scripts/interop.sh installs the clients on Debian).
 * @type {import('jest').Config}
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/tests/interop'],
  testMatch: ['**/tests/interop/**/*.interop.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', diagnostics: false }] },
  setupFiles: ['reflect-metadata'],
  testTimeout: 60_000,
  maxWorkers: 1,
};
