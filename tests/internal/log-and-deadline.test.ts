import { rateLimitedLog } from '../../src/internal/log';
import { DeadlineError, withDeadline } from '../../src/internal/deadline';

describe('rateLimitedLog', () => {
  it('writes one line per kind and interval, then counts what it left out', () => {
    let t = 0;
    const lines: string[] = [];
    const log = rateLimitedLog({ warn: (m) => lines.push(`W ${m}`), error: (m) => lines.push(`E ${m}`) }, 60_000, () => t);
    for (let i = 0; i < 5; i++) log.error('hook', 'A.verify threw');
    log.warn('redis', 'redis down');
    expect(lines).toEqual(['E A.verify threw', 'W redis down']);
    t = 59_999;
    log.error('hook', 'A.verify threw');
    expect(lines).toHaveLength(2);
    t = 60_000;
    log.error('hook', 'A.verify threw');
    expect(lines[2]).toBe('E A.verify threw (5 more like this in the last 60 s were not logged)');
    t = 200_000;
    log.error('hook', 'A.verify threw');
    expect(lines[3]).toBe('E A.verify threw');
  });
});

describe('withDeadline', () => {
  it('passes a value or an error through when work settles in time', async () => {
    await expect(withDeadline(Promise.resolve(7), 50, 'x')).resolves.toBe(7);
    await expect(withDeadline(7, 50, 'x')).resolves.toBe(7);
    await expect(withDeadline(Promise.reject(new Error('boom')), 50, 'x')).rejects.toThrow('boom');
  });

  it('rejects with DeadlineError when work hangs, and swallows its late rejection', async () => {
    const unhandled = jest.fn();
    process.on('unhandledRejection', unhandled);
    try {
      let fail!: (e: Error) => void;
      const hanging = new Promise<never>((_, reject) => (fail = reject));
      const started = Date.now();
      await expect(withDeadline(hanging, 30, 'redis SET')).rejects.toBeInstanceOf(DeadlineError);
      expect(Date.now() - started).toBeLessThan(500);
      fail(new Error('late'));
      await new Promise((r) => setTimeout(r, 20));
      expect(unhandled).not.toHaveBeenCalled();
    } finally {
      process.off('unhandledRejection', unhandled);
    }
  });
});
