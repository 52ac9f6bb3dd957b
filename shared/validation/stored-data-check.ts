import { scanAllItems, type TableAccess } from '../table-access';
import { emailAddressProblem, headerUnsafeCharacter, isListId, subjectProblem } from './rules';

/**
 * `npm run check-data`: finds stored values the validation rules (schemas.ts) now refuse, written before
 * those rules existed or by hand. Each would make an email silently fail later (a confirmation naming the
 * list, a welcome, a campaign to the contact), so they are reported for the operator to fix, never
 * skipped quietly. A finding names the item, the field and the rule, never the value: most are personal
 * data (names, addresses).
 */

export interface StoredValueProblem {
  entity: string;
  /** `<pk> <sk>`: ids and keyed hashes only. */
  key: string;
  field: string;
  rule: string;
}

export interface StoredDataReport {
  itemsChecked: number;
  problems: StoredValueProblem[];
}

type Item = Record<string, unknown>;
type FieldProblem = { field: string; rule: string };

/** Campaigns that are over are history: their subject will never be sent again. */
const FINISHED_CAMPAIGN = new Set(['cancelled', 'completed']);

const headerSafe = (field: string, value: unknown): FieldProblem[] => {
  if (typeof value !== 'string') return [];
  const unsafe = headerUnsafeCharacter(value);
  return unsafe === undefined ? [] : [{ field, rule: `header-safe text: contains ${unsafe}` }];
};

const address = (field: string, value: unknown): FieldProblem[] => {
  const problem = typeof value === 'string' ? emailAddressProblem(value) : 'is missing';
  return problem === undefined ? [] : [{ field, rule: `email address: ${problem}` }];
};

const subject = (field: string, value: unknown): FieldProblem[] => {
  const problem = typeof value === 'string' ? subjectProblem(value) : 'is missing';
  return problem === undefined ? [] : [{ field, rule: `email subject: ${problem}` }];
};

/** `{ en: {...}, fr: {...} }` → `[['en', {...}], ...]`, whatever is stored. */
const perLocale = (value: unknown): [string, Item][] =>
  typeof value === 'object' && value !== null
    ? Object.entries(value as Record<string, Item>).filter(([, entry]) => typeof entry === 'object')
    : [];

const checksOf: Record<string, (item: Item) => FieldProblem[]> = {
  contact: (item) => [...address('email', item.email), ...headerSafe('name', item.name)],
  pendingEmailChange: (item) => address('newEmail', item.newEmail),
  list: (item) => {
    const welcome = item.welcomeEmail as { enabled?: unknown; content?: unknown } | undefined;
    return [
      ...(typeof item.listId === 'string' && isListId(item.listId)
        ? []
        : [{ field: 'listId', rule: 'list id: 2–64 lowercase letters, digits or hyphens' }]),
      ...perLocale(item.texts).flatMap(([locale, text]) => headerSafe(`texts.${locale}.name`, text?.name)),
      ...(welcome?.enabled === true
        ? perLocale(welcome.content).flatMap(([locale, content]) =>
            subject(`welcomeEmail.content.${locale}.subject`, content?.subject),
          )
        : []),
    ];
  },
  campaign: (item) => (FINISHED_CAMPAIGN.has(String(item.status)) ? [] : headerSafe('subject', item.subject)),
};

export const checkedEntities = Object.keys(checksOf);

/** The problems of one stored item (no I/O), for the scan below and for tests. */
export function problemsOfItem(item: Item): StoredValueProblem[] {
  const entity = String(item.entity);
  const check = checksOf[entity];
  if (check === undefined) return [];
  const key = `${String(item.pk)} ${String(item.sk)}`;
  return check(item).map((problem) => ({ entity, key, ...problem }));
}

/** Scans the whole table (only the entities above are read in full) and reports every problem. */
export async function checkStoredData(access: TableAccess): Promise<StoredDataReport> {
  const names = Object.fromEntries(checkedEntities.map((entity, index) => [`:e${index}`, entity]));
  const report: StoredDataReport = { itemsChecked: 0, problems: [] };
  const items = scanAllItems(access, {
    FilterExpression: `entity IN (${Object.keys(names).join(', ')})`,
    ExpressionAttributeValues: names,
  });
  for await (const item of items) {
    report.itemsChecked += 1;
    report.problems.push(...problemsOfItem(item));
  }
  return report;
}
