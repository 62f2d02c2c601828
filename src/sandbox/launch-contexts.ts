import { randomBytes } from 'node:crypto';

/** SMART launch context the EHR hands over: who the app is about. */
export interface LaunchContext {
  patient?: string;
  encounter?: string;
}

/** What a grant carries into its tokens: the launch context plus the signed-in user. */
export interface GrantContext extends LaunchContext {
  /** Absolute URL of the user's FHIR resource (SMART `fhirUser`). */
  fhirUser?: string;
}

const LAUNCH_TTL_MS = 60 * 60 * 1000;

/**
 * EHR launches (opaque `launch` values → context) and the context each grant was approved with. In memory:
 * the sandbox forgets everything on restart, as its tokens do.
 * See: https://hl7.org/fhir/smart-app-launch/STU2.2/app-launch.html#launch-app-ehr-launch
 */
export class LaunchContexts {
  readonly #launches = new Map<string, { context: LaunchContext; expiresAt: number }>();
  readonly #grants = new Map<string, GrantContext>();
  readonly #now: () => number;

  constructor(options: { now?: () => number } = {}) {
    this.#now = options.now ?? Date.now;
  }

  /** Registers an EHR launch and returns its unguessable `launch` value. */
  createLaunch(context: LaunchContext): string {
    const id = randomBytes(18).toString('base64url');
    this.#launches.set(id, { context: { ...context }, expiresAt: this.#now() + LAUNCH_TTL_MS });
    return id;
  }

  /** The context of a live launch, or undefined (unknown or expired). */
  launch(id: string): LaunchContext | undefined {
    const found = this.#launches.get(id);
    if (found === undefined || found.expiresAt < this.#now()) return undefined;
    return found.context;
  }

  rememberGrant(grantId: string, context: GrantContext): void {
    this.#grants.set(grantId, { ...context });
  }

  grant(grantId: string | undefined): GrantContext | undefined {
    return grantId === undefined ? undefined : this.#grants.get(grantId);
  }
}
