/** basic-scrypt-cache: basic-scrypt with `@BasicAuth({ cache: { ttl: 300, max: 10000 } })`. */
process.env.BENCH_CACHE = '1';
// eslint-disable-next-line @typescript-eslint/no-require-imports
require('./basic-scrypt');
