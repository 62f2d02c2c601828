import { FhirError } from '../errors/fhir-error';
import { checkFault, type Fault, type FaultQueue } from './fault-queue';
import { jsonReply, parseJson, type Reply } from './http-io';
import type { SandboxStore } from './sandbox-store';

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/** True for a peer on this machine: the control API answers nobody else. */
export const isLoopback = (address: string | undefined): boolean => address !== undefined && LOOPBACK.has(address);

/**
 * The test-only control API (`/_control/…`), on when the sandbox runs with faults enabled:
 * queue faults, inspect what the EHR holds without a token, and reset to the samples.
 */
export function handleControl(store: SandboxStore, faults: FaultQueue, method: string, path: string, body: string): Reply {
  const parts = path.split('/').filter((p) => p !== '').slice(1);
  const route = `${method} ${parts[0] ?? ''}`;
  switch (route) {
    case 'POST faults': {
      const queued = readFaults(parseJson(body));
      faults.push(queued);
      return jsonReply(200, { queued: queued.length, faults: faults.list() });
    }
    case 'GET faults': return jsonReply(200, { faults: faults.list() });
    case 'DELETE faults':
      faults.clear();
      return jsonReply(200, { faults: [] });
    case 'GET resources':
      if (parts[1] === undefined) break;
      return jsonReply(200, { resources: store.all(parts[1]) });
    case 'POST reset':
      store.reset();
      faults.clear();
      return jsonReply(200, { reset: true });
    default: break;
  }
  throw FhirError.of('ERR_SANDBOX_CONTROL_ROUTE', { code: 'not-found', text: `no control route ${method} ${path}` });
}

/** `{"faults":[…]}`, `[…]` or one fault object. */
function readFaults(body: unknown): Fault[] {
  const list = Array.isArray(body) ? body : (body as { faults?: unknown } | null)?.faults ?? [body];
  if (!Array.isArray(list)) throw FhirError.of('ERR_SANDBOX_FAULT', { code: 'invalid', text: 'faults must be an array' });
  list.forEach((fault, i) => {
    const problem = checkFault(fault);
    if (problem !== undefined) throw FhirError.of('ERR_SANDBOX_FAULT', { code: 'invalid', text: `faults[${i}]: ${problem}` });
  });
  return list as Fault[];
}
