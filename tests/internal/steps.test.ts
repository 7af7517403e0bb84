import { isPromiseLike, runSteps, settled, type Steps } from '../../src/internal/steps';

/** Yields each value in turn, returns what came back, and records what happened. */
function* echo(values: unknown[], log: string[]): Steps<unknown[]> {
  const results: unknown[] = [];
  try {
    for (const value of values) {
      try {
        results.push(yield value);
      } catch (error) {
        log.push(`caught ${(error as Error).message}`);
        results.push('recovered');
      }
    }
    return results;
  } finally {
    log.push('finally');
  }
}

describe('runSteps', () => {
  it('returns a plain value, not a promise, when every step is synchronous', () => {
    const log: string[] = [];
    const result = runSteps(echo([1, 'two', null, undefined, { then: 'not a function' }], log));
    expect(isPromiseLike(result)).toBe(false);
    expect(result).toEqual([1, 'two', null, undefined, { then: 'not a function' }]);
    expect(log).toEqual(['finally']);
  });

  it('throws synchronously what the steps throw before any promise', () => {
    function* failing(): Steps<never> {
      yield 1;
      throw new Error('refused');
    }
    expect(() => runSteps(failing())).toThrow('refused');
  });

  it('switches to a promise at the first promise and goes on like await', async () => {
    const log: string[] = [];
    const result = runSteps(echo([1, Promise.resolve(2), 3, Promise.resolve(4)], log));
    expect(isPromiseLike(result)).toBe(true);
    expect(log).toEqual([]);
    await expect(result).resolves.toEqual([1, 2, 3, 4]);
    expect(log).toEqual(['finally']);
  });

  it('throws a rejection into the steps at the yield, so their catch and finally run', async () => {
    const log: string[] = [];
    const result = runSteps(echo([Promise.reject(new Error('hook failed')), 5], log));
    await expect(result).resolves.toEqual(['recovered', 5]);
    expect(log).toEqual(['caught hook failed', 'finally']);
  });

  it('rejects with what the steps throw after a promise, without throwing it back into them', async () => {
    const log: string[] = [];
    function* failsAfterWaiting(): Steps<never> {
      try {
        yield Promise.resolve();
        throw new Error('refused late');
      } catch (error) {
        log.push(`caught ${(error as Error).message}`);
        throw error;
      }
    }
    await expect(runSteps(failsAfterWaiting())).rejects.toThrow('refused late');
    expect(log).toEqual(['caught refused late']);
  });

  it('adopts a thenable that is not a native promise, as await does', async () => {
    const thenable = { then: (resolve: (value: string) => void) => resolve('adopted') };
    await expect(runSteps(echo([thenable], []))).resolves.toEqual(['adopted']);
  });

  it('runs nested steps with yield* in the same mode as their caller', async () => {
    function* inner(value: unknown): Steps<unknown> {
      return (yield value) as unknown;
    }
    function* outer(value: unknown): Steps<unknown> {
      return [yield* inner(value), yield* inner('b')];
    }
    expect(runSteps(outer('a'))).toEqual(['a', 'b']);
    await expect(runSteps(outer(Promise.resolve('a')))).resolves.toEqual(['a', 'b']);
  });
});

describe('settled', () => {
  it.each([
    ['a plain value', () => 7, 'value 7'],
    ['a synchronous throw', () => { throw new Error('x'); }, 'error x'],
  ])('hands %s over before it returns', (_, fn, expected) => {
    const seen: string[] = [];
    settled(fn as () => number, (v) => seen.push(`value ${v}`), (e) => seen.push(`error ${(e as Error).message}`));
    expect(seen).toEqual([expected]);
  });

  it.each([
    ['a promise', () => Promise.resolve(7), 'value 7'],
    ['a rejection', () => Promise.reject(new Error('x')), 'error x'],
  ])('hands %s over once it settles', async (_, fn, expected) => {
    const seen: string[] = [];
    settled(fn as () => Promise<number>, (v) => seen.push(`value ${v}`), (e) => seen.push(`error ${(e as Error).message}`));
    expect(seen).toEqual([]);
    await new Promise((r) => setImmediate(r));
    expect(seen).toEqual([expected]);
  });
});
