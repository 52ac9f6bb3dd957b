import { findContact } from '../../shared/contacts/contacts';
import type { Runtime } from '../../shared/runtime';
import type { RefusalCode } from '../../shared/sending/message-types';
import { prepareMessage } from '../../shared/sending/prepare-message';
import { sendDependenciesOf } from '../../shared/sending/send-dependencies';

/**
 * What the send path would decide, right now, for a marketing email to this contact on this list: the
 * refusal codes, none when it would be sent. `prepareMessage` is the first half of `sendMessage` (the same
 * strongly consistent reads and the compliance policy); it writes nothing and sends nothing.
 */
export async function marketingRefusalsFor(
  runtime: Runtime,
  contactId: string,
  listId: string,
): Promise<RefusalCode[]> {
  const deps = sendDependenciesOf(runtime);
  const contact = await findContact(deps.access, contactId);
  if (contact === undefined) throw new Error(`No contact ${contactId}: sendMessage would answer 404`);
  const { decision } = await prepareMessage(
    deps,
    contact,
    { kind: 'marketing', listId, subject: 'This week', text: 'Three new articles.' },
    { messageId: 'decision-only' },
    new Date(),
  );
  return decision.allowed ? [] : decision.refusals.map((refusal) => refusal.code);
}
