/**
 * Python requests against a running server: `HTTPDigestAuth` (MD5, SHA-256, a route offering
 * both) with a `Session` that reuses the nonce with a rising nc, and `HTTPBasicAuth`.
 * The script is passed with `-c`, its arguments in argv; it prints one JSON object.
 */
import { execFileResult, itWith, probePythonRequests } from './clients';
import { ALICE, algorithmOf, INTEROP_DRIVERS, JOHN, ncOf, nonceOf, useInteropServer } from './server';

const python = probePythonRequests();
const it = itWith(python);

const SCRIPT = `
import json, sys
import requests
from requests.auth import HTTPBasicAuth, HTTPDigestAuth

kind, url, user, password, count = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
session = requests.Session()
session.trust_env = False  # no proxy from the environment: 127.0.0.1 only
auth = HTTPDigestAuth(user, password) if kind == 'digest' else HTTPBasicAuth(user, password)
results = []
for _ in range(count):
    r = session.get(url, auth=auth, timeout=20)
    results.append({
        'status': r.status_code,
        'body': r.text,
        'history': [h.status_code for h in r.history],
        'authorization': r.request.headers.get('Authorization'),
        'authenticationInfo': r.headers.get('Authentication-Info'),
    })
session.close()
print(json.dumps({'requests': requests.__version__, 'results': results}))
`;

interface PythonResult {
  status: number;
  body: string;
  history: number[];
  authorization: string | null;
  authenticationInfo: string | null;
}

async function runRequests(kind: 'digest' | 'basic', url: string, user: string, password: string, count = 1): Promise<PythonResult[]> {
  const result = await execFileResult(python.command!, ['-c', SCRIPT, kind, url, user, password, String(count)]);
  if (result.code !== 0) throw new Error(`python exited with ${result.code}: ${result.stderr}`);
  return (JSON.parse(result.stdout) as { results: PythonResult[] }).results;
}

beforeAll(() => {
  // eslint-disable-next-line no-console
  if (!python.problem) console.log(`interop: ${python.version}`);
});

describe.each(INTEROP_DRIVERS)('python requests against %s', (driver) => {
  const server = useInteropServer(driver);

  describe.each([
    ['MD5', 'md5'],
    ['SHA-256', 'sha256'],
  ])('HTTPDigestAuth %s', (algorithm, route) => {
    it('logs in, then reuses the nonce in a Session with nc counting up', async () => {
      const results = await runRequests('digest', `${server.url}/${route}/hello`, ALICE.username, ALICE.password, 4);
      for (const r of results) expect({ status: r.status, body: r.body }).toEqual({ status: 200, body: JSON.stringify({ route, user: 'alice' }) });
      // Only the first request needed a challenge; the others were sent with credentials up front.
      expect(results.map((r) => r.history)).toEqual([[401], [], [], []]);
      expect(results.map((r) => ncOf(r.authorization ?? undefined))).toEqual(['00000001', '00000002', '00000003', '00000004']);
      expect(new Set(results.map((r) => nonceOf(r.authorization ?? undefined))).size).toBe(1);
      expect(results.map((r) => algorithmOf(r.authorization ?? undefined))).toEqual([algorithm, algorithm, algorithm, algorithm]);
      for (const r of results) expect(r.authenticationInfo).toMatch(/rspauth="[0-9a-f]+"/);
    });

    it('is refused with a wrong password (401)', async () => {
      const [r] = await runRequests('digest', `${server.url}/${route}/hello`, ALICE.username, 'not-the-password');
      expect(r.status).toBe(401);
      expect(r.history).toEqual([401]);
    });

    it('logs in a non-ASCII user', async () => {
      const [r] = await runRequests('digest', `${server.url}/${route}/hello`, JOHN.username, JOHN.password);
      expect({ status: r.status, body: r.body }).toEqual({ status: 200, body: JSON.stringify({ route, user: JOHN.username }) });
    });
  });

  it('HTTPDigestAuth on a route offering SHA-256 and MD5 logs in with one of them', async () => {
    const results = await runRequests('digest', `${server.url}/multi/hello`, ALICE.username, ALICE.password, 3);
    for (const r of results) expect({ status: r.status, body: r.body }).toEqual({ status: 200, body: JSON.stringify({ route: 'multi', user: 'alice' }) });
    expect(results.map((r) => ncOf(r.authorization ?? undefined))).toEqual(['00000001', '00000002', '00000003']);
    const chosen = algorithmOf(results[0].authorization ?? undefined);
    // requests 2.28 merges several Digest challenges into one dict, so the last one (MD5) wins.
    expect(['SHA-256', 'MD5']).toContain(chosen);
    // eslint-disable-next-line no-console
    console.log(`interop: python requests ${driver}: offered SHA-256 and MD5, chose ${chosen}`);
    const [wrong] = await runRequests('digest', `${server.url}/multi/hello`, ALICE.username, 'nope');
    expect(wrong.status).toBe(401);
  });

  it('HTTPBasicAuth logs in, and is refused with a wrong password', async () => {
    const [ok] = await runRequests('basic', `${server.url}/basic/hello`, ALICE.username, ALICE.password);
    expect({ status: ok.status, body: ok.body }).toEqual({ status: 200, body: JSON.stringify({ route: 'basic', user: 'alice' }) });
    const [wrong] = await runRequests('basic', `${server.url}/basic/hello`, ALICE.username, 'wrong');
    expect(wrong.status).toBe(401);
  });

  it('HTTPBasicAuth logs in a non-ASCII user (requests encodes it as ISO-8859-1)', async () => {
    const [r] = await runRequests('basic', `${server.url}/basic/hello`, JOHN.username, JOHN.password);
    expect({ status: r.status, body: r.body }).toEqual({ status: 200, body: JSON.stringify({ route: 'basic', user: JOHN.username }) });
  });
});
