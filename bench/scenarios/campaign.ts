import { mkdir, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import type { SESv2Client } from '@aws-sdk/client-sesv2';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { startCampaignRunner } from '../../functions/local/campaign-runner';
import { createAwsClients, createCampaignSesClient } from '../../shared/aws-clients';
import { startCampaign } from '../../shared/campaigns/campaign-lifecycle';
import { campaignProgress } from '../../shared/campaigns/campaign-progress';
import { type CampaignContent, createCampaign, getCampaign } from '../../shared/campaigns/campaigns';
import { sendTaskSize } from '../../shared/campaigns/planning-task';
import { chunkSizeFor } from '../../shared/campaigns/send-rate';
import { SUBSCRIBER_SHARDS } from '../../shared/data-model';
import { dueCampaignWork } from '../../shared/due-work';
import { createLogger } from '../../shared/log';
import type { Runtime } from '../../shared/runtime';
import { queryAllItems, type TableAccess } from '../../shared/table-access';
import type { BenchStack } from '../local-stack';
import {
  countRequests,
  describeMemory,
  logCollector,
  machineCpuTimes,
  mebibytes,
  round,
  sampleRss,
  sleep,
} from '../measure';
import type { Scenario } from '../scenario';
import { accessOf, givenBenchList, seedConfirmedSubscribers } from '../seed';
import { clearEmulator, countEmulatorEmails } from '../ses-emulator';
import { startBaselineProcess } from './baseline-process';
import { type CampaignRun, summariseCampaign } from './campaign-summary';
import type { BulkTemplate, RawBulkRun } from './raw-bulk-send';

/**
 * Campaign send: the fan-out (planning tasks → send batches on the table's stream → one claim per chunk,
 * one SendBulkEmail per 50 recipients, one record per recipient) against the raw rate at which the same SES emulator accepts SendBulkEmail, in
 * the same run. Also the bench process's memory while it sends, and DynamoDB requests per recipient.
 */

const LIST_ID = 'bench-news';
/** Far above anything reachable here, so the shared GCRA limiter never makes anyone wait. */
const MAX_SEND_RATE = 100_000;
const RUNNER_OPTIONS = { concurrency: 16, sweepIntervalMs: 1000, taskBudgetMs: 120_000 };
const WARM_UP_CALLS = 20;
const POLL_MS = 100;
/** A run fails when no recipient settles for this long. */
const STALL_MS = 2 * 60_000;

const BODY_HTML = [
  '<h1>Hello {{firstName|there}}</h1>',
  '<p>Here is what happened this month: three new features, one fixed bug that bothered many of you, and ',
  'an invitation to our spring meetup. Read on for the details, or skip straight to the part you care ',
  'about.</p>',
  '<h2>New this month</h2>',
  '<ul><li>Faster exports, now in the background</li><li>Shared folders</li><li>Dark mode</li></ul>',
  '<p>Thank you for reading, {{firstName|there}}.</p>',
].join('');

/** The same body for the baseline as SES template placeholders, with a footer like the one the worker adds. */
const BULK_TEMPLATE: BulkTemplate = {
  Subject: 'News for {{name}}',
  Html:
    `${BODY_HTML.replaceAll('{{firstName|there}}', '{{name}}')}<hr><p>Example Co Ltd, 1 Example Street, ` +
    'Springfield, OR 97403, USA. <a href="{{unsubscribeUrl}}">Unsubscribe</a></p>',
  Text: 'Hello {{name}}\n\nHere is what happened this month.\n\nUnsubscribe: {{unsubscribeUrl}}',
};

export const campaignContent: CampaignContent = {
  name: 'Benchmark campaign',
  kind: 'marketing',
  audience: { type: 'list', listId: LIST_ID },
  subject: 'News for {{firstName|there}}',
  html: BODY_HTML,
  text: null,
  tracking: true,
  advertisement: false,
  category: null,
  policyEffectiveDate: null,
  promotionalOverride: null,
};

// ------------------------------------------------------------------------------- ours: the campaign

/**
 * With BENCH_CAMPAIGN_CPU_PROFILE=<directory>, a V8 CPU profile of this process from the campaign's start to
 * its completion, one `.cpuprofile` file per run (open in Chrome DevTools or speedscope). Off by default:
 * the profiler's sampling costs CPU the run would count.
 */
async function campaignCpuProfile(campaignId: string) {
  const directory = process.env.BENCH_CAMPAIGN_CPU_PROFILE;
  if (directory === undefined || directory === '')
    return { stop: async (_log: (line: string) => void) => {} };
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 1000 });
  await session.post('Profiler.start');
  return {
    async stop(log: (line: string) => void) {
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      await mkdir(directory, { recursive: true });
      const file = join(directory, `campaign-${campaignId}.cpuprofile`);
      await writeFile(file, JSON.stringify(profile));
      log(`  CPU profile of the campaign: ${file}`);
    },
  };
}

