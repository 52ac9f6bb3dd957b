import { randomUUID } from 'node:crypto';
import { startCampaignRunner } from '../../functions/local/campaign-runner';
import { createPublicApp } from '../../functions/public-api/app';
import { unsubscribeLinks } from '../../shared/email/unsubscribe-links';
import { createConsentText } from '../../shared/lists/consent-texts';
import type { Runtime } from '../../shared/runtime';
import { createTokenSigner } from '../../shared/tokens';
import { givenSuppression } from '../../test/support/consent-fixtures';
import { withOwnClients } from '../../test/support/own-clients';
import { untilRequestsProcessed } from '../../test/support/request-drain';
import { addCounts, countRequests, median, type RequestCounts, round, sleep } from '../measure';
import type { ResultRow } from '../report';
import type { Scenario } from '../scenario';
import { accessOf, givenBenchList, seedConfirmedSubscribers } from '../seed';
import { countEmulatorEmails } from '../ses-emulator';

/**
 * Whether a signup's answer time tells anything about the address: the same `POST /v1/subscribe` for
 * addresses that are new, pending confirmation, confirmed, unsubscribed and suppressed, each state in
 * turn and all of them interleaved, through the real public app with the in-process stream runner on.
 * Every address is signed up once, so no request changes the state the next one is measured in.
 */

const LIST_ID = 'bench-states';
const PER_STATE = 60;
const STATES = ['new', 'pending', 'confirmed', 'unsubscribed', 'suppressed'] as const;
type AddressState = (typeof STATES)[number];
const SPREAD_TARGET = 1.1;

type App = ReturnType<typeof createPublicApp>;

const signup = (app: App, email: string) =>
  app.request('http://localhost/v1/subscribe', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, lists: [LIST_ID] }),
  });

/** `count` addresses in `state`, made through the public app where a person would make them so. */
async function addressesIn(
  state: AddressState,
  count: number,
  context: { runtime: Runtime; app: App; runId: string; sesEndpoint: string },
): Promise<string[]> {
  const { runtime, app, runId } = context;
  const fresh = (i: number) => `${state}-${runId}-${i}@example.org`;
  if (state === 'new') return Array.from({ length: count }, (_, i) => fresh(i));
  if (state === 'pending') {
    const emails = Array.from({ length: count }, (_, i) => fresh(i));
    const before = await countEmulatorEmails(context.sesEndpoint);
    for (const email of emails) await signup(app, email);
    // Pending once its confirmation email went out, whether the request or the stream sent it.
    const deadline = Date.now() + 60_000;
    while ((await countEmulatorEmails(context.sesEndpoint)) < before + count) {
      if (Date.now() > deadline) throw new Error('the pending signups were not all processed in 60 s');
      await sleep(100);
    }
    return emails;
  }
  if (state === 'suppressed') {
    const emails = Array.from({ length: count }, (_, i) => fresh(i));
    for (const email of emails) await givenSuppression(runtime, email, 'hard-bounce');
    return emails;
  }
  const subscribers = await seedConfirmedSubscribers(runtime, LIST_ID, count, { label: `${state}-${runId}` });
  if (state === 'unsubscribed') {
    const tokens = createTokenSigner(runtime.config.signingKeys);
    for (const { contactId } of subscribers) {
      const { oneClickUrl } = unsubscribeLinks(
        {
          baseUrl: runtime.config.baseUrl,
          unsubscribeMailbox: runtime.config.sender.unsubscribeMailbox,
          tokens,
        },
        { contactId, listId: LIST_ID },
      );
      const response = await app.request(oneClickUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'List-Unsubscribe=One-Click',
      });
      if (response.status !== 200) throw new Error(`one-click answered ${response.status}`);
    }
  }
  return subscribers.map((subscriber) => subscriber.email);
}

/**
 * Milliseconds of each signup, one after another. After each, untimed, the stream processes it: on AWS
 * that work runs in another function, but here it shares this process, and a signup timed while the
 * previous one's confirmation email is being sent would measure that email, not its own request.
 */
async function timeSignups(
  runtime: Runtime,
  app: App,
  emails: string[],
  counted?: { take(): RequestCounts; requests: RequestCounts[] },
): Promise<number[]> {
  const times: number[] = [];
  for (const email of emails) {
    counted?.take();
    const started = performance.now();
    const response = await signup(app, email);
    await response.arrayBuffer();
    times.push(performance.now() - started);
    counted?.requests.push(counted.take());
    if (response.status !== 202) throw new Error(`signup answered ${response.status}`);
    await untilRequestsProcessed(runtime, 60_000);
  }
  return times;
}

/**
 * The DynamoDB requests one signup of a state made in its request, per signup, to the nearest whole
 * request ("PutItem 1"): the rare reads that refresh the process's cache of lists and wording (a few in a
 * hundred signups, whichever state comes along) round away.
 */
function requestsPerSignup(requests: RequestCounts[]): string {
  const total: RequestCounts = {};
  for (const counts of requests) addCounts(total, counts);
  const made = Object.entries(total)
    .map(
      ([operation, count]) => [operation, Math.round(count.requests / Math.max(1, requests.length))] as const,
    )
    .filter(([, perSignup]) => perSignup > 0)
    .map(([operation, perSignup]) => `${operation} ${perSignup}`)
    .sort();
  return made.length === 0 ? 'none' : made.join(', ');
}

