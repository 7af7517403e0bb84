import Redis from 'ioredis';
import { createClient } from 'redis';

/** The two Redis clients `cache.redis` accepts. */
export const CLIENT_KINDS = ['ioredis', 'node-redis'] as const;
export type ClientKind = (typeof CLIENT_KINDS)[number];

export interface TestClient {
  readonly kind: ClientKind;
  /** What the test passes as `cache.redis`. */
  readonly client: object;
  /** The duplicates the library made of it (its subscriber connections), in order. */
  readonly duplicates: object[];
  /** Whether a connection (the client or one of its duplicates) is still open. */
  isOpen(connection: object): boolean;
  end(): void;
}

/**
 * A connected client of the given kind, with library defaults (offline queue, reconnection).
 * Its `duplicate` is wrapped so the test can see the subscriber connections the library opens.
 */
export async function connectClient(kind: ClientKind, url: string): Promise<TestClient> {
  const duplicates: object[] = [];
  // Connection errors are expected in outage tests; without a listener they are printed or thrown.
  const quiet = <T extends { on(event: 'error', listener: () => void): unknown }>(connection: T): T => (connection.on('error', () => {}), connection);
  if (kind === 'ioredis') {
    const client = quiet(new Redis(url));
    await new Promise((resolve) => client.once('ready', resolve));
    const duplicate = client.duplicate.bind(client);
    client.duplicate = ((...args: Parameters<Redis['duplicate']>) => {
      const copy = duplicate(...args);
      duplicates.push(copy);
      return copy;
    }) as Redis['duplicate'];
    return { kind, client, duplicates, isOpen: (c) => (c as Redis).status !== 'end', end: () => client.disconnect() };
  }
  const client = quiet(createClient({ url }));
  await client.connect();
  const duplicate = client.duplicate.bind(client);
  client.duplicate = ((...args: Parameters<typeof client.duplicate>) => {
    const copy = duplicate(...args);
    duplicates.push(copy);
    return copy;
  }) as typeof client.duplicate;
  return {
    kind,
    client,
    duplicates,
    isOpen: (c) => (c as typeof client).isOpen,
    end: () => {
      if (client.isOpen) client.destroy();
    },
  };
}

/** Polls `condition` every 5 ms until it holds, or fails after `ms`. */
export async function until(condition: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const giveUpAt = Date.now() + ms;
  while (Date.now() < giveUpAt) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}
