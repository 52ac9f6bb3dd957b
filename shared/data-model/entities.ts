/**
 * The catalogue of entities: every item kind in the table with its key patterns and access patterns.
 * In a module of its own because it is a data table; `shared/data-model.ts` re-exports it with the
 * functions that fill its patterns.
 */

export interface EntityDefinition {
  description: string;
  pk: string;
  sk: string;
  gsi1pk?: string;
  gsi1sk?: string;
  gsi2pk?: string;
  gsi2sk?: string;
  gsi3pk?: string;
  gsi3sk?: string;
  /** The item expires through the table's TTL attribute. */
  expires?: true;
  accessPatterns: readonly string[];
}

/**
 * Every entity in the table. `<name>` marks a value filled in by `keyOf`; everything else is literal.
 * Values never contain `#`, so a prefix of one entity can never match another's.
 */
export const entities = {
  contact: {
    description: 'A person we hold data about: profile, locale, account-holder flag, tracking choice.',
    pk: 'CONTACT#<contactId>',
    sk: 'PROFILE',
    // Set only on account holders, so the index holds exactly the people announcements go to.
    gsi1pk: 'ACCOUNT_HOLDERS#SHARD#<shard>',
    gsi1sk: '<contactId>',
    // On every contact: `<reviewAt>` is when the retention job next looks at it (its creation, then its
    // latest activity as the job last found it), so the job reads only contacts quiet for the whole period.
    gsi2pk: 'CONTACTS#SHARD#<shard>',
    gsi2sk: '<reviewAt>#<contactId>',
    // Only while the contact exists solely because of unconfirmed signups (docs/retention.md).
    expires: true,
    accessPatterns: [
      'get a contact by id',
      'everything held about a contact (query the partition) for export and erasure',
      'every account holder, read in parallel shards (service announcements)',
      'every contact, read in parallel shards (policy-change and security notices to everyone concerned)',
      'contacts not reviewed since a date, read in parallel shards (retention of inactive contacts)',
      'the contacts opted out of sale or sharing, page by page (findContacts doNotSell=true, filtered per shard)',
    ],
  },
  emailLookup: {
    description: 'Maps the keyed hash of a normalised address to its contact; makes addresses unique.',
    pk: 'EMAIL#<emailHash>',
    sk: 'CONTACT',
    // Like its contact: only while the contact exists solely because of unconfirmed signups.
    expires: true,
    accessPatterns: ['find a contact by email address', 'refuse a second contact with the same address'],
  },
  subscription: {
    description: 'Current state of one contact on one list (unconfirmed, confirmed, unsubscribed).',
    pk: 'CONTACT#<contactId>',
    sk: 'SUBSCRIPTION#<listId>',
    gsi1pk: 'LIST#<listId>#SHARD#<shard>',
    gsi1sk: '<status>#<contactId>',
    // Only while `unconfirmed`: an opt-in never confirmed expires with its confirmation window.
    expires: true,
    accessPatterns: [
      "a contact's subscriptions (preference page, export)",
      "a list's subscribers by status, read in parallel shards (campaign fan-out, counts)",
    ],
  },
  consentEvent: {
    description:
      'Append-only consent ledger: what changed, how, from where, to what wording (version and hash).',
    pk: 'CONTACT#<contactId>',
    sk: 'CONSENT#<occurredAt>#<eventId>',
    // Only `opt-in-requested` events until confirmed; every other event is kept for good.
    expires: true,
    accessPatterns: ["a contact's full consent ledger in time order (proof of consent, export)"],
  },
  pendingEmailChange: {
    description: 'A requested address change waiting for confirmation from the new address.',
    pk: 'CONTACT#<contactId>',
    sk: 'EMAIL_CHANGE',
    expires: true,
    accessPatterns: ['confirm or expire a pending address change'],
  },
  message: {
    description:
      'One email we sent (or refused): headers, list, campaign, exemption used, delivery status, and its opens (the pixel writes them here).',
    pk: 'CONTACT#<contactId>',
    sk: 'MESSAGE#<messageId>',
    // Our message id's lookup needs only the key: KEYS_ONLY, so opens and deliveries write no copy of it.
    // Items stored before it are in gsi1 (formerKeys in shared/data-model.ts) until `npm run index-messages`.
    gsi3pk: 'MESSAGE#<messageId>',
    gsi3sk: 'MESSAGE',
    // No gsi2 by SES's id: every send is tagged with the contactId, so an SES event names the item's key.
    // Messages sent before the tag are in gsi2 (formerKeys) until they expire (docs/data-model.md, Deploy 2).
    expires: true,
    accessPatterns: [
      'messages sent to a contact (export)',
      'get a message by our id (admin getMessage)',
      'find our message from an SES event (its tags name the key; former gsi2 for mail sent before them)',
      'record an open with one conditional write, no read (the pixel)',
    ],
  },
  openTally: {
    description:
      "Which opens of one message the stream has counted into its campaign's counters, and when the message's opens expire.",
    pk: 'CONTACT#<contactId>',
    sk: 'OPENS#<messageId>',
    expires: true,
    accessPatterns: [
      'count a recorded open once, in the transaction that adds it to the campaign counters (stream)',
      "its expiry (TTL) removes the message's opens (stream)",
    ],
  },
  suppression: {
    description:
      "An address that must not be mailed (bounce, complaint, erasure, the operator's block); survives erasure.",
    pk: 'SUPPRESSION#<emailHash>',
    sk: 'SUPPRESSION',
    gsi1pk: 'SUPPRESSIONS',
    gsi1sk: '<createdAt>#<emailHash>',
    accessPatterns: [
      'is this address suppressed, and for what',
      'list suppressions newest first, by reason (admin listSuppressions)',
    ],
  },
  bounceCounter: {
    description: 'Transient bounces of an address within a window, before they turn into a suppression.',
    pk: 'SUPPRESSION#<emailHash>',
    sk: 'SOFT_BOUNCES#<windowStart>',
    expires: true,
    accessPatterns: ['count transient bounces within a window'],
  },
  processedSesEvent: {
    description:
      'An SES event (bounce, complaint, delivery…) already applied, so a repeated delivery of it changes nothing.',
    pk: 'SES_EVENT#<eventKey>',
    sk: 'PROCESSED',
    expires: true,
    accessPatterns: [
      'claim an SES event exactly once, in the transaction that applies it',
      'was this SES event already applied (a retry or duplicate delivery)',
    ],
  },
  list: {
    description: 'A newsletter or topic: names per locale, double opt-in, welcome email, tracking default.',
    pk: 'LIST#<listId>',
    sk: 'LIST',
    gsi1pk: 'LISTS',
    gsi1sk: '<listId>',
    accessPatterns: ['get a list', 'all lists'],
  },
  consentText: {
    description: 'One immutable version of the wording shown next to a signup checkbox, per locale.',
    pk: 'LIST#<listId>',
    sk: 'CONSENT_TEXT#<locale>#<version>',
    accessPatterns: ['current wording of a list in a locale (newest version)', 'every version, forever'],
  },
  campaign: {
    description:
      'A send to a whole list (or to every account holder): content, status, schedule, recipients planned.',
    pk: 'CAMPAIGN#<campaignId>',
    sk: 'CAMPAIGN',
    gsi1pk: 'CAMPAIGNS',
    gsi1sk: '<createdAt>#<campaignId>',
    // Only while scheduled: the sweeper starts it once `<startAt>` has passed.
    gsi2pk: 'CAMPAIGN_WORK',
    gsi2sk: '<startAt>#<campaignId>#START',
    accessPatterns: [
      'get a campaign with its progress',
      'campaigns newest first',
      'scheduled campaigns that are due (sweeper)',
    ],
  },
  campaignCounterShard: {
    description:
      "One of several shards of a campaign's (or announcement's) counters: sent, skipped by reason, delivered, bounces, complaints, opens, unsubscribes.",
    // The shard is in the partition key: shards of one campaign land on different partitions.
    pk: 'CAMPAIGN_COUNTERS#<campaignId>#<shard>',
    sk: 'COUNTERS',
    accessPatterns: [
      'count an event with one write to a random shard (no hot partition at 1,000 opens per second)',
      "read a campaign's statistics by summing its shards (one BatchGetItem)",
    ],
  },
  campaignTask: {
    description:
      "A unit of fan-out work: planning one subscriber shard (and sending its last batch), sending one batch of 50 to 1,000 recipients, or re-arming a resumed campaign's parked batches. Set to `pending`, it appears on the table's stream and a worker runs it.",
    // Every task has its own partition key: Lambda keeps stream records of one key in order, so distinct
    // keys are what let the stream's parallelisation factor run batches side by side.
    pk: 'CAMPAIGN_TASK#<campaignId>#<taskId>',
    sk: 'TASK',
    // While unfinished: `<wakeAt>` is when the sweeper re-arms it (lease expired, retry due, stream
    // record lost); `PARKED` while its campaign is paused (sorts after every date, so never due).
    gsi2pk: 'CAMPAIGN_WORK',
    gsi2sk: '<wakeAt>#<campaignId>#<taskId>',
    expires: true,
    accessPatterns: [
      'take a task with one conditional write (pending → running, with a lease)',
      'unfinished work that is due: expired leases, deferred retries, lost stream records (sweeper)',
      "a paused campaign's parked tasks (resume)",
    ],
  },
  sendRateBucket: {
    description:
      "The shared send-rate reservation (GCRA): the time up to which SES's send rate is already spoken for, across every worker.",
    pk: 'SEND_RATE#<name>',
    sk: 'GCRA',
    accessPatterns: ['reserve the next slots of the send rate with one conditional write'],
  },
  publicRequest: {
    description:
      'A public request accepted in one write and processed on the table stream (a referral, a signup): its input, until processed.',
    pk: 'PUBLIC_REQUEST#<emailHash>',
    sk: '<receivedAt>#<requestId>',
    expires: true,
    accessPatterns: [
      'accept a request in one write; the stream consumer reads it back, processes it and deletes it',
      'a signup records its outcome on the request in the transaction that writes it (a retry resumes there)',
      "erasure removes an address's requests still waiting",
    ],
  },
  rateLimitCounter: {
    description:
      'Requests in one fixed window for one subject, named by a keyed hash (of an IP network, address hash or contact id).',
    pk: 'RATE#<scope>#<subject>',
    sk: 'WINDOW#<windowStart>',
    expires: true,
    accessPatterns: [
      'count and limit requests per window with one conditional update',
      "read with a signup's reads, so a signup over a limit is refused without writing to the counter",
    ],
  },
  apiKey: {
    description: 'An admin API key: visible prefix, hash of the secret, scopes, revocation.',
    pk: 'API_KEY#<keyId>',
    sk: 'API_KEY',
    gsi1pk: 'API_KEYS',
    gsi1sk: '<createdAt>#<keyId>',
    accessPatterns: ['verify a presented key by its id', 'list keys'],
  },
  auditEvent: {
    description: 'Who (API key) did what (operation) to what (target) and when.',
    pk: 'AUDIT#<day>',
    sk: '<occurredAt>#<eventId>',
    gsi2pk: 'AUDIT_TARGET#<targetType>#<targetId>',
    gsi2sk: '<occurredAt>#<eventId>',
    accessPatterns: ['audit events of a day in time order', 'audit events about one target (export)'],
  },
  idempotencyRecord: {
    description:
      'The outcome of a request sent with an Idempotency-Key, per API key; while running, a lease a retry may take over once it expires.',
    pk: 'IDEMPOTENCY#<apiKeyId>#<scope>#<key>',
    sk: 'IDEMPOTENCY',
    // Once answered, when the answer is about a contact: erasure finds and deletes it.
    gsi2pk: 'CONTACT_IDEMPOTENCY#<contactId>',
    gsi2sk: '<answeredAt>',
    expires: true,
    accessPatterns: [
      'replay the first outcome of a repeated request',
      'take over a claim whose lease expired with one conditional write',
      "a contact's stored answers (erasure)",
    ],
  },
  referralInvitation: {
    description:
      'An invitation sent to a friend known only by the keyed hash of their address; one per friend per 30 days.',
    pk: 'REFERRAL#<friendHash>',
    sk: 'INVITATION',
    expires: true,
    accessPatterns: [
      'was this friend invited in the last 30 days (one consistent query with the opt-out)',
      'claim the invitation before sending with one conditional write',
    ],
  },
  referralOptOut: {
    description: 'A friend (keyed hash only) who asked never to be invited again; permanent.',
    pk: 'REFERRAL#<friendHash>',
    sk: 'OPT_OUT',
    accessPatterns: ['has this friend opted out of referrals'],
  },
  referralSummary: {
    description:
      'How many referrals a subscriber asked for: counts and dates only, nothing about the friends.',
    pk: 'CONTACT#<contactId>',
    sk: 'REFERRALS',
    accessPatterns: ["count a referrer's requests with one update", "a contact's referral counts (export)"],
  },
  noticeRecord: {
    description:
      'Proof that one person was sent one policy-change or security notice: the announcement, its policy version and when; kept after the message record expires.',
    pk: 'CONTACT#<contactId>',
    sk: 'NOTICE#<campaignId>',
    accessPatterns: [
      'record a notice sent, beside its message record (campaign fan-out)',
      "a contact's notices with their policy versions (export)",
    ],
  },
  erasureRecord: {
    description:
      'The anonymised record of an erasure: its id, who asked (API key or self-service), when, item counts; no address, no name.',
    pk: 'CONTACT#<contactId>',
    sk: 'ERASURE',
    accessPatterns: ['resume an interrupted erasure, or answer the receipt of a finished one (idempotent)'],
  },
  erasureCount: {
    description:
      "How many erasures are in progress (and have begun), and how many withdrawals of tracking consent there were: lets a campaign chunk skip reading its recipients' erasure records while none is, and know when a withdrawal may have missed its records.",
    pk: 'ERASURES',
    sk: 'COUNT',
    accessPatterns: [
      'count an erasure in the transaction that begins it; uncount it once its profile is deleted',
      'count a withdrawal of tracking consent in the transaction that records it',
      'read before and after a campaign chunk: were erasures in progress or begun meanwhile? was tracking withdrawn meanwhile?',
    ],
  },
  rightsRequest: {
    description:
      'A data-subject rights request: kind, channel, requester, jurisdiction and deadline, verification, outcome and evidence. Kept, anonymised, when its contact is erased.',
    pk: 'RIGHTS_REQUEST#<rightsRequestId>',
    sk: 'RIGHTS_REQUEST',
    // Few per day: one index partition ordered by deadline serves every listing.
    gsi1pk: 'RIGHTS_REQUESTS',
    gsi1sk: '<dueAt>#<rightsRequestId>',
    // Only when linked to a contact.
    gsi2pk: 'CONTACT_RIGHTS_REQUESTS#<contactId>',
    gsi2sk: '<receivedAt>#<rightsRequestId>',
    accessPatterns: [
      'get a request by id',
      'requests by deadline, filtered by status and kind (due before a date, overdue)',
      "a contact's requests (data-request emails, self-service, export, erasure)",
    ],
  },
  webhook: {
    description:
      "An operator's webhook: target URL, the event types it receives, its signing secret (Standard Webhooks).",
    pk: 'WEBHOOK#<webhookId>',
    sk: 'WEBHOOK',
    gsi1pk: 'WEBHOOKS',
    gsi1sk: '<createdAt>#<webhookId>',
    accessPatterns: ['get a webhook', 'every webhook (fan-out of each event, listWebhooks)'],
  },
  webhookDelivery: {
    description:
      'One event for one webhook: the payload, attempts, next attempt, outcome (delivered or dead-lettered).',
    // Under its webhook, keyed by the event id: one delivery per (event, webhook) whatever the redeliveries.
    pk: 'WEBHOOK#<webhookId>',
    sk: 'DELIVERY#<eventId>',
    gsi1pk: 'WEBHOOK_DELIVERIES#<webhookId>',
    gsi1sk: '<createdAt>#<eventId>',
    // Only while pending: `<nextAttemptAt>` is when the sweeper tries it (a retry, or a lost first attempt).
    gsi2pk: 'WEBHOOK_WORK',
    gsi2sk: '<nextAttemptAt>#<webhookId>#<eventId>',
    // Once delivered or dead-lettered.
    expires: true,
    accessPatterns: [
      'create a delivery once per (event, webhook) with one conditional write',
      "a webhook's deliveries newest first, by status (listWebhookDeliveries)",
      'pending deliveries that are due (sweeper)',
    ],
  },
} as const satisfies Record<string, EntityDefinition>;
