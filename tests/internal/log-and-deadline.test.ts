import { MAX_KINDS, MAX_LINE_CHARS, rateLimitedLog } from '../../src/internal/log';
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

// Issue 14 item 8: the limiter's memory is bounded, whatever kinds it is given, and every line it
// writes is one line of bounded length.
describe('rateLimitedLog bounds', () => {
  const collect = (intervalMs = 60_000, now: () => number = () => 0) => {
    const lines: string[] = [];
    return { lines, log: rateLimitedLog({ warn: (m) => lines.push(m), error: (m) => lines.push(m) }, intervalMs, now) };
  };

  it(`tracks at most ${MAX_KINDS} kinds: 10,000 distinct kinds give ${MAX_KINDS + 1} lines an interval, the rest counted`, () => {
    let t = 0;
    const { lines, log } = collect(60_000, () => t);
    for (let i = 0; i < 10_000; i++) log.error(`unreadable:/srv/tenants/t${i}`, `file t${i} cannot be read`);
    expect(lines).toHaveLength(MAX_KINDS + 1);
    t = 60_000;
    for (let i = 10_000; i < 20_000; i++) log.error(`unreadable:/srv/tenants/t${i}`, `file t${i} cannot be read`);
    // A new interval: the old kinds were swept, so new ones are written again, and the overflow line
    // says how many lines of other kinds it left out.
    expect(lines).toHaveLength(2 * (MAX_KINDS + 1));
    expect(lines.filter((line) => /lines of other kinds in the last 60 s were not logged/.test(line))).toHaveLength(1);
  });

  it('escapes control characters, C1 controls, line separators and bidi overrides', () => {
    const { lines, log } = collect();
    log.error('k', 'a\nb\r\u0085c\u2028d\u2029e\u202ef\u0000g\u001bh\u007f');
    expect(lines).toEqual(['a\\u000ab\\u000d\\u0085c\\u2028d\\u2029e\\u202ef\\u0000g\\u001bh\\u007f']);
  });

  it(`truncates a line to ${MAX_LINE_CHARS} characters`, () => {
    const { lines, log } = collect();
    log.warn('k', 'x'.repeat(50_000));
    expect(lines[0]).toHaveLength(MAX_LINE_CHARS + 1);
    expect(lines[0].endsWith('…')).toBe(true);
  });
});
