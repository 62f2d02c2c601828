/** HTML output helpers for the server-rendered app pages. */

const ENTITIES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML content and double- or single-quoted attributes. Everything from data goes through it. */
export const esc = (value: unknown): string => String(value ?? '').replace(/[&<>"']/g, (c) => ENTITIES[c] as string);

/** A readable local time for a ward screen, in the time zone of the reading's own offset (kept as written). */
export function displayTime(iso: string | undefined): string {
  if (iso === undefined) return '—';
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$/.exec(iso);
  if (m === null) return iso;
  const zone = m[3] === undefined || m[3] === 'Z' ? 'UTC' : `UTC${m[3]}`;
  return `${m[1]} ${m[2]} ${zone}`;
}

export interface PageOptions {
  title: string;
  body: string;
  /** Seconds between automatic refreshes of the page (the app script), if any. */
  refreshSeconds?: number;
}

/** The page shell: one stylesheet and one script from our own origin (CSP: no inline code, no CDN). */
export function page(options: PageOptions): string {
  const refresh = options.refreshSeconds === undefined ? '' : ` data-refresh-seconds="${options.refreshSeconds}"`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(options.title)}</title>
<link rel="stylesheet" href="/app/assets/app.css">
<script src="/app/assets/app.js" defer></script>
</head>
<body${refresh}>
<a class="skip" href="#main">Skip to content</a>
<main id="main">
${options.body}
</main>
</body>
</html>
`;
}

/** Content-Security-Policy of every app page. */
export const APP_CSP = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
