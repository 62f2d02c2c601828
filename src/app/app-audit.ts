import type { Request } from '@hapi/hapi';
import type { AuditEvent } from 'fhir/r4';
import { buildAccessAuditEvent, type AuditOutcome } from '../audit';
import type { AppPluginOptions } from './app-plugin';
import type { SmartClient } from './smart-client';

const RESTFUL_INTERACTION = 'http://hl7.org/fhir/restful-interaction';

/**
 * The user as the EHR names them (`fhirUser` of the id_token, e.g. `Practitioner/prac-1`), reduced to a
 * relative reference. fhirclient decodes the id_token without verifying it: this names the actor in the
 * audit trail and gates linking to practitioners; access itself rests on the completed authorization.
 */
export function userOf(client: SmartClient): string | undefined {
  const user = client.getFhirUser();
  if (typeof user !== 'string' || user === '') return undefined;
  const m = /([A-Za-z]+\/[A-Za-z0-9\-.]{1,64})$/.exec(user);
  return m?.[1];
}

/** One AuditEvent per patient page view (IHE BALP: a search of the patient's device data). */
export async function auditAppAccess(options: AppPluginOptions, request: Request, input: { user?: string; patient: string; entities: string[] }): Promise<void> {
  await options.store.appendAudit(buildAccessAuditEvent({
    clientId: options.config.clientId, user: input.user, interaction: 'search-type', entities: input.entities,
    outcome: 'success', recorded: new Date(options.now()), requestId: request.info.id, sourceAddress: request.info.remoteAddress,
    patient: input.patient, query: `patient=${input.patient}`, description: 'SMART app patient page',
  }));
}

/** The AuditEvent of linking a device to a patient: an update of the Device (action U). */
export function auditLink(
  options: AppPluginOptions,
  request: Request,
  input: { user?: string; patient: string; device: string; outcome: AuditOutcome; errorCode?: string },
): AuditEvent {
  const event = buildAccessAuditEvent({
    clientId: options.config.clientId, user: input.user, interaction: 'operation', entities: [`Device/${input.device}`, input.patient],
    outcome: input.outcome, errorCode: input.errorCode, recorded: new Date(options.now()), requestId: request.info.id,
    sourceAddress: request.info.remoteAddress, patient: input.patient, description: `link Device/${input.device} to ${input.patient}`,
  });
  return { ...event, subtype: [{ system: RESTFUL_INTERACTION, code: 'update' }], action: 'U' };
}
