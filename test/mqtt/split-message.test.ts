import { FhirError } from '../../src/errors/fhir-error';
import { bodyMediaType, MAX_TOKEN_BYTES, splitMessage } from '../../src/mqtt/split-message';

describe('splitMessage', () => {
  it('splits at the first \\n and keeps the body bytes exactly (later newlines included)', () => {
    const body = Buffer.from('{"a":1}\n{"a":2}\r\n');
    const { token, body: got } = splitMessage(Buffer.concat([Buffer.from('h.p.s\n'), body]));
    expect(token).toBe('h.p.s');
    expect(got.equals(body)).toBe(true);
  });

  it.each([['no newline', 'h.p.s{"a":1}'], ['empty token', '\n{"a":1}'], ['empty', ''], ['token too long', `${'a'.repeat(MAX_TOKEN_BYTES + 1)}\n{}`]])(
    'refuses a message with %s (400 ERR_MQTT_MESSAGE_MALFORMED)', (_name, text) => {
      let error: unknown;
      try {
        splitMessage(Buffer.from(text));
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(FhirError);
      expect(error).toMatchObject({ code: 'ERR_MQTT_MESSAGE_MALFORMED', status: 400 });
    });
});

describe('bodyMediaType', () => {
  it.each([
    ['{"hr":72}', 'application/json'],
    ['[{"hr":72},{"hr":73}]', 'application/json'],
    ['{\n  "hr": 72\n}\n', 'application/json'],
    ['[\n  {"hr":72},\n  {"hr":73}\n]', 'application/json'],
    ['{"a":{"b":1}\n}', 'application/json'],
    ['{"hr":72}\n{"hr":73}', 'application/x-ndjson'],
    ['{"hr":72}\r\n\n{"hr":73}\n', 'application/x-ndjson'],
    ['', 'application/json'],
  ])('reads %j as %s', (body, type) => {
    expect(bodyMediaType(Buffer.from(body))).toBe(type);
  });
});