/** Why the medians differ: whether the requests each state made differ, or only the machine's noise. */
function whySpread(spread: number, madeByState: string[]): string {
  const same = new Set(madeByState).size === 1;
  const made = same
    ? `The request made the same DynamoDB requests for every state (${madeByState[0]} per signup, ` +
      'counted on the app’s own client, the stream’s work apart, cache refreshes rounded away), so its time does not depend on the ' +
      'address: the spread is this machine’s noise between interleaved samples (see the load average above).'
    : `The request made different DynamoDB requests by state (${STATES.map((state, i) => `${state}: ${madeByState[i]}`).join('; ')}), ` +
      'so its time tells a caller something about the address.';
  return `**Answer time by state (${spread} × between the slowest and the fastest median).** ${made}`;
}

export function signupStatesScenario(options: { runs?: number } = {}): Scenario {
  const perState = options.runs === undefined ? PER_STATE : Math.max(5, options.runs * 5);
  const name = 'signup by address state';
  return {
    name,
    async run(stack, log) {
      const runtime = await stack.newRuntime({
        SIGNUP_LIMIT_PER_IP_PER_HOUR: '100000',
        SIGNUP_LIMIT_PER_ADDRESS_PER_HOUR: '1000',
        CONFIRMATION_EMAILS_PER_ADDRESS_PER_DAY: '100',
      });
      await givenBenchList(runtime, LIST_ID);
      await createConsentText(accessOf(runtime), {
        listId: LIST_ID,
        locale: 'en',
        text: 'Yes, send me news.',
      });
      // The app's own SDK clients: what a request makes is counted apart from the stream's work.
      const appRuntime = withOwnClients(runtime);
      const counter = countRequests(appRuntime.clients.dynamoDb);
      const app = createPublicApp({ ...appRuntime, docsAssetBaseUrl: '/docs/assets' });
      const runner = await startCampaignRunner(runtime);
      try {
        const runId = randomUUID().slice(0, 8);
        const context = { runtime, app, runId, sesEndpoint: stack.sesEndpoint };
        // Twice as many of each: half measured state by state, half interleaved.
        const pools = new Map<AddressState, string[]>();
        for (const state of STATES) pools.set(state, await addressesIn(state, 2 * perState, context));
        await timeSignups(runtime, app, [`warm-up-${runId}@example.org`]);
        const byState = new Map<AddressState, number[]>();
        for (const state of STATES)
          byState.set(state, await timeSignups(runtime, app, (pools.get(state) ?? []).slice(0, perState)));
        const interleaved: string[] = [];
        for (let i = perState; i < 2 * perState; i++)
          for (const state of STATES) interleaved.push(pools.get(state)?.[i] ?? '');
        const counted = { take: () => counter.take(), requests: [] as RequestCounts[] };
        const mixed = await timeSignups(runtime, app, interleaved, counted);
        const madeByState = STATES.map((_, i) =>
          requestsPerSignup(counted.requests.filter((_, j) => j % STATES.length === i)),
        );
        // Judged on the interleaved run, where a drift of the machine over time falls on every state alike.
        const mixedByState = STATES.map((_, i) => mixed.filter((_, j) => j % STATES.length === i));
        const medians = mixedByState.map((times) => round(median(times), 2));
        const blockMedians = STATES.map((state) => round(median(byState.get(state) ?? []), 2));
        const spread = round(Math.max(...medians) / Math.min(...medians), 2);
        log(
          `  interleaved medians (ms): ${STATES.map((s, i) => `${s} ${medians[i]}`).join(', ')}; ` +
            `state by state: ${STATES.map((s, i) => `${s} ${blockMedians[i]}`).join(', ')}; ` +
            `requests per signup: ${STATES.map((s, i) => `${s} ${madeByState[i]}`).join('; ')}`,
        );
        const rows: ResultRow[] = [
          {
            scenario: name,
            measure:
              'slowest / fastest median answer time across new, pending, confirmed, unsubscribed, suppressed (interleaved)',
            ours: Math.max(...medians),
            baseline: Math.min(...medians),
            unit: 'ms',
            ratio: spread,
            target: `ratio ≤ ${SPREAD_TARGET}`,
            pass: spread <= SPREAD_TARGET,
          },
        ];
        return {
          scenario: name,
          rows,
          notes: [
            `${perState} signups per state, one after another through the real public app (\`app.request\`, ` +
              'in this process, with the in-process stream runner on the same table), then as many again ' +
              'with the states interleaved; each signup is processed by the stream, untimed, before the next ' +
              'one starts (on AWS that work runs in another function). The target is judged on the ' +
              'interleaved run. New addresses are fresh; pending ones were signed up before and ' +
              'their confirmation email sent; confirmed ones are seeded subscribers; unsubscribed ones are ' +
              'seeded subscribers who then unsubscribed by one-click; suppressed ones are on the suppression ' +
              'list (a hard bounce). Per-address limits are raised so that none refuses.',
          ],
          why: spread > SPREAD_TARGET ? [whySpread(spread, madeByState)] : [],
          tables: [
            {
              title: 'Answer time by address state (ms)',
              columns: ['State', 'Median (interleaved)', 'Median (state by state)', 'Min', 'Max'],
              rows: [
                ...STATES.map((state, i) => {
                  const times = mixedByState[i] ?? [];
                  return [
                    state,
                    medians[i] ?? 0,
                    blockMedians[i] ?? 0,
                    round(Math.min(...times), 2),
                    round(Math.max(...times), 2),
                  ];
                }),
                [
                  'all, interleaved',
                  round(median(mixed), 2),
                  '',
                  round(Math.min(...mixed), 2),
                  round(Math.max(...mixed), 2),
                ],
              ],
            },
          ],
          data: { perState, byState: Object.fromEntries(byState), interleaved: mixed },
        };
      } finally {
        await runner.stop();
      }
    },
  };
}
