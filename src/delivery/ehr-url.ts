/**
 * URLs the EHR hands us (Location headers, paging links, references) are trusted only inside the configured
 * base: same origin and a path below the base path. Anything else is never requested (SECURITY-CASES 47).
 */
export function isWithinBase(url: string, baseUrl: string): boolean {
  if (!URL.canParse(url)) return false;
  const target = new URL(url);
  const base = new URL(baseUrl);
  if (target.origin !== base.origin || target.username !== '' || target.password !== '') return false;
  const basePath = base.pathname.replace(/\/+$/, '');
  // Dot segments are already resolved by the URL parser, so `base/../admin` cannot pass as inside.
  return target.pathname === basePath || target.pathname.startsWith(`${basePath}/`);
}

/** `Type/id` from a relative or in-base absolute reference or Location (`…/Type/id/_history/v`); else undefined. */
export function localReference(location: string, baseUrl: string): string | undefined {
  let path = location;
  if (/^[a-z][a-z0-9+.-]*:/i.test(location)) {
    if (!isWithinBase(location, baseUrl)) return undefined;
    path = new URL(location).pathname.slice(new URL(baseUrl).pathname.replace(/\/+$/, '').length + 1);
  }
  const match = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[A-Za-z0-9\-.]{1,64})?$/.exec(path);
  return match ? `${match[1]}/${match[2]}` : undefined;
}

/** Resolves a path relative to the base (`Patient?identifier=…`); an absolute URL must be inside the base. */
export function ehrUrl(pathOrUrl: string, baseUrl: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(pathOrUrl)) return isWithinBase(pathOrUrl, baseUrl) ? pathOrUrl : undefined;
  return pathOrUrl === '' ? baseUrl : `${baseUrl}/${pathOrUrl.replace(/^\/+/, '')}`;
}
