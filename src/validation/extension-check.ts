import type { StructureDefinitionContext } from 'fhir/r4';
import type { BaseContext } from './base-check';
import type { At, Issues } from './issues';
import type { InvariantEnv } from './invariants';
import { checkProfile } from './profile-check';
import type { CompiledProfile } from './profile-model';
import { extensionDomainAllowed } from './validator-options';

/** An extension definition (StructureDefinition of type Extension), compiled on first use. */
export interface ExtensionDefinition {
  readonly profile: CompiledProfile;
  /** The definition's root element is a modifier: it may only appear under `modifierExtension`. */
  readonly isModifier: boolean;
  readonly contexts: readonly StructureDefinitionContext[];
  /**
   * The context verdict per site, kept on first use. Sites are made once per element or resource type (never per
   * instance), so this stays as small as the definitions; a Map on the definition, not a WeakMap per lookup.
   */
  verdicts?: Map<ExtensionSite, boolean>;
}

/** Where an extension sits: the names its parent is known by (type, element path, primitive type), for `context`. */
export interface ExtensionSite {
  readonly names: readonly string[];
  readonly isResource: boolean;
  /** A resource with a canonical `url` (StructureDefinition, ValueSet, CodeSystem …). */
  readonly canonical?: boolean;
}

type Json = Record<string, unknown>;

/**
 * Checks one `extension` / `modifierExtension` item against its definition: known at all (else an error, unless
 * its domain is allowed by configuration), used in the right property (modifier or not), in an allowed context,
 * and conforming to the definition's own constraints (value type, fixed url, nested extensions).
 * Relative URLs (sub-extensions of a complex extension) are the enclosing definition's business.
 * See: https://hl7.org/fhir/R4/extensibility.html and https://hl7.org/fhir/R4/defining-extensions.html#context
 */
export function checkExtension(
  ctx: BaseContext,
  issues: Issues,
  item: Json,
  at: At,
  modifier: boolean,
  site: ExtensionSite,
  env: InvariantEnv,
): void {
  const url = item.url;
  if (typeof url !== 'string' || !ABSOLUTE.test(url)) return;
  const bar = url.indexOf('|');
  const def = ctx.extension(bar < 0 ? url : url.slice(0, bar));
  if (def === undefined) {
    unknownExtension(ctx, issues, url, at);
    return;
  }
  if (def.isModifier !== modifier) {
    const text = def.isModifier
      ? `The extension ${url} is a modifier extension: it must be used under modifierExtension, not extension`
      : `The extension ${url} is not a modifier extension: it must be used under extension, not modifierExtension`;
    issues.error('structure', text, at);
  }
  if (!CONTEXT_EXCEPTIONS.has(url) && !allowedAt(def, site)) {
    const allowed = def.contexts.map((c) => `${c.type}:${c.expression}`).join(', ');
    issues.error('business-rule', `The extension ${url} is not allowed to be used here (${site.names[0] ?? '?'}); allowed contexts: ${allowed}`, at);
  }
  checkProfile(ctx, issues, def.profile, item, at, env);
}

/**
 * An extension whose definition we do not have. Cross-version extensions (`http://hl7.org/fhir/5.0/…`) are
 * defined by rule, not by a file (https://hl7.org/fhir/versions.html#extensions): accepted. Other HL7 extensions
 * (`http://hl7.org/fhir/…`) live in packages we cannot fetch offline (hl7.fhir.uv.extensions): a warning that they
 * were not checked, not a guess. Anything else is an error unless its domain is allowed by configuration.
 */
function unknownExtension(ctx: BaseContext, issues: Issues, url: string, at: At): void {
  if (extensionDomainAllowed(url, ctx.options.allowedExtensionDomains) || /^http:\/\/hl7\.org\/fhir\/\d+\.\d+\/StructureDefinition\/extension-/.test(url)) return;
  if (url.startsWith('http://hl7.org/fhir/')) {
    issues.warning('not-supported', `The extension ${url} is not known to this server (an HL7 package not available offline); it was not checked`, at);
    return;
  }
  issues.error('structure', `The extension ${url} could not be found so is not allowed here`, at);
}

/**
 * structuredefinition-fhir-type names `ElementDefinition.type.code` as its context, yet the R4 core snapshots
 * themselves carry it on `ElementDefinition.type` (see `Resource.id`): the reference validator accepts that use.
 */
const CONTEXT_EXCEPTIONS = new Set(['http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type']);

/** R5 names for "any canonical resource" used by extensions that R4 instances carry (e.g. standards-status-x). */
const CANONICAL_CONTEXTS = new Set(['CanonicalResource', 'MetadataResource']);

function allowedAt(def: ExtensionDefinition, site: ExtensionSite): boolean {
  def.verdicts ??= new Map();
  let ok = def.verdicts.get(site);
  if (ok === undefined) {
    ok = contextAllows(def.contexts, site);
    def.verdicts.set(site, ok);
  }
  return ok;
}

const ABSOLUTE = /^[a-z][a-z0-9+.-]*:/i;

function contextAllows(contexts: readonly StructureDefinitionContext[], site: ExtensionSite): boolean {
  if (contexts.length === 0) return true;
  return contexts.some((c) => {
    if (c.type !== 'element') return true; // fhirpath and extension contexts are not checked (not guessed)
    const e = c.expression;
    if (e === 'Element' || site.names.includes(e)) return true;
    return site.isResource && (e === 'Resource' || e === 'DomainResource' || (CANONICAL_CONTEXTS.has(e) && site.canonical === true));
  });
}
