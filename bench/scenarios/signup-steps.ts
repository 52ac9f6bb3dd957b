import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Runtime } from '../../shared/runtime';
import { median, round } from '../measure';

/**
 * Where a signup's time to its confirmation email goes, step by step, from the SDK calls the process makes
 * (a middleware on the runtime's DynamoDB client, which the document client shares, and on its sending SES
 * client): no timer in the code under test. For a new address the stream half makes one round of reads
 * side by side, one transaction, then `SendEmail` (shared/consent/signup-processing.ts); what it does after
 * SES answered (the message marked sent, the request deleted) the email does not wait for.
 */

interface Call {
  operation: string;
  sent: number;
  answered: number;
  /** Items the request names: keys of a read, items of a transaction. */
  items: number;
}

/** What the stream work of one signup sent: the items its reads named and its transaction's items. */
export interface SignupShape {
  readRequests: number;
  readItems: number;
  transactionItems: number;
}

/** Items a request names (keys read, transaction items); 1 for any other request. */
function itemsNamed(operation: string, input: Record<string, unknown>): number {
  if (operation === 'TransactWriteItems') return (input.TransactItems as unknown[] | undefined)?.length ?? 0;
  if (operation === 'BatchGetItem') {
    const tables = Object.values((input.RequestItems ?? {}) as Record<string, { Keys?: unknown[] }>);
    return tables.reduce((sum, table) => sum + (table.Keys?.length ?? 0), 0);
  }
  return 1;
}

/** Milestones of one sample, in ms from the request. */
export interface SignupSteps {
  answered: number;
  readsSent: number;
  readsAnswered: number;
  transactionSent: number;
  transactionAnswered: number;
  sesSent: number;
  sesAnswered: number;
  emailSeen: number;
}

const MILESTONES: [keyof SignupSteps, string][] = [
  ['answered', 'request answered (its PutItem)'],
  ['readsSent', 'stream work began (first read sent)'],
  ['readsAnswered', 'reads answered'],
  ['transactionSent', 'transaction sent'],
  ['transactionAnswered', 'transaction answered'],
  ['sesSent', 'SendEmail sent'],
  ['sesAnswered', 'SendEmail answered'],
  ['emailSeen', 'email seen in the emulator'],
];

/** The requests the stream work reads with before its transaction (any of them, whatever the code's choice). */
const READS = new Set(['GetItem', 'Query', 'BatchGetItem']);

export function signupStepRecorder(runtime: Runtime) {
  let calls: Call[] | undefined;
  let started = 0;
  const tap = (client: DynamoDBClient, name: string) => {
    const stack = client.middlewareStack as unknown as DynamoDBClient['middlewareStack'];
    stack.add(
      (next, context) => async (args) => {
        if (calls === undefined) return next(args);
        const operation = String(context.commandName ?? '').replace(/Command$/, '');
        const call = {
          operation,
          sent: performance.now() - started,
          answered: Number.NaN,
          items: itemsNamed(operation, args.input as Record<string, unknown>),
        };
        calls.push(call);
        try {
          return await next(args);
        } finally {
          call.answered = performance.now() - started;
        }
      },
      { step: 'initialize', name, override: true },
    );
  };
  tap(runtime.clients.dynamoDb, 'benchSignupSteps');
  tap(runtime.clients.sesSend as unknown as DynamoDBClient, 'benchSignupSteps');
  const samples: SignupSteps[] = [];
  let shape: SignupShape | undefined;
  return {
    /** The requests of the last complete sample's stream work (undefined before the first). */
    lastShape: () => shape,
    /** Records the calls made from now on; `started` is the request's start (performance.now()). */
    begin(at: number) {
      started = at;
      calls = [];
    },
    /** Ends the sample: its milestones, or none when a step is missing (e.g. the address was not new). */
    end(answeredAt: number, seenAt: number) {
      const made = calls ?? [];
      calls = undefined;
      const transaction = made.find((call) => call.operation === 'TransactWriteItems');
      const ses = made.find((call) => call.operation === 'SendEmail');
      const answered = answeredAt - started;
      const reads = made.filter(
        (call) =>
          READS.has(call.operation) &&
          call.sent >= answered &&
          call.sent < (transaction?.sent ?? Number.POSITIVE_INFINITY),
      );
      if (transaction === undefined || ses === undefined || reads.length === 0) return;
      shape = {
        readRequests: reads.length,
        readItems: reads.reduce((sum, call) => sum + call.items, 0),
        transactionItems: transaction.items,
      };
      samples.push({
        answered,
        readsSent: Math.min(...reads.map((call) => call.sent)),
        readsAnswered: Math.max(...reads.map((call) => call.answered)),
        transactionSent: transaction.sent,
        transactionAnswered: transaction.answered,
        sesSent: ses.sent,
        sesAnswered: ses.answered,
        emailSeen: seenAt - started,
      });
    },
    /** Median of each step (the time since the milestone before), by the milestone it ends at. */
    stepMedians(): Record<keyof SignupSteps, number> {
      return Object.fromEntries(
        MILESTONES.map(([key]) => [
          key,
          round(median(samples.map((sample) => sample[key] - before(sample, key))), 1),
        ]),
      ) as Record<keyof SignupSteps, number>;
    },
    /** Median of each milestone over the samples, and of the step before it. */
    table() {
      const rows = MILESTONES.map(([key, label]) => [
        label,
        round(median(samples.map((sample) => sample[key])), 1),
        round(median(samples.map((sample) => sample[key] - before(sample, key))), 1),
      ]);
      return {
        title: `Signup → email step by step (medians over ${samples.length} signups, ms)`,
        columns: ['Milestone', 'from the request', 'since the milestone before'],
        rows,
      };
    },
    samples,
  };
}

/** The milestone before `key` in this sample (0, the request, for the first). */
function before(sample: SignupSteps, key: keyof SignupSteps): number {
  const previous = MILESTONES[MILESTONES.findIndex(([name]) => name === key) - 1];
  return previous === undefined ? 0 : sample[previous[0]];
}
