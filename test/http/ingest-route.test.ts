import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTestBridge, type TestBridge, type TestDevice } from '../support/test-bridge';

const example = (family: string, name: string) =>
  readFileSync(join(__dirname, '../../mappings', family, 'examples', name), 'utf8');

describe('POST /ingest', () => {
  let bridge: TestBridge;
  let oximeter: TestDevice;

  beforeEach(async () => {
    bridge = await createTestBridge();
    oximeter = await bridge.addDevice('oxi-1', 'Patient/example');
  });
  afterEach(() => bridge.close());

  it('maps, validates and stores one reading, answering 202 after the commit', async () => {
    const res = await bridge.ingest(oximeter, example('pulse-oximeter', 'with-message-id.json'));
    expect(res.statusCode).toBe(202);
    const body = JSON.parse(res.payload);
    expect(body.items).toEqual({ received: 1, accepted: 1, rejected: 0 });
    expect(body.resources.written).toBe(3);
    const counts = await bridge.store.counts();
    expect(counts).toMatchObject({ resources: 3, outbox: 3, jti: 1 });
    expect(counts.audit).toBe(1);
  });

  it('stores a resent payload once and acknowledges it twice', async () => {
    const payload = example('pulse-oximeter', 'with-message-id.json');
    expect((await bridge.ingest(oximeter, payload)).statusCode).toBe(202);
    const second = await bridge.ingest(oximeter, payload);
    expect(second.statusCode).toBe(202);
    expect(JSON.parse(second.payload).resources).toEqual({ written: 0, unchanged: 3 });
    expect((await bridge.store.counts()).resources).toBe(3);
    expect((await bridge.store.counts()).outbox).toBe(3);
  });
});
