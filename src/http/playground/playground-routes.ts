import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ServerRoute } from '@hapi/hapi';

/** public/playground, from src/http/playground (tests) and dist/http/playground (built) alike. */
const DIR = join(__dirname, '..', '..', '..', 'public', 'playground');

// The page talks only to its own origin, runs only its own script, and is never framed.
// See: https://www.w3.org/TR/CSP3/
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const ASSETS: Readonly<Record<string, string>> = {
  'index.html': 'text/html; charset=utf-8',
  'playground.js': 'text/javascript; charset=utf-8',
  'playground.css': 'text/css; charset=utf-8',
};

/**
 * The mapping playground: a static page (no data in it, so no authentication to load it) that calls
 * `POST /mappings/$test` with the admin token the engineer pastes. Works offline: no CDN, no external fonts.
 */
export function playgroundRoutes(): ServerRoute[] {
  const files = new Map(Object.keys(ASSETS).map((name) => [name, readFileSync(join(DIR, name))]));
  const serve = (name: string): ServerRoute['handler'] => (_request, h) =>
    h.response(files.get(name)).type(ASSETS[name] as string).header('content-security-policy', CSP).header('cache-control', 'no-cache');
  return [
    { method: 'GET', path: '/mappings/playground', handler: serve('index.html'), options: { auth: false } },
    ...Object.keys(ASSETS).filter((n) => n !== 'index.html').map((name): ServerRoute => ({ method: 'GET', path: `/mappings/playground/${name}`, handler: serve(name), options: { auth: false } })),
  ];
}
