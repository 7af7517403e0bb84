import { confirmationState, type ConfirmationState } from '../../src/schemes/confirmation';

const BOTH = { jkt: true, 'x5t#S256': true };
const DPOP_ONLY = { jkt: true, 'x5t#S256': false };
const NONE = { jkt: false, 'x5t#S256': false };

describe('confirmationState (RFC 7800 §3.1 cnf)', () => {
  it.each<[string, unknown, typeof BOTH, ConfirmationState]>([
    ['no cnf', undefined, NONE, 'unbound'],
    ['jkt, checked', { jkt: 'x' }, DPOP_ONLY, 'checked'],
    ['jkt, not checked', { jkt: 'x' }, NONE, 'unchecked'],
    ['x5t#S256, checked', { 'x5t#S256': 'y' }, BOTH, 'checked'],
    ['x5t#S256 where only jkt is checked', { 'x5t#S256': 'y' }, DPOP_ONLY, 'unchecked'],
    ['both, both checked', { jkt: 'x', 'x5t#S256': 'y' }, BOTH, 'checked'],
    ['jwk (a method nobody checks)', { jwk: { kty: 'EC' } }, BOTH, 'unchecked'],
    ['jkt beside kid', { jkt: 'x', kid: 'k' }, BOTH, 'unchecked'],
    ['an empty object', {}, BOTH, 'invalid'],
    ['null', null, BOTH, 'invalid'],
    ['a string', 'jkt', BOTH, 'invalid'],
    ['an array', ['jkt'], BOTH, 'invalid'],
    ['a number', 1, BOTH, 'invalid'],
  ])('%s', (_name, cnf, checks, state) => {
    expect(confirmationState(cnf === undefined ? {} : { cnf: cnf as never }, checks)).toBe(state);
  });

  it('an inherited member is no method: only own keys count', () => {
    const cnf = Object.create({ jwk: {} }) as Record<string, unknown>;
    cnf.jkt = 'x';
    expect(confirmationState({ cnf: cnf as never }, DPOP_ONLY)).toBe('checked');
  });
});