async function measureCampaign(
  runtime: Runtime,
  sesEndpoint: string,
  observer: TableAccess,
  workerSes: SESv2Client,
  counters: { dynamoDb: ReturnType<typeof countRequests>; ses: ReturnType<typeof countRequests> },
  workerLogger: ReturnType<typeof logCollector>,
  log: (line: string) => void,
  /** Recipients without exactly one email in the emulator, counted outside this process. */
  notExactlyOnceCount: () => Promise<number>,
): Promise<CampaignRun> {
  const access = accessOf(runtime);
  const { campaignId } = await createCampaign(access, campaignContent, { now: new Date() });
  // The worker runs in this process, with a logger the bench reads (warnings included).
  const runner = await startCampaignRunner(
    {
      ...runtime,
      logger: createLogger({ level: 'warn', service: 'campaign-worker', write: workerLogger.write }),
    },
    { ...RUNNER_OPTIONS, ses: workerSes },
  );
  let rss: ReturnType<typeof sampleRss> | undefined;
  try {
    await clearEmulator(sesEndpoint);
    const idleRss = process.memoryUsage.rss();
    counters.dynamoDb.take();
    counters.ses.take();
    rss = sampleRss(50);
    const profile = await campaignCpuProfile(campaignId);
    const cpuBefore = process.cpuUsage();
    const machineBefore = machineCpuTimes();
    const wallBefore = performance.now();
    await startCampaign(access, campaignId, new Date());

    // No absolute time limit (a slow machine is slow), but a run that stops making progress fails.
    let lastSettled = -1;
    let lastChange = Date.now();
    let nextCheck = Date.now() + 5000;
    let campaign = await getCampaign(observer, campaignId);
    while (campaign.status !== 'completed') {
      if (Date.now() >= nextCheck || campaign.status === 'cancelled' || campaign.status === 'paused') {
        const progress = await campaignProgress(observer, campaign, new Date());
        const settled = progress.sent + progress.skippedTotal + progress.failed + progress.uncertain;
        if (settled !== lastSettled) {
          lastSettled = settled;
          lastChange = Date.now();
        }
        if (
          Date.now() - lastChange > STALL_MS ||
          campaign.status === 'cancelled' ||
          campaign.status === 'paused'
        ) {
          throw new Error(
            `campaign ${campaignId} stalled (status ${campaign.status}, nothing settled for ${
              STALL_MS / 1000
            } s): ${JSON.stringify({ campaign, progress, unfinished: await unfinishedTasks(observer) })}`,
          );
        }
        log(
          `  … planned ${progress.total}, sent ${progress.sent}, remaining ${progress.remaining}, ${progress.rate} emails/s`,
        );
        nextCheck = Date.now() + 15_000;
      }
      await sleep(POLL_MS);
      campaign = await getCampaign(observer, campaignId);
    }
    const { peak: peakRss, atPeak } = rss.stop();
    await profile.stop(log);
    const wallMs = performance.now() - wallBefore;
    const cpu = process.cpuUsage(cpuBefore);
    const machineAfter = machineCpuTimes();
    const dynamoDb = counters.dynamoDb.take();
    const ses = counters.ses.take();
    const progress = await campaignProgress(observer, campaign, new Date());
    const seconds = (Date.parse(campaign.completedAt ?? '') - Date.parse(campaign.startedAt ?? '')) / 1000;
    const busy = machineAfter.busy - machineBefore.busy;
    const emailsInEmulator = await countEmulatorEmails(sesEndpoint);
    const notExactlyOnce = await notExactlyOnceCount();
    return {
      campaignId,
      recipients: campaign.planned,
      sent: progress.sent,
      skipped: progress.skipped,
      failed: progress.failed,
      uncertain: progress.uncertain,
      seconds,
      emailsPerSecond: progress.sent / seconds,
      idleRss,
      peakRss,
      atPeak,
      benchProcessCores: (cpu.user + cpu.system) / 1000 / wallMs,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      machineBusy: busy / (busy + machineAfter.idle - machineBefore.idle),
      dynamoDb,
      ses,
      emailsInEmulator,
      notExactlyOnce,
    };
  } finally {
    rss?.stop();
    await runner.stop();
  }
}

