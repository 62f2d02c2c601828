/**
 * oidc-provider 9 is ESM-only and we compile to CommonJS: a real dynamic `import()` loads it. TypeScript
 * would rewrite `import()` into `require()`, so the call is built at run time. (Jest cannot load it this way:
 * tests run the sandbox as a child process from dist/.)
 */

/** The few parts of oidc-provider's API the sandbox uses (the package ships no types). */
export interface OidcProvider {
  issuer: string;
  proxy: boolean;
  callback(): (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void;
  use(middleware: (ctx: KoaContext, next: () => Promise<void>) => Promise<void>): void;
  interactionDetails(req: unknown, res: unknown): Promise<Interaction>;
  interactionFinished(req: unknown, res: unknown, result: Record<string, unknown>, options?: { mergeWithLastSubmission?: boolean }): Promise<void>;
  on(event: string, listener: (...args: unknown[]) => void): void;
  Grant: new (init: { accountId: string; clientId: string }) => Grant;
  AccessToken: { find(token: string): Promise<StoredToken | undefined> };
  ClientCredentials: { find(token: string): Promise<StoredToken | undefined> };
}

export interface Grant {
  addOIDCScope(scope: string): void;
  addOIDCClaims(claims: string[]): void;
  addResourceScope(resource: string, scope: string): void;
  save(): Promise<string>;
}

export interface Interaction {
  uid: string;
  prompt: { name: string; reasons: string[]; details: Record<string, unknown> };
  params: Record<string, string | undefined>;
  session?: { accountId?: string };
  grantId?: string;
}

/** An opaque token as stored by the provider. */
export interface StoredToken {
  isExpired: boolean;
  clientId: string;
  scope?: string;
  grantId?: string;
  aud?: string | string[];
  resourceServer?: { audience?: string };
  extra?: Record<string, unknown>;
}

/** The Koa context, as far as the sandbox's glue middleware reads it. */
export interface KoaContext {
  path: string;
  method: string;
  status: number;
  body: unknown;
  oidc?: {
    params?: Record<string, unknown>;
    entities: Record<string, { grantId?: string; scope?: string; scopes?: Set<string> } | undefined>;
    route?: string;
  };
  query: Record<string, string | string[] | undefined>;
}

export interface OidcModule {
  default: new (issuer: string, configuration: Record<string, unknown>) => OidcProvider;
  errors: Record<string, new (description?: string, detail?: string) => Error>;
}

// The one way to keep a native import() in CommonJS output (TypeScript rewrites a literal import() to require()).
const nativeImport = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<unknown>;

/** Loads oidc-provider (once per process). */
export async function loadOidcProvider(): Promise<OidcModule> {
  return (await nativeImport('oidc-provider')) as OidcModule;
}
