import type { Device, Observation } from 'fhir/r4';

type Produced = Device | Observation;

/** What one ingest request should report in its 202 summary. */
export interface ExpectedSummary {
  items: { received: number; accepted: number; rejected: number };
  resources: { written: number; unchanged: number };
}

/**
 * A model of what the store must hold after each request, built only from the golden files: a resource is
 * written (new version) when it is new or differs from what is stored, and left unchanged when identical
 * (deterministic ids). Within one request the last Device of a given id wins, as documented for ingest.
 */
export class ExpectedState {
  private readonly resources = new Map<string, { resource: Produced; versions: number }>();

  /** Applies one accepted request of `items` (each item's produced resources) and returns its summary. */
  apply(items: ReadonlyArray<{ device: Device; observations: Observation[] }>): ExpectedSummary {
    const inRequest = new Map<string, Produced>();
    for (const item of items) {
      inRequest.set(`Device/${item.device.id}`, item.device);
      for (const o of item.observations) inRequest.set(`Observation/${o.id}`, o);
    }
    let written = 0;
    for (const [reference, resource] of inRequest) {
      const stored = this.resources.get(reference);
      if (stored && JSON.stringify(stored.resource) === JSON.stringify(resource)) continue;
      this.resources.set(reference, { resource, versions: (stored?.versions ?? 0) + 1 });
      written += 1;
    }
    return {
      items: { received: items.length, accepted: items.length, rejected: 0 },
      resources: { written, unchanged: inRequest.size - written },
    };
  }

  /** Every reference (`Type/id`) that must be readable, with its content and version count. */
  entries(): Array<[string, { resource: Produced; versions: number }]> {
    return [...this.resources.entries()];
  }

  /** Ids of the stored Observations passing `keep`, sorted. */
  observationIds(keep: (o: Observation) => boolean): string[] {
    return this.entries()
      .map(([, v]) => v.resource)
      .filter((r): r is Observation => r.resourceType === 'Observation' && keep(r))
      .map((o) => o.id ?? '')
      .sort();
  }

  /** Ids of the stored Devices passing `keep`, sorted. */
  deviceIds(keep: (d: Device) => boolean): string[] {
    return this.entries()
      .map(([, v]) => v.resource)
      .filter((r): r is Device => r.resourceType === 'Device' && keep(r))
      .map((d) => d.id ?? '')
      .sort();
  }
}
