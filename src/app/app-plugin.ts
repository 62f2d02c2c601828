import type { Plugin } from '@hapi/hapi';
import yar from '@hapi/yar';
import type { Logger } from 'pino';
import type { AppConfig, Config } from '../config/config';
import type { Store } from '../store/port';
import { launchRoutes } from './launch-routes';
import { pageRoutes } from './page-routes';
import { loadOrCreateSessionSecret } from './session-secret';

/** What the composition root gives the app (see {@link appDepsOf}). */
export interface AppDeps {
  config: AppConfig;
  /** Seals the session cookie (iron); at least 32 characters. */
  sessionSecret: string;
}

export interface AppPluginOptions extends AppDeps {
  /**
   * The bridge's public base URL, read when needed (with IOMT_PORT=0 it is known only once listening): the
   * redirect URI, the accepted form Origin and the cookie's Secure flag derive from it.
   */
  publicUrl: () => string;
  store: Store;
  logger: Logger;
  now: () => number;
}

/** The app's dependencies when IOMT_APP_EHRS is set (the session secret generated on first start), else undefined. */
export async function appDepsOf(config: Config): Promise<AppDeps | undefined> {
  if (config.app === undefined) return undefined;
  return { config: config.app, sessionSecret: await loadOrCreateSessionSecret(config.dataDir) };
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * The SMART app clinicians launch from the EHR, as a Hapi plugin. Sessions live server-side (@hapi/yar on
 * the server cache; the cookie carries only a sealed id, HttpOnly, SameSite=Lax, Secure on https).
 * Several bridge instances need a shared Hapi cache (e.g. catbox-redis) and the same session secret.
 * Throws at registration (a start-up error) when the public URL is plain http outside loopback.
 */
export const appPlugin: Plugin<AppPluginOptions> = {
  name: 'iomt-smart-app',
  async register(server, options) {
    const url = new URL(options.publicUrl());
    if (url.protocol !== 'https:' && !LOOPBACK.has(url.hostname)) {
      throw new Error(`The SMART app needs an https IOMT_PUBLIC_URL (got ${url.href}); http is allowed on loopback only`);
    }
    if (options.sessionSecret.length < 32) throw new Error('The app session secret must be at least 32 characters');
    await server.register({
      plugin: yar,
      options: {
        name: 'iomt-app-session',
        // 0: never put session content in the cookie — the launch state holds tokens and the PKCE verifier.
        maxCookieSize: 0,
        storeBlank: false,
        cache: { expiresIn: options.config.sessionTtlMs, segment: 'iomt-app-sessions' },
        cookieOptions: {
          password: options.sessionSecret, isSecure: url.protocol === 'https:', isHttpOnly: true, isSameSite: 'Lax', path: '/',
          // Lax, not Strict: the authorization server's redirect back is a cross-site top-level navigation.
        },
      },
    });
    server.route([...launchRoutes(options), ...pageRoutes(options)]);
  },
};
