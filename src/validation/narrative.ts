/**
 * txt-1 / txt-2 on Narrative.div, natively: the FHIRPath `htmlChecks()` of fhirpath.js parses the XHTML on every
 * call and was most of the validation time of a resource with narrative.
 * See: https://hl7.org/fhir/R4/narrative.html#xhtml — the basic HTML 4.0 formatting elements (chapters 7-11 except
 * 9.4, and 15), <a> with name or href, images, and style attributes; no active content (scripts, forms, frames,
 * event attributes, javascript: URLs); the root is an XHTML <div>.
 */
const ELEMENTS = new Set([
  'a', 'abbr', 'acronym', 'b', 'big', 'blockquote', 'br', 'caption', 'cite', 'code', 'col', 'colgroup', 'dd', 'dfn', 'div',
  'dl', 'dt', 'em', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'hr', 'i', 'img', 'li', 'ol', 'p', 'pre', 'q', 'samp', 'small', 'span',
  'strong', 'sub', 'sup', 'table', 'tbody', 'td', 'tfoot', 'th', 'thead', 'tr', 'tt', 'ul', 'var', 'ins', 'del', 'kbd', 'address',
  'bdo', 'center', 'font', 's', 'strike', 'u', 'dir', 'menu',
]);

const ACTIVE_ATTRIBUTE = /^on/i;
const TAG = /<\s*(\/?)\s*([A-Za-z][A-Za-z0-9:_-]*)([^>]*)>/g;
const ATTRIBUTE = /([A-Za-z_:][A-Za-z0-9_:.-]*)\s*=\s*("[^"]*"|'[^']*')/g;

/** txt-1: only allowed elements and attributes, an XHTML <div> root, no active content. */
export function narrativeElementsOk(div: unknown): boolean {
  if (typeof div !== 'string') return true;
  if (!/^\s*<div[\s>]/.test(div) || !/xmlns\s*=\s*["']http:\/\/www\.w3\.org\/1999\/xhtml["']/.test(div.slice(0, div.indexOf('>') + 1))) return false;
  for (const m of div.matchAll(TAG)) {
    const name = (m[2] ?? '').toLowerCase();
    if (!ELEMENTS.has(name)) return false;
    for (const a of (m[3] ?? '').matchAll(ATTRIBUTE)) {
      const attr = a[1] ?? '';
      const value = (a[2] ?? '').slice(1, -1).trim().toLowerCase();
      if (ACTIVE_ATTRIBUTE.test(attr)) return false;
      if ((attr === 'href' || attr === 'src') && (value.startsWith('javascript:') || value.startsWith('vbscript:'))) return false;
    }
  }
  return true;
}

/** txt-2: some non-whitespace content (text, or an image). */
export function narrativeHasContent(div: unknown): boolean {
  if (typeof div !== 'string') return true;
  if (/<\s*img[\s>/]/i.test(div)) return true;
  return div.replace(TAG, '').replace(/&nbsp;|&#160;/g, ' ').trim().length > 0;
}
