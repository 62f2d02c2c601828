import type { IngestResource } from './resource-rules';
import { sameContent, withoutServerMeta, withServerMeta } from './server-meta';

/** The current version of a resource as an adapter read it. */
export interface CurrentVersion {
  versionId: string;
  lastUpdated: string;
  content: string;
}

/** What to write for an incoming resource: nothing (an unchanged resend), or this version's text. */
export type VersionPlan =
  | { write: false; versionId: string }
  | { write: true; versionId: string; lastUpdated: string; stored: IngestResource; content: string };

/**
 * Deterministic versions (pure): the first write is version 1, each changed content the next integer, and
 * a resend whose content equals the current version (server-owned meta aside) writes nothing. The stored
 * text is `JSON.stringify` of the resource with the server's meta, and it is what reads serve back.
 */
export function planVersion(resource: IngestResource, existing: CurrentVersion | undefined, lastUpdated: Date): VersionPlan {
  const incoming = withoutServerMeta(resource);
  if (existing !== undefined && unchanged(existing, incoming)) return { write: false, versionId: existing.versionId };
  const versionId = String(existing === undefined ? 1 : Number(existing.versionId) + 1);
  const iso = lastUpdated.toISOString();
  const stored = withServerMeta(incoming, versionId, iso);
  return { write: true, versionId, lastUpdated: iso, stored, content: JSON.stringify(stored) };
}

/**
 * A resend (the same Device with every reading) is usually byte-identical to what was stored: the stored text
 * is this same serialisation with the stored meta, so equal text settles it without parsing. Otherwise the
 * contents are compared key order aside.
 */
function unchanged(existing: CurrentVersion, incoming: IngestResource): boolean {
  if (JSON.stringify(withServerMeta(incoming, existing.versionId, existing.lastUpdated)) === existing.content) return true;
  return sameContent(JSON.parse(existing.content) as IngestResource, incoming);
}
