import { buildAccessAuditEvent, CLIENT_ID_SYSTEM, USER_ID_SYSTEM } from '../../src/audit';

const RECORDED = new Date('2024-03-01T12:00:00.000Z');

describe('buildAccessAuditEvent', () => {
  it.each([
    ['read', 'R'],
    ['vread', 'R'],
    ['search-type', 'E'],
    ['operation', 'E'],
  ] as const)('%s → rest/%s with action %s', (interaction, action) => {
    const event = buildAccessAuditEvent({ clientId: 'ehr', interaction, outcome: 'success', recorded: RECORDED });
    expect(event.type).toMatchObject({ code: 'rest' });
    expect(event.subtype).toEqual([{ system: 'http://hl7.org/fhir/restful-interaction', code: interaction }]);
    expect(event.action).toBe(action);
  });

  it('makes the client the requestor when there is no user', () => {
    const event = buildAccessAuditEvent({
      clientId: 'backend',
      interaction: 'read',
      outcome: 'success',
      recorded: RECORDED,
      sourceAddress: '10.1.1.1',
      entities: ['Observation/o1'],
    });
    expect(event.agent).toEqual([
      { who: { identifier: { system: CLIENT_ID_SYSTEM, value: 'backend' } }, requestor: true, network: { address: '10.1.1.1', type: '2' } },
    ]);
    expect(event.entity?.[0]?.what?.reference).toBe('Observation/o1');
  });

  it('makes the user the requestor and records the query base64-encoded', () => {
    const event = buildAccessAuditEvent({
      clientId: 'smart-app',
      user: 'Practitioner/7',
      interaction: 'search-type',
      outcome: 'failure',
      errorCode: 'ERR_SCOPE',
      recorded: RECORDED,
      patient: 'Patient/p1',
      query: 'subject=Patient/p1&code=8867-4',
    });
    expect(event.agent.map((a) => [a.who?.identifier?.system, a.requestor])).toEqual([
      [CLIENT_ID_SYSTEM, false],
      [USER_ID_SYSTEM, true],
    ]);
    expect(event.outcome).toBe('4');
    expect(event.outcomeDesc).toBe('ERR_SCOPE');
    const query = event.entity?.find((e) => e.query !== undefined)?.query ?? '';
    expect(Buffer.from(query, 'base64').toString('utf8')).toBe('subject=Patient/p1&code=8867-4');
    expect(event.entity?.[0]?.what?.reference).toBe('Patient/p1');
  });
});
