import type { Encounter, Patient } from 'fhir/r4';
import type { Interaction, OidcProvider } from './load-oidc-provider';
import type { GrantContext, LaunchContexts } from './launch-contexts';
import { SANDBOX_CLIENTS } from './sandbox-clients';
import type { SandboxStore } from './sandbox-store';
import { SANDBOX_PRACTITIONER_ID } from './sample-data';
import { CONTEXT_SCOPES, resourceScopesFor } from './smart-scopes';

/** What approving an authorization request needs. */
export interface ApproveDeps {
  provider: OidcProvider;
  launches: LaunchContexts;
  store: SandboxStore;
  fhirBaseUrl: string;
  defaultPatient: string;
}

/** The outcome of an interaction, as oidc-provider's `interactionFinished` takes it. */
export type InteractionResult =
  | { login: { accountId: string }; consent: { grantId: string } }
  | { error: string; error_description: string };

const requestedScopes = (interaction: Interaction): string[] => (interaction.params.scope ?? '').split(' ').filter((s) => s !== '');

/**
 * The launch context an approval grants: from the EHR launch (`launch` + `launch` scope), or for a standalone
 * `launch/patient` the patient picked on the page, the `sandbox_patient` parameter, or the default patient.
 * See: https://hl7.org/fhir/smart-app-launch/STU2.2/scopes-and-launch-context.html#launch-context-arrives-with-your-access_token
 */
export function launchContextFor(deps: ApproveDeps, interaction: Interaction, picked?: string): GrantContext | { error: string } {
  const scopes = requestedScopes(interaction);
  const context: GrantContext = {};
  if (scopes.includes('launch')) {
    const launch = interaction.params.launch === undefined ? undefined : deps.launches.launch(interaction.params.launch);
    if (launch === undefined) return { error: 'the launch scope needs a live launch parameter from the EHR' };
    Object.assign(context, launch);
  }
  if (context.patient === undefined && scopes.includes('launch/patient')) {
    context.patient = picked ?? interaction.params.sandbox_patient ?? deps.defaultPatient;
    if (deps.store.read('Patient', context.patient) === undefined) return { error: `no sandbox patient '${context.patient}'` };
  }
  if (context.encounter === undefined && context.patient !== undefined && scopes.includes('launch/encounter')) {
    const encounter = deps.store.search('Encounter', new Map([['patient', [context.patient]]]))[0] as Encounter | undefined;
    if (encounter?.id !== undefined) context.encounter = encounter.id;
  }
  if (scopes.includes('openid') || scopes.includes('fhirUser')) context.fhirUser = `${deps.fhirBaseUrl}/Practitioner/${SANDBOX_PRACTITIONER_ID}`;
  return context;
}

/**
 * Signs the sandbox user in and grants every well-formed scope the client asked for, bound to the requested
 * FHIR base; remembers the launch context under the grant so tokens and the token response can carry it.
 */
export async function approveInteraction(deps: ApproveDeps, interaction: Interaction, picked?: string): Promise<InteractionResult> {
  const context = launchContextFor(deps, interaction, picked);
  if ('error' in context) return { error: 'invalid_request', error_description: context.error };
  const clientId = interaction.params.client_id ?? '';
  const scopes = requestedScopes(interaction);
  const grant = new deps.provider.Grant({ accountId: SANDBOX_PRACTITIONER_ID, clientId });
  grant.addOIDCScope(scopes.filter((s) => CONTEXT_SCOPES.includes(s)).join(' '));
  const resource = (interaction.params.resource ?? interaction.params.aud ?? deps.fhirBaseUrl).replace(/\/+$/, '');
  const kind = clientId === SANDBOX_CLIENTS.backend ? 'backend' : 'app';
  grant.addResourceScope(resource, resourceScopesFor(scopes.join(' '), kind).join(' '));
  const grantId = await grant.save();
  deps.launches.rememberGrant(grantId, context);
  return { login: { accountId: SANDBOX_PRACTITIONER_ID }, consent: { grantId } };
}

/** The patients a human can pick from, for the page. */
export function pickablePatients(store: SandboxStore): Array<{ id: string; label: string }> {
  return (store.all('Patient') as Patient[]).map((p) => {
    const name = p.name?.[0];
    const mrn = p.identifier?.[0]?.value ?? '';
    return { id: p.id ?? '', label: `${name?.given?.join(' ') ?? ''} ${name?.family ?? ''} (${mrn})`.trim() };
  });
}
