import type { AppConfig, IntrospectionConfig } from './config';
import type { ConfigProblem } from './config-error';
import { refuseUnused } from './config-values';
import { secureUrl } from './resolve-ehr-config';

const INTROSPECTION_ONLY = ['IOMT_AUTH_INTROSPECTION_CLIENT_ID', 'IOMT_AUTH_INTROSPECTION_CLIENT_SECRET', 'IOMT_AUTH_INTROSPECTION_CACHE_S'];
const APP_ONLY = ['IOMT_APP_CLIENT_ID', 'IOMT_APP_SCOPE', 'IOMT_APP_SESSION_TTL_S'];
export const DEFAULT_APP_SCOPE = 'launch openid fhirUser offline_access patient/Patient.rs patient/Observation.rs patient/Device.rs';

/** The SMART settings of issue 5: introspection, advertised endpoints, the app. */
export interface SmartSettings {
  authIntrospection?: IntrospectionConfig;
  authAuthorizeUrl?: string;
  authTokenUrl?: string;
  app?: AppConfig;
}

/**
 * Resolves IOMT_AUTH_INTROSPECTION_*, IOMT_AUTH_AUTHORIZE_URL / _TOKEN_URL and IOMT_APP_*. Secrets and
 * tokens travel only over https (http on loopback for the sandbox); setting a dependent variable without
 * the one that enables it is a mistake worth stopping for.
 */
export function resolveSmartConfig(values: ReadonlyMap<string, unknown>, problems: ConfigProblem[]): SmartSettings {
  const out: SmartSettings = {};
  const introspection = resolveIntrospection(values, problems);
  if (introspection !== undefined) out.authIntrospection = introspection;
  for (const [name, key] of [['IOMT_AUTH_AUTHORIZE_URL', 'authAuthorizeUrl'], ['IOMT_AUTH_TOKEN_URL', 'authTokenUrl']] as const) {
    const value = values.get(name) as string | undefined;
    if (value !== undefined) out[key] = secureUrl(name, value, problems);
  }
  const app = resolveApp(values, problems);
  if (app !== undefined) out.app = app;
  return out;
}

function resolveIntrospection(values: ReadonlyMap<string, unknown>, problems: ConfigProblem[]): IntrospectionConfig | undefined {
  const url = values.get('IOMT_AUTH_INTROSPECTION_URL') as string | undefined;
  if (url === undefined) {
    refuseUnused(values, INTROSPECTION_ONLY, 'IOMT_AUTH_INTROSPECTION_URL, which is not set', problems);
    return undefined;
  }
  const clientId = values.get('IOMT_AUTH_INTROSPECTION_CLIENT_ID') as string | undefined;
  const clientSecret = values.get('IOMT_AUTH_INTROSPECTION_CLIENT_SECRET') as string | undefined;
  if (clientId === undefined) problems.push({ variable: 'IOMT_AUTH_INTROSPECTION_CLIENT_ID', reason: 'is required with IOMT_AUTH_INTROSPECTION_URL' });
  if (clientSecret === undefined) problems.push({ variable: 'IOMT_AUTH_INTROSPECTION_CLIENT_SECRET', reason: 'is required with IOMT_AUTH_INTROSPECTION_URL' });
  return {
    url: secureUrl('IOMT_AUTH_INTROSPECTION_URL', url, problems),
    clientId: clientId ?? '',
    clientSecret: clientSecret ?? '',
    cacheTtlMs: ((values.get('IOMT_AUTH_INTROSPECTION_CACHE_S') as number | undefined) ?? 30) * 1000,
  };
}

function resolveApp(values: ReadonlyMap<string, unknown>, problems: ConfigProblem[]): AppConfig | undefined {
  const ehrs = values.get('IOMT_APP_EHRS') as string[] | undefined;
  if (ehrs === undefined) {
    refuseUnused(values, APP_ONLY, 'IOMT_APP_EHRS, which is not set', problems);
    return undefined;
  }
  return {
    ehrs: ehrs.map((e) => secureUrl('IOMT_APP_EHRS', e, problems).replace(/\/+$/, '')),
    clientId: (values.get('IOMT_APP_CLIENT_ID') as string | undefined) ?? 'iomt-bridge-app',
    scope: (values.get('IOMT_APP_SCOPE') as string | undefined) ?? DEFAULT_APP_SCOPE,
    sessionTtlMs: ((values.get('IOMT_APP_SESSION_TTL_S') as number | undefined) ?? 28_800) * 1000,
  };
}
