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

const ATTRIBUTE = /([A-Za-z_:][A-Za-z0-9_:.-]*)\s*=\s*("[^"]*"|'[^']*')/g;
const XHTML_ROOT = /^\s*<div\s[^>]*xmlns\s*=\s*["']http:\/\/www\.w3\.org\/1999\/xhtml["']/;

const isNameChar = (c: number): boolean =>
  (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 58 || c === 95 || c === 45;

/** txt-1: only allowed elements and attributes, an XHTML <div> root, no active content. One pass, no regex per tag. */
export function narrativeElementsOk(div: unknown): boolean {
  if (typeof div !== 'string') return true;
  if (!XHTML_ROOT.test(div)) return false;
  for (let i = div.indexOf('<'); i >= 0; ) {
    let j = i + 1;
    const first = div.charCodeAt(j);
    if (first === 33 || first === 63) {
      i = div.indexOf('<', j); // comment, CDATA or processing instruction: no element
      continue;
    }
    if (first === 47) j++;
    let k = j;
    while (k < div.length && isNameChar(div.charCodeAt(k))) k++;
    if (!allowedElement(div, j, k)) return false;
    // To the end of the tag, noting on the way whether its attributes may be active (see attributesOk).
    let end = k;
    let active = false;
    for (; end < div.length; end++) {
      const x = div.charCodeAt(end);
      if (x === 62) break; // `>`
      if (active) continue;
      const c = x | 32; // an ASCII letter in lower case
      if (c === 110) active = end > k && (div.charCodeAt(end - 1) | 32) === 111; // `on`
      else if (c === 115) active = div.substr(end, 7).toLowerCase() === 'script:';
    }
    if (end >= div.length) return false;
    if (active && end > k + 2 && !attributesOk(div.slice(k, end))) return false;
    i = div.indexOf('<', end);
  }
  return true;
}

/** The allowed names by first letter (`a` = 0), so a tag name is matched in place: no string made per tag. */
const BY_FIRST: readonly (readonly string[])[] = Array.from({ length: 26 }, (_, i) => [...ELEMENTS].filter((e) => e.charCodeAt(0) === 97 + i));

/**
 * Whether the tag name `div[from, to)` is an allowed element, ignoring ASCII case (the name holds only name
 * characters, so this is `ELEMENTS.has(name.toLowerCase())`; `| 32` lowers an ASCII letter and leaves the
 * digits of `h1`…`h6` as they are).
 */
function allowedElement(div: string, from: number, to: number): boolean {
  const first = (div.charCodeAt(from) | 32) - 97;
  const names = first >= 0 && first < 26 ? BY_FIRST[first] : undefined;
  if (names === undefined || to <= from) return false;
  for (const name of names) {
    if (name.length !== to - from) continue;
    let i = 1;
    while (i < name.length && (div.charCodeAt(from + i) | 32) === name.charCodeAt(i)) i++;
    if (i === name.length) return true;
  }
  return false;
}

/**
 * No event handlers (`on…`) and no script URLs; other attributes are formatting. Called only for attributes that
 * contain `on` or `script:` in any case (the same as lowering them first: no other character lowers to one of
 * these letters), which is then parsed.
 */
function attributesOk(attrs: string): boolean {
  for (const a of attrs.matchAll(ATTRIBUTE)) {
    const name = (a[1] ?? '').toLowerCase();
    const value = (a[2] ?? '').slice(1, -1).trim().toLowerCase();
    if (name.startsWith('on')) return false;
    if ((name === 'href' || name === 'src') && (value.startsWith('javascript:') || value.startsWith('vbscript:'))) return false;
  }
  return true;
}

/** txt-2: some non-whitespace content (text outside the tags, or an image). Stops at the first character found. */
export function narrativeHasContent(div: unknown): boolean {
  if (typeof div !== 'string') return true;
  let inTag = false;
  for (let i = 0; i < div.length; i++) {
    const c = div.charCodeAt(i);
    if (c === 60) {
      inTag = true;
      if (div.startsWith('img', i + 1) || div.startsWith('IMG', i + 1)) return true;
    } else if (c === 62) inTag = false;
    else if (!inTag && c > 32 && c !== 160) return true;
  }
  return false;
}
