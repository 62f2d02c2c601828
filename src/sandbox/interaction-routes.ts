import type { IncomingMessage, ServerResponse } from 'node:http';
import { approveInteraction, pickablePatients, type ApproveDeps, type InteractionResult } from './approve-interaction';
import { escapeHtml, htmlPage } from './html-page';
import { readBody } from './http-io';
import type { Interaction } from './load-oidc-provider';

/** Interaction settings: headless approval for tests, pages for humans. */
export interface InteractionDeps extends ApproveDeps {
  autoApprove: boolean;
}

/**
 * `GET|POST /interaction/:uid`: the sandbox's sign-in, patient picker and consent in one page — or no page at all
 * when auto-approval is on or the request names `sandbox_patient` (headless, so tests follow redirects only).
 */
export async function handleInteraction(deps: InteractionDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let interaction: Interaction;
  try {
    interaction = await deps.provider.interactionDetails(req, res);
  } catch {
    return sendHtml(res, 400, htmlPage('Sign-in expired', '<h1>This sign-in has expired</h1><p>Start the launch again from the app or the EHR.</p>'));
  }
  if (req.method === 'POST') {
    const form = new URLSearchParams(await readBody(req));
    const result: InteractionResult = form.get('action') === 'allow'
      ? await approveInteraction(deps, interaction, form.get('patient') ?? undefined)
      : { error: 'access_denied', error_description: 'the user denied access' };
    return deps.provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
  }
  if (deps.autoApprove || interaction.params.sandbox_patient !== undefined) {
    return deps.provider.interactionFinished(req, res, await approveInteraction(deps, interaction), { mergeWithLastSubmission: false });
  }
  sendHtml(res, 200, consentPage(deps, interaction));
}

function consentPage(deps: InteractionDeps, interaction: Interaction): string {
  const scopes = (interaction.params.scope ?? '').split(' ').filter((s) => s !== '');
  const needsPick = scopes.includes('launch/patient') && interaction.params.launch === undefined && interaction.params.sandbox_patient === undefined;
  const options = pickablePatients(deps.store).map((p) =>
    `<option value="${escapeHtml(p.id)}"${p.id === deps.defaultPatient ? ' selected' : ''}>${escapeHtml(p.label)}</option>`).join('');
  const picker = needsPick
    ? `<p><label for="patient">Patient</label><br><select id="patient" name="patient">${options}</select></p>` : '';
  const list = scopes.map((s) => `<li><code>${escapeHtml(s)}</code></li>`).join('');
  return htmlPage('Authorize app', `<h1>Authorize ${escapeHtml(interaction.params.client_id ?? 'app')}</h1>
<p>Signed in as <strong>Dr. Dana Okoye</strong> (Practitioner/prac-1).</p>
<form method="post" action="/interaction/${escapeHtml(interaction.uid)}">
<fieldset><legend>The app asks for</legend><ul>${list}</ul></fieldset>
${picker}
<button type="submit" name="action" value="allow">Allow</button>
<button type="submit" name="action" value="deny">Deny</button>
</form>`);
}

export function sendHtml(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' http: https:",
    'x-frame-options': 'DENY',
    'cache-control': 'no-store',
  });
  res.end(html);
}