/** A stalled run's unfinished tasks as the work index lists them, to say what the worker waits for. */
async function unfinishedTasks(access: TableAccess) {
  const items = queryAllItems(access, dueCampaignWork('9999'));
  const tasks: Record<string, unknown>[] = [];
  for await (const item of items) {
    const { Item } = await access.documents.send(
      new GetCommand({
        TableName: access.tableName,
        Key: { pk: item.pk, sk: item.sk },
        ConsistentRead: true,
      }),
    );
    const { recipients, cursor, ...rest } = Item ?? {};
    tasks.push({ ...rest, recipients: Array.isArray(recipients) ? recipients.length : undefined });
  }
  return tasks.map(({ taskId, kind, status, attempts, nextIndex, recipients, claim, gsi2sk, leaseId }) => ({
    taskId,
    kind,
    status,
    attempts,
    nextIndex,
    recipients,
    claim,
    wake: gsi2sk,
    leased: leaseId !== undefined,
  }));
}

// --------------------------------------------------------------------------------------------- scenario

/**
 * Recipients per chunk of the worker here: planning makes one send task of each subscriber shard's page
 * (16 shards, so about a sixteenth of the list each), and at this rate a chunk is the whole task.
 */
function workerChunkSize(recipients: number): number {
  return Math.min(sendTaskSize(chunkSizeFor(MAX_SEND_RATE)), Math.ceil(recipients / SUBSCRIBER_SHARDS));
}

