import { parseDocument } from 'htmlparser2';

/**
 * The fields a browser would submit from the first `<form>` of a page, read with an HTML5 parser: hidden
 * inputs as they are, the checkboxes ticked by `tick` (by name and value), and what a person types.
 */

interface MarkupNode {
  type: string;
  name?: string;
  attribs?: Record<string, string>;
  children?: MarkupNode[];
  data?: string;
}

const elementsOf = (node: MarkupNode): MarkupNode[] =>
  (node.children ?? []).flatMap((child) => [...(child.type === 'tag' ? [child] : []), ...elementsOf(child)]);

export interface ParsedForm {
  action: string;
  /** Every input with its type, name, value and whether it is checked, in document order. */
  inputs: { type: string; name: string; value: string; checked: boolean; id: string }[];
  /** The text of each `<label>` by the id it is for. */
  labels: Map<string, string>;
}

const textOf = (node: MarkupNode): string =>
  (node.children ?? []).map((child) => child.data ?? textOf(child)).join('');

export function parseForm(html: string): ParsedForm {
  const form = elementsOf(parseDocument(html) as MarkupNode).find((element) => element.name === 'form');
  if (form === undefined) throw new Error('the page has no form');
  return parsedForm(form);
}

/**
 * What a browser posts from the form of a page with several (the preference page: a form per button)
 * whose hidden fields hold every one of `fields` (`{ action: 'resubscribe', listId: 'news' }`).
 */
export function formPosting(html: string, fields: Record<string, string>): URLSearchParams {
  const forms = elementsOf(parseDocument(html) as MarkupNode)
    .filter((element) => element.name === 'form')
    .map(parsedForm);
  const form = forms.find(({ inputs }) =>
    Object.entries(fields).every(([name, value]) =>
      inputs.some((input) => input.type === 'hidden' && input.name === name && input.value === value),
    ),
  );
  if (form === undefined) throw new Error(`the page has no form with ${JSON.stringify(fields)}`);
  return submittedFields(form, {}, []);
}

function parsedForm(form: MarkupNode): ParsedForm {
  const elements = elementsOf(form);
  return {
    action: form.attribs?.action ?? '',
    inputs: elements
      .filter((element) => element.name === 'input')
      .map(({ attribs = {} }) => ({
        type: attribs.type ?? 'text',
        name: attribs.name ?? '',
        value: attribs.value ?? '',
        checked: 'checked' in attribs,
        id: attribs.id ?? '',
      })),
    labels: new Map(
      elements
        .filter((element) => element.name === 'label')
        .map((label) => [label.attribs?.for ?? '', textOf(label).replace(/\s+/g, ' ').trim()]),
    ),
  };
}

/** The body a browser posts: hidden fields, `typed` values, and the checkboxes in `tick` (name=value). */
export function submittedFields(
  form: ParsedForm,
  typed: Record<string, string>,
  tick: { name: string; value: string }[],
): URLSearchParams {
  const body = new URLSearchParams();
  for (const input of form.inputs) {
    if (input.type === 'hidden') body.append(input.name, input.value);
    else if (input.type === 'checkbox') {
      const ticked = tick.some(({ name, value }) => name === input.name && value === input.value);
      if (ticked || input.checked) body.append(input.name, input.value);
    } else if (typed[input.name] !== undefined) body.append(input.name, typed[input.name] ?? '');
    else body.append(input.name, '');
  }
  return body;
}
