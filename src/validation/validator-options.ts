/**
 * How a validator behaves where the HL7 reference validator has switches too. Every option defaults to the
 * reference validator's default, so a default validator agrees with it.
 * See: https://confluence.hl7.org/display/FHIR/Using+the+FHIR+Validator
 */
export interface ValidatorOptions {
  /**
   * Extensions whose definition is unknown are errors, except under these domains (URL prefixes such as
   * `https://example.org/fhir/` or bare hosts such as `example.org`). `['*']` allows any extension.
   */
  readonly allowedExtensionDomains?: readonly string[];
  /** Refuse strings that look like embedded HTML (`<script>`, `<img …>`): the reference validator's -security-checks. */
  readonly securityChecks?: boolean;
  /** Refuse example URLs (example.org, example.com) in url-typed elements: the reference validator's examples=false. */
  readonly forbidExampleUrls?: boolean;
  /** The clock for limits relative to now (minValue/maxValue given as a Duration); Date.now by default. */
  readonly now?: () => number;
}

/** True when `url` falls under one of the allowed extension domains. */
export function extensionDomainAllowed(url: string, domains: readonly string[] | undefined): boolean {
  if (domains === undefined || domains.length === 0) return false;
  const host = hostOf(url);
  return domains.some((d) => d === '*' || url.startsWith(d) || (host !== undefined && (host === d || host.endsWith(`.${d}`))));
}

function hostOf(url: string): string | undefined {
  const m = /^[a-z][a-z0-9+.-]*:\/\/([^/?#:]+)/i.exec(url);
  return m?.[1]?.toLowerCase();
}

/** example.org, example.com, example.net and their subdomains (RFC 2606 §3). */
export function isExampleUrl(url: string): boolean {
  const host = hostOf(url);
  return host !== undefined && /(^|\.)example\.(org|com|net)$/.test(host);
}