export function campaignScenario(options: { recipients?: number; runs?: number } = {}): Scenario {
  const recipients = options.recipients ?? 10_000;
  const runs = options.runs ?? 3;
  const name = `campaign send (${recipients >= 1000 ? `${recipients / 1000}k` : recipients} recipients)`;
  return {
    name,
    async run(stack: BenchStack, log) {
      const runtime = await stack.newRuntime({
        CAMPAIGN_MAX_SEND_RATE: String(MAX_SEND_RATE),
        // The worker's recipient bound can be set for a run (to measure its effect); its default otherwise.
        ...(process.env.CAMPAIGN_RECIPIENTS_IN_FLIGHT
          ? { CAMPAIGN_RECIPIENTS_IN_FLIGHT: process.env.CAMPAIGN_RECIPIENTS_IN_FLIGHT }
          : {}),
      });
      const observerClients = createAwsClients(runtime.config);
      const observer = { documents: observerClients.documents, tableName: runtime.config.tableName };
      // The worker's own SES client, built as campaignWorkerDependencies builds it (no SDK retries), but
      // handed in so its requests can be counted.
      const workerSes = createCampaignSesClient(runtime.config);
      const counters = {
        dynamoDb: countRequests(runtime.clients.dynamoDb),
        ses: countRequests(workerSes),
      };
      const workerLogger = logCollector(log, '  worker logged ');
      try {
        const seedStarted = performance.now();
        await givenBenchList(runtime, LIST_ID);
        const subscribers = await seedConfirmedSubscribers(runtime, LIST_ID, recipients);
        const seedSeconds = (performance.now() - seedStarted) / 1000;
        log(`  seeded ${recipients} confirmed subscribers in ${round(seedSeconds, 1)} s`);

        const chunkSize = workerChunkSize(recipients);
        // The baselines run in a process of their own, so they do not grow the memory measured here.
        const baselines = await startBaselineProcess({
          dynamoDbEndpoint: stack.dynamoDbEndpoint,
          sesEndpoint: stack.sesEndpoint,
          tableName: runtime.config.tableName,
          template: BULK_TEMPLATE,
          subscribers,
          total: recipients,
          warmUpCalls: WARM_UP_CALLS,
          reads: { listId: LIST_ID, chunkSize },
        });

        // Baseline and campaign alternate, each against an emptied emulator.
        const rawRuns: RawBulkRun[] = [];
        const floorRuns: RawBulkRun[] = [];
        const floorReadsRuns: RawBulkRun[] = [];
        const singleRuns: RawBulkRun[] = [];
        const campaignRuns: CampaignRun[] = [];
        try {
          for (let run = 1; run <= runs; run++) {
            await clearEmulator(stack.sesEndpoint);
            const raw = await baselines.measure('raw-bulk');
            rawRuns.push(raw);
            log(`  run ${run}/${runs}: raw SendBulkEmail ${round(raw.emailsPerSecond, 0)} emails/s`);
            await clearEmulator(stack.sesEndpoint);
            const floor = await baselines.measure('floor');
            floorRuns.push(floor);
            log(`  run ${run}/${runs}: exactly-once floor ${round(floor.emailsPerSecond, 0)} emails/s`);
            await clearEmulator(stack.sesEndpoint);
            const floorReads = await baselines.measure('floor-reads');
            floorReadsRuns.push(floorReads);
            log(
              `  run ${run}/${runs}: the floor with the consent reads ${round(floorReads.emailsPerSecond, 0)} emails/s`,
            );
            await clearEmulator(stack.sesEndpoint);
            const single = await baselines.measure('raw-single');
            singleRuns.push(single);
            log(`  run ${run}/${runs}: raw SendEmail ${round(single.emailsPerSecond, 0)} emails/s`);
            const campaign = await measureCampaign(
              runtime,
              stack.sesEndpoint,
              observer,
              workerSes,
              counters,
              workerLogger,
              log,
              () => baselines.notExactlyOnce(),
            );
            campaignRuns.push(campaign);
            log(
              `  run ${run}/${runs}: campaign ${round(campaign.emailsPerSecond, 0)} emails/s ` +
                `(${campaign.sent} sent in ${round(campaign.seconds, 1)} s), RSS ${mebibytes(
                  campaign.idleRss,
                )} → ${mebibytes(campaign.peakRss)} MiB (at the peak: ${describeMemory(campaign.atPeak)})`,
            );
          }
        } finally {
          await baselines.stop();
        }
        return summariseCampaign(
          name,
          {
            recipients,
            seedSeconds,
            maxSendRate: MAX_SEND_RATE,
            recipientsInFlight: runtime.config.campaignRecipientsInFlight,
            runner: RUNNER_OPTIONS,
            warmUpCalls: WARM_UP_CALLS,
            chunkSize,
          },
          rawRuns,
          singleRuns,
          campaignRuns,
          { floor: floorRuns, withReads: floorReadsRuns },
          workerLogger,
        );
      } finally {
        counters.dynamoDb.remove();
        counters.ses.remove();
        observerClients.dynamoDb.destroy();
        observerClients.ses.destroy();
        observerClients.sesSend.destroy();
        workerSes.destroy();
      }
    },
  };
}
