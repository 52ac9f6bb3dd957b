import * as z from '../validation/zod';
import { eventSchemas, eventTypeDescriptions, outboundEventTypes } from './event-types';

/**
 * The JSON Schema of every event type, derived from the zod schemas (event-types.ts), and the section of
 * docs/events.md that lists them. `test/unit/events-doc.test.ts` fails when the page and the code differ;
 * regenerate the section with `npx tsx shared/events/event-json-schemas.ts`.
 */

export function eventJsonSchema(type: (typeof outboundEventTypes)[number]): Record<string, unknown> {
  return z.toJSONSchema(eventSchemas[type], { target: 'draft-2020-12' }) as Record<string, unknown>;
}

export const EVENT_TYPES_BEGIN = '<!-- event types: generated from shared/events/event-types.ts -->';
export const EVENT_TYPES_END = '<!-- end of generated event types -->';

export function eventTypesSection(): string {
  const parts = [EVENT_TYPES_BEGIN, ''];
  for (const type of outboundEventTypes) {
    parts.push(`### \`${type}\``, '', eventTypeDescriptions[type], '', '```json');
    parts.push(JSON.stringify(eventJsonSchema(type), null, 2), '```', '');
  }
  parts.push(EVENT_TYPES_END);
  return parts.join('\n');
}

if (process.argv[1]?.endsWith('event-json-schemas.ts')) process.stdout.write(`${eventTypesSection()}\n`);
