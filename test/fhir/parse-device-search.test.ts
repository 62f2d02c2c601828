import { parseDeviceSearch } from '../../src/fhir';
import { refusal } from './helpers';

const options = { defaultCount: 20, maxCount: 100 };
const parse = (query: Record<string, string | string[] | undefined>) => parseDeviceSearch(query, options);

describe('parseDeviceSearch', () => {
  it('reads identifier tokens, patient, _count and _offset', () => {
    expect(
      parse({ identifier: ['urn:ietf:rfc:3986|urn:uuid:1,serial-9', 'x'], patient: 'Patient/p1', _count: '500', _offset: '7' }),
    ).toEqual({
      identifier: [[{ system: 'urn:ietf:rfc:3986', code: 'urn:uuid:1' }, { code: 'serial-9' }], [{ code: 'x' }]],
      patient: ['Patient/p1'],
      count: 100,
      offset: 7,
    });
  });

  it('defaults', () => {
    expect(parse({})).toEqual({ count: 20, offset: 0 });
  });

  it.each([
    ['_sort', 'date', 'ERR_SEARCH_PARAM_UNKNOWN'],
    ['code', 'x', 'ERR_SEARCH_PARAM_UNKNOWN'],
    ['_include', 'Device:patient', 'ERR_SEARCH_PARAM_UNSUPPORTED'],
    ['patient.name', 'x', 'ERR_SEARCH_PARAM_UNSUPPORTED'],
    ['identifier:of-type', 'x', 'ERR_SEARCH_PARAM_UNSUPPORTED'],
    ['patient', 'Device/d1', 'ERR_SEARCH_PARAM_INVALID'],
    ['identifier', '|x', 'ERR_SEARCH_PARAM_INVALID'],
  ])('refuses %s=%s', (name, value, code) => {
    expect(refusal(() => parse({ [name]: value }))).toEqual({ code, status: 400, expression: [name] });
  });
});
