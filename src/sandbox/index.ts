/** Public API of the sandbox EHR (a SMART authorization server + FHIR endpoint on loopback, for trying and testing). */
export { startSandbox, type Sandbox, type SandboxUrls } from './start-sandbox';
export { resolveSandboxOptions, type SandboxOptions, type ResolvedSandboxOptions } from './sandbox-options';
export { SANDBOX_CLIENTS } from './sandbox-clients';
export { SANDBOX_MRN_SYSTEM, SANDBOX_PRACTITIONER_ID } from './sample-data';
export { createSandboxLog, type SandboxLog } from './sandbox-log';
export type { Fault, FaultBehaviour } from './fault-queue';
