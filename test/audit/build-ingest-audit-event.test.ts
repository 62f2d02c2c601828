import { buildIngestAuditEvent, DEVICE_ID_SYSTEM } from '../../src/audit';

const RECORDED = new Date('2024-03-01T12:00:00.000Z');

describe('buildIngestAuditEvent', () => {
  it('describes an accepted ingest: DICOM Import, create, device as requestor, entities', () => {
    const event = buildIngestAuditEvent({
      deviceId: 'bp-01',
      outcome: 'success',
      recorded: RECORDED,
      requestId: 'req-7',
      sourceAddress: '10.0.0.5',
      patient: 'Patient/p1',
      entities: ['Device/bp-01', 'Observation/o1'],
    });
    expect(event).toMatchObject({
      resourceType: 'AuditEvent',
      type: { system: 'http://dicom.nema.org/resources/ontology/DCM', code: '110107' },
      action: 'C',
      outcome: '0',
      recorded: '2024-03-01T12:00:00.000Z',
      source: { observer: { display: 'iomt-bridge' } },
    });
    expect(event.outcomeDesc).toBeUndefined();
    expect(event.agent[0]).toMatchObject({
      who: { identifier: { system: DEVICE_ID_SYSTEM, value: 'bp-01' } },
      requestor: true,
      network: { address: '10.0.0.5', type: '2' },
    });
    expect(event.agent[1]?.requestor).toBe(false);
    expect(event.entity?.map((e) => e.what?.reference ?? e.what?.identifier?.value)).toEqual([
      'Device/bp-01',
      'Observation/o1',
      'Patient/p1',
      'req-7',
    ]);
    expect(event.entity?.[2]?.role?.code).toBe('1');
  });

  it.each([
    ['failure', '4'],
    ['error', '8'],
  ] as const)('maps outcome %s to %s with the error code in outcomeDesc', (outcome, code) => {
    const event = buildIngestAuditEvent({
      deviceId: 'bp-01',
      outcome,
      recorded: RECORDED,
      errorCode: 'ERR_JTI_REPLAYED',
      description: 'token reused',
    });
    expect(event.outcome).toBe(code);
    expect(event.outcomeDesc).toBe('ERR_JTI_REPLAYED: token reused');
    expect(event.entity).toBeUndefined();
  });
});
