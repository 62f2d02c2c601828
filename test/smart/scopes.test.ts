import { isPermitted, parseScopes, permittedQueries, type Interaction } from '../../src/smart';

const VITALS = 'http://terminology.hl7.org/CodeSystem/observation-category|vital-signs';
const ALL: Interaction[] = ['c', 'r', 'u', 'd', 's'];

/** The interactions `scope` grants on `type`, as a string in c-r-u-d-s order. */
const granted = (scope: string, type = 'Observation'): string =>
  ALL.filter((i) => isPermitted(parseScopes(scope), type, i)).join('');

describe('parseScopes / isPermitted', () => {
  it.each([
    // v1
    ['patient/Observation.read', 'Observation', 'rs'],
    ['patient/Observation.write', 'Observation', 'cud'], // write never implies read
    ['user/Observation.*', 'Observation', 'cruds'],
    ['system/*.read', 'Device', 'rs'],
    ['patient/*.*', 'AuditEvent', 'cruds'],
    // v2
    ['system/Observation.rs', 'Observation', 'rs'],
    ['patient/Observation.r', 'Observation', 'r'],
    ['patient/Observation.s', 'Observation', 's'],
    ['patient/Observation.c', 'Observation', 'c'],
    ['user/*.cruds', 'Device', 'cruds'],
    ['user/Observation.cud', 'Observation', 'cud'],
    // other resource types are not granted
    ['patient/Observation.cruds', 'Device', ''],
    ['patient/Device.read', 'Observation', ''],
    // ignored: non-resource scopes and malformed resource scopes
    ['openid fhirUser launch launch/patient offline_access online_access profile', 'Observation', ''],
    ['patient/Observation.sr', 'Observation', ''], // v2 letters out of order
    ['patient/Observation.rr', 'Observation', ''], // repeated letter
    ['patient/Observation.rx', 'Observation', ''], // unknown letter
    ['patient/Observation.', 'Observation', ''],
    ['patient/Observation.readwrite', 'Observation', ''],
    ['admin/Observation.read', 'Observation', ''], // unknown context
    ['patient/observation.read', 'observation', ''], // resource types start upper-case
    ['Patient/Observation.read', 'Observation', ''],
    ['patient/Observation.read?category=x', 'Observation', ''], // query restrictions are v2 only
    ['patient/Observation.rs?', 'Observation', ''], // empty restriction: unreadable, grants nothing
    ['patient/Observation.rs?category', 'Observation', ''],
    ['patient/Observation.rs?a=1&a=2', 'Observation', ''],
    // union of several scopes
    ['patient/Observation.r  patient/Observation.s\tpatient/Observation.write', 'Observation', 'cruds'],
  ])('%p on %s grants %p', (scope, type, expected) => {
    expect(granted(scope, type)).toBe(expected);
  });

  it('keeps the context and resource type of each permission', () => {
    expect(parseScopes('launch patient/Observation.rs system/*.read')).toEqual([
      { context: 'patient', resourceType: 'Observation', interactions: new Set(['r', 's']) },
      { context: 'system', resourceType: '*', interactions: new Set(['r', 's']) },
    ]);
  });

  it('keeps a v2 query restriction, decoded, in `query`', () => {
    const [p] = parseScopes(`patient/Observation.rs?category=${encodeURIComponent(VITALS)}&status=final`);
    expect({ ...p?.query }).toEqual({ category: VITALS, status: 'final' });
    expect(p?.interactions).toEqual(new Set(['r', 's']));
  });

  it('keeps an undecoded query value as written', () => {
    const [p] = parseScopes(`patient/Observation.rs?category=${VITALS}`);
    expect(p?.query?.category).toBe(VITALS);
  });

  it('returns no permissions for an empty scope string', () => {
    expect(parseScopes('')).toEqual([]);
  });
});

describe('permittedQueries', () => {
  const restricted = `patient/Observation.rs?category=${VITALS}`;

  it('returns the restrictions when only query-restricted scopes grant the interaction (case 15)', () => {
    expect(permittedQueries(parseScopes(restricted), 'Observation', 's')?.map((q) => ({ ...q }))).toEqual([{ category: VITALS }]);
  });

  it('returns null when an unrestricted scope also grants it', () => {
    expect(permittedQueries(parseScopes(`${restricted} patient/Observation.s`), 'Observation', 's')).toBeNull();
  });

  it('returns an empty list when nothing grants it', () => {
    expect(permittedQueries(parseScopes(restricted), 'Observation', 'c')).toEqual([]);
  });
});
