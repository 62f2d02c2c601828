import { createTestBridge, type TestBridge, type TestDevice } from '../support/test-bridge';
import { example, exampleObject, expectOutcome } from './helpers';

/** Health probes, Prometheus metrics and the request log (GET /health/live, /health/ready, /metrics). */

let bridge: TestBridge;
let oxi: TestDevice;

beforeEach(async () => {
  bridge = await createTestBridge();
  oxi = await bridge.addDevice('oxi', 'Patient/A');
});
afterEach(() => bridge.close());

/** Parses Prometheus text exposition into `name{labels}` → value. */
async function scrape(): Promise<Map<string, number>> {
  const res = await bridge.get('/metrics');
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  const samples = new Map<string, number>();
  for (const line of res.payload.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}

const sample = (samples: Map<string, number>, key: string): number => samples.get(key) ?? 0;

describe('health', () => {
  it('GET /health/live answers without a token (plain HTTP: no Strict-Transport-Security, RFC 6797 §7.2)', async () => {
    const res = await bridge.get('/health/live');
    expect(res.statusCode).toBe(200);
    expect(res.headers['strict-transport-security']).toBeUndefined();
    expect(JSON.parse(res.payload)).toEqual({ status: 'pass' });
  });

  it('GET /health/ready checks the store: 200 while it answers, 503 once it does not', async () => {
    const ok = await bridge.get('/health/ready');
    expect(ok.statusCode).toBe(200);
    expect(JSON.parse(ok.payload)).toEqual({ status: 'pass', checks: { store: 'pass' } });
    const probe = await createTestBridge();
    await probe.store.close();
    const down = await probe.get('/health/ready');
    expect(down.statusCode).toBe(503);
    expect(JSON.parse(down.payload)).toEqual({ status: 'fail', checks: { store: 'fail' } });
    await probe.close();
  });
});

describe('system errors', () => {
  it('a failing store gives a generic 500 OperationOutcome (details only in the log), on the API and on ingest', async () => {
    const token = await bridge.token('system/*.rs');
    await bridge.store.close();
    const answers = [
      await bridge.get('/fhir/Observation', token),
      await bridge.get('/fhir/Device/oxi', token),
      await bridge.ingest(oxi, example('pulse-oximeter', 'with-message-id.json')),
    ];
    for (const res of answers) {
      const outcome = expectOutcome(res, 500);
      expect(outcome.issue).toEqual([expect.objectContaining({ severity: 'fatal', code: 'exception', diagnostics: 'Internal server error' })]);
      expect(res.payload).not.toMatch(/database|sqlite|connection/i);
      expect(res.headers['x-request-id']).toBeDefined();
    }
    const errors = bridge.logs.filter((l) => (l.level as number) >= 50);
    expect(errors.some((l) => JSON.stringify(l).includes('The database connection is not open'))).toBe(true);
  });
});

describe('GET /metrics', () => {
  it('exposes the ingest counters and latency in Prometheus text', async () => {
    const samples = await scrape();
    for (const name of ['iomt_readings_accepted_total', 'iomt_ingest_duration_seconds_count{outcome="accepted"}']) {
      expect(sample(samples, name)).toBe(0);
    }
  });

  it('counts accepted readings per item', async () => {
    const body = JSON.stringify([exampleObject('pulse-oximeter', 'with-message-id.json'), exampleObject('pulse-oximeter', 'local-time-no-pulse.json')]);
    expect((await bridge.ingest(oxi, body)).statusCode).toBe(202);
    expect((await bridge.ingest(oxi, example('thermometer', 'with-message-id.json'))).statusCode).toBe(202);
    const samples = await scrape();
    expect(sample(samples, 'iomt_readings_accepted_total')).toBe(3);
    expect(sample(samples, 'iomt_ingest_duration_seconds_count{outcome="accepted"}')).toBe(2);
  });

  it('counts rejections by reason: a refused request once, refused readings one by one', async () => {
    await bridge.server.inject({ method: 'POST', url: '/ingest', payload: '{}', headers: { 'content-type': 'application/json' } });
    await bridge.ingest(oxi, '{"a": 1, "a": 2}');
    const bad = { ...exampleObject('pulse-oximeter', 'with-message-id.json'), spo2: 'high' };
    await bridge.ingest(oxi, JSON.stringify([bad, bad])); // all refused: 422
    await bridge.ingest(oxi, JSON.stringify([bad, exampleObject('pulse-oximeter', 'with-message-id.json')])); // partial: 202
    const samples = await scrape();
    expect(sample(samples, 'iomt_readings_rejected_total{reason="ERR_DEVICE_TOKEN_MISSING"}')).toBe(1);
    expect(sample(samples, 'iomt_readings_rejected_total{reason="ERR_JSON_DUPLICATE_KEY"}')).toBe(1);
    expect(sample(samples, 'iomt_readings_rejected_total{reason="value"}')).toBe(3);
    expect(sample(samples, 'iomt_readings_rejected_total{reason="ERR_INGEST_REJECTED"}')).toBe(0);
    expect(sample(samples, 'iomt_readings_accepted_total')).toBe(1);
  });
});

describe('request log', () => {
  it('one line per request with id, path and error code — never the query string or a token', async () => {
    const token = await bridge.token('system/Observation.rs');
    const res = await bridge.get('/fhir/Observation?patient=secret-patient-id&access_token=leaked', token);
    expect(res.statusCode).toBe(401);
    const line = bridge.logs.filter((l) => l.msg === 'request').at(-1);
    expect(line).toMatchObject({ reqId: res.headers['x-request-id'], method: 'get', path: '/fhir/Observation', status: 401, code: 'ERR_TOKEN_IN_QUERY' });
    const all = JSON.stringify(bridge.logs);
    for (const secret of [token, 'leaked', 'secret-patient-id']) expect(all).not.toContain(secret);
  });

  it('every answer carries X-Request-Id, the same id as its audit entry', async () => {
    const answers = [
      await bridge.ingest(oxi, example('pulse-oximeter', 'with-message-id.json')),
      await bridge.ingest(oxi, '{"a": 1, "a": 2}'),
      await bridge.get('/fhir/Observation', await bridge.token('system/Observation.rs')),
      await bridge.get('/fhir/Observation', 'not-a-token'),
      await bridge.get('/nope'),
    ];
    const ids = answers.map((r) => r.headers['x-request-id']);
    expect(ids.every((id) => typeof id === 'string' && id !== '')).toBe(true);
    const audited = (await bridge.store.listAudit()).map((r) =>
      r.event.entity?.find((e) => e.type?.code === 'XrequestId')?.what?.identifier?.value);
    expect(audited).toEqual(ids.slice(0, 4)); // an unknown route touches no data: no audit entry
  });
});
