/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A minimal, accessible page shell (no scripts, no external assets). */
export function htmlPage(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#111}
h1{font-size:1.4rem}fieldset{border:1px solid #999;margin:1rem 0}button{font-size:1rem;padding:.4rem 1rem;margin-right:.5rem}
code{background:#eee;padding:0 .2rem}table{border-collapse:collapse}td,th{padding:.3rem .6rem;border-bottom:1px solid #ccc;text-align:left}</style>
</head><body><main>
<p><strong>iomt-bridge sandbox EHR</strong> — for trying SMART launches; not a real EHR.</p>
${body}
</main></body></html>`;
}
