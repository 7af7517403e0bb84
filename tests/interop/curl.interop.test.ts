/**
 * curl against a running server: `--digest` (MD5, SHA-256, a route offering both), `--basic`,
 * and a Bearer token in `-H`. curl is run without a shell; `-w %{http_code}` appends the final
 * status to the body.
 */
import { execFileResult, itWith, probeCurl } from './clients';
import { ALICE, algorithmOf, INTEROP_DRIVERS, JOHN, ncOf, TOKEN, useInteropServer } from './server';

const curl = probeCurl();
const it = itWith(curl);

interface CurlResult {
  status: number;
  body: string;
}

/** `curl -s -o - -w %{http_code} <args> <url>`: the body, then the last status of the exchange. */
async function runCurl(args: string[], url: string): Promise<CurlResult> {
  const result = await execFileResult(curl.command!, ['-s', '-S', '--noproxy', '*', '--max-time', '20', '-o', '-', '-w', '%{http_code}', ...args, url]);
  if (result.code !== 0) throw new Error(`curl exited with ${result.code}: ${result.stderr}`);
  const status = Number(result.stdout.slice(-3));
  return { status, body: result.stdout.slice(0, -3) };
}

beforeAll(() => {
  // eslint-disable-next-line no-console
  if (!curl.problem) console.log(`interop: curl ${curl.version}`);
});

describe.each(INTEROP_DRIVERS)('curl against %s', (driver) => {
  const server = useInteropServer(driver);

  /** The requests of one curl run: everything the server received since `from`. */
  const since = (from: number) => server.seen.slice(from);

  describe.each([
    ['MD5', 'md5'],
    ['SHA-256', 'sha256'],
  ])('--digest %s', (algorithm, route) => {
    it('logs in: 401 challenge, then 200 with the body and Authentication-Info', async () => {
      const from = server.seen.length;
      const res = await runCurl(['--digest', '-u', `${ALICE.username}:${ALICE.password}`], `${server.url}/${route}/hello`);
      expect(res).toEqual({ status: 200, body: JSON.stringify({ route, user: 'alice' }) });
      const exchange = since(from);
      expect(exchange.map((r) => r.status)).toEqual([401, 200]);
      const answered = exchange[1];
      expect(algorithmOf(answered.authorization)).toBe(algorithm);
      expect(ncOf(answered.authorization)).toBe('00000001');
      expect(answered.authenticationInfo).toMatch(/rspauth="[0-9a-f]+"/);
    });

    it('is refused with a wrong password (401)', async () => {
      const res = await runCurl(['--digest', '-u', `${ALICE.username}:not-the-password`], `${server.url}/${route}/hello`);
      expect(res.status).toBe(401);
      expect(res.body).not.toContain('"user"');
    });

    it('is refused for an unknown user (401)', async () => {
      const res = await runCurl(['--digest', '-u', 'mallory:wonderland'], `${server.url}/${route}/hello`);
      expect(res.status).toBe(401);
    });

    it('logs in a non-ASCII user (curl sends the UTF-8 name in the quoted username)', async () => {
      const res = await runCurl(['--digest', '-u', `${JOHN.username}:${JOHN.password}`], `${server.url}/${route}/hello`);
      expect(res).toEqual({ status: 200, body: JSON.stringify({ route, user: JOHN.username }) });
    });

    it('refuses curl\'s Authorization header when it is replayed', async () => {
      const from = server.seen.length;
      await runCurl(['--digest', '-u', `${ALICE.username}:${ALICE.password}`], `${server.url}/${route}/hello`);
      const header = since(from).find((r) => r.status === 200)?.authorization;
      expect(header).toMatch(/^Digest /);
      const replay = await runCurl(['-H', `Authorization: ${header}`], `${server.url}/${route}/hello`);
      expect(replay.status).toBe(401);
    });
  });

  it('--digest on a route offering SHA-256 and MD5 logs in with one of them', async () => {
    const from = server.seen.length;
    const res = await runCurl(['--digest', '-u', `${ALICE.username}:${ALICE.password}`], `${server.url}/multi/hello`);
    expect(res).toEqual({ status: 200, body: JSON.stringify({ route: 'multi', user: 'alice' }) });
    const chosen = algorithmOf(since(from).find((r) => r.status === 200)?.authorization);
    // curl takes the first Digest challenge, the strongest one listed.
    expect(chosen).toBe('SHA-256');
    const wrong = await runCurl(['--digest', '-u', `${ALICE.username}:nope`], `${server.url}/multi/hello`);
    expect(wrong.status).toBe(401);
  });

  it('--basic logs in, and is refused with a wrong password', async () => {
    const ok = await runCurl(['--basic', '-u', `${ALICE.username}:${ALICE.password}`], `${server.url}/basic/hello`);
    expect(ok).toEqual({ status: 200, body: JSON.stringify({ route: 'basic', user: 'alice' }) });
    const wrong = await runCurl(['--basic', '-u', `${ALICE.username}:wrong`], `${server.url}/basic/hello`);
    expect(wrong.status).toBe(401);
  });

  it('--basic logs in a non-ASCII user (UTF-8)', async () => {
    const res = await runCurl(['--basic', '-u', `${JOHN.username}:${JOHN.password}`], `${server.url}/basic/hello`);
    expect(res).toEqual({ status: 200, body: JSON.stringify({ route: 'basic', user: JOHN.username }) });
  });

  it('Bearer in -H logs in, and a wrong token is refused', async () => {
    const ok = await runCurl(['-H', `Authorization: Bearer ${TOKEN}`], `${server.url}/token/hello`);
    expect(ok).toEqual({ status: 200, body: JSON.stringify({ route: 'token', user: 'token-user' }) });
    const wrong = await runCurl(['-H', 'Authorization: Bearer not-the-token'], `${server.url}/token/hello`);
    expect(wrong.status).toBe(401);
    const none = await runCurl([], `${server.url}/token/hello`);
    expect(none.status).toBe(401);
  });
});
