import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { eventJsonSchema, eventTypesSection } from '../../shared/events/event-json-schemas';
import { eventSchemas, outboundEventTypes } from '../../shared/events/event-types';

const page = readFileSync(new URL('../../docs/events.md', import.meta.url), 'utf8');

describe('docs/events.md', () => {
  it('holds the JSON Schema of every event type, as the code derives it', () => {
    // On failure: regenerate the section with `npx tsx shared/events/event-json-schemas.ts`.
    expect(page).toContain(eventTypesSection());
  });

  it('documents every type, each with an id, its type, version 1, the time it happened and data', () => {
    for (const type of outboundEventTypes) {
      expect(page).toContain(`### \`${type}\``);
      const schema = eventJsonSchema(type) as { required: string[]; properties: Record<string, unknown> };
      expect(schema.required.sort()).toEqual(['data', 'id', 'occurredAt', 'type', 'version']);
      expect(schema.properties.version).toEqual({ type: 'number', const: 1 });
    }
  });

  it('the example envelope on the page is a valid event', () => {
    const example = /## The envelope\n\n```json\n([\s\S]*?)\n```/.exec(page)?.[1] ?? '';
    expect(eventSchemas['subscription.unsubscribed'].safeParse(JSON.parse(example)).success).toBe(true);
  });
});
