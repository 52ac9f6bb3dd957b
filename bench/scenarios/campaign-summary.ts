import os from 'node:os';
import {
  addCounts,
  type logCollector,
  type MemoryAtPeak,
  mebibytes,
  median,
  type RequestCount,
  type RequestCounts,
  readOperations,
  round,
  summariseDynamoDb,
  writeOperations,
} from '../measure';
import type { ResultRow, ResultTable, ScenarioResult } from '../report';
import {
  floorWithReads,
  floorWithReadsCpuWhy,
  floorWithReadsNote,
  floorWithReadsRateWhy,
  floorWithReadsRows,
} from './floor-reads-summary';
import { BULK_LOOPS, BULK_SIZE, type RawBulkRun, SINGLE_LOOPS } from './raw-bulk-send';

/** Turns the campaign scenario's runs into rows, notes, tables and the "why" of each missed target. */

export interface CampaignSetup {
  recipients: number;
  seedSeconds: number;
  maxSendRate: number;
  /** The worker's CAMPAIGN_RECIPIENTS_IN_FLIGHT: recipients the process holds in chunks at once. */
  recipientsInFlight: number;
  runner: { concurrency: number; sweepIntervalMs: number; taskBudgetMs: number };
  warmUpCalls: number;
  /** Recipients per chunk of the worker here, as the floor with the consent reads reads them. */
  chunkSize: number;
}

export interface CampaignRun {
  campaignId: string;
  recipients: number;
  sent: number;
  skipped: Record<string, number>;
  failed: number;
  uncertain: number;
  seconds: number;
  emailsPerSecond: number;
  idleRss: number;
  peakRss: number;
  /** What the process's memory was made of at the peak sample. */
  atPeak: MemoryAtPeak;
  /** CPU time of this process (worker included) over wall time; 1 = one core busy. */
  benchProcessCores: number;
  /** CPU seconds of this process (worker included) from the start to the completion of the campaign. */
  cpuSeconds: number;
  /** Share of all the machine's CPUs that were busy (DynamoDB Local, the emulator and us). */
  machineBusy: number;
  dynamoDb: RequestCounts;
  ses: RequestCounts;
  /** Emails the emulator received during the run: more than `sent` would mean a recipient got two. */
  emailsInEmulator: number;
  /** Recipients the emulator does not hold exactly one email for, checked per address. */
  notExactlyOnce: number;
}

const kindOf = (operation: string) =>
  readOperations.includes(operation) ? 'read' : writeOperations.includes(operation) ? 'write' : 'other';

/** Whether the emulator received exactly the emails the worker counted, and what failed on the way. */
function deliveryNote(runs: CampaignRun[]): string {
  const total = (field: 'sent' | 'emailsInEmulator' | 'uncertain' | 'failed') =>
    runs.reduce((sum, run) => sum + run[field], 0);
  const sent = total('sent');
  const received = total('emailsInEmulator');
  const uncertain = total('uncertain');
  const failed = total('failed');
  const sesErrors: Record<string, number> = {};
  for (const run of runs) {
    for (const count of Object.values(run.ses)) {
      for (const [name, n] of Object.entries(count.errors)) sesErrors[name] = (sesErrors[name] ?? 0) + n;
    }
  }
  const errors = Object.entries(sesErrors)
    .map(([name, n]) => `${n} × ${name}`)
    .join(', ');
  const verdict =
    received === sent
      ? 'exactly the emails counted as sent reached the emulator, none twice'
      : received > sent
        ? `the emulator received ${received - sent} more emails than were counted as sent (recipients ` +
          'left `uncertain` whose request did reach it, or duplicates)'
        : `the emulator received ${sent - received} fewer emails than were counted as sent`;
  const failures =
    errors === ''
      ? 'No SES request failed.'
      : `SES requests that failed: ${errors}. The worker's SES client makes a single attempt (no SDK ` +
        `retries), so such recipients end \`uncertain\` or \`failed\` and are not resent: ${uncertain} ` +
        `uncertain and ${failed} failed over the runs${
          received === sent && uncertain > 0 ? ', and none of the uncertain ones reached the emulator' : ''
        }.`;
  return (
    `**Delivery.** The worker counted ${sent.toLocaleString('en-US')} sent and the emulator received ` +
    `${received.toLocaleString('en-US')} emails over the runs: ${verdict}. ${failures}`
  );
}

export function summariseCampaign(
  scenario: string,
  setup: CampaignSetup,
  rawRuns: RawBulkRun[],
  singleRuns: RawBulkRun[],
  campaignRuns: CampaignRun[],
  floors: { floor: RawBulkRun[]; withReads: RawBulkRun[] },
  workerLogger: ReturnType<typeof logCollector>,
): Omit<ScenarioResult, 'durationMs'> {
  const floorRuns = floors.floor;
  const { recipients, seedSeconds, maxSendRate, runner, warmUpCalls, recipientsInFlight } = setup;
  const rawRate = median(rawRuns.map((run) => run.emailsPerSecond));
  const singleRate = median(singleRuns.map((run) => run.emailsPerSecond));
  const campaignRate = median(campaignRuns.map((run) => run.emailsPerSecond));
  // Idle is the process before its first campaign: afterwards it keeps the memory it grew into, so a later
  // "idle" would flatter the ratio.
  const idle = (campaignRuns[0] as CampaignRun).idleRss;
  const peak = median(campaignRuns.map((run) => run.peakRss));
  const rateRatio = campaignRate / rawRate;
  const memoryRatio = peak / idle;

  const dynamoDb: RequestCounts = {};
  const ses: RequestCounts = {};
  for (const run of campaignRuns) {
    addCounts(dynamoDb, run.dynamoDb);
    addCounts(ses, run.ses);
  }
  const planned = campaignRuns.reduce((sum, run) => sum + run.recipients, 0);
  const perRecipient = (value: number) => value / planned;
  const totals = summariseDynamoDb(dynamoDb);
  const readsPerRecipient = perRecipient(totals.readRequests);
  const writesPerRecipient = perRecipient(totals.writtenItems);
  const writeRequestsPerRecipient = perRecipient(totals.writeRequests);
  const writesBatched = totals.writeRequests < totals.writtenItems;

  const floorRate = median(floorRuns.map((run) => run.emailsPerSecond));
  const floorRatio = campaignRate / floorRate;
  const sesRequestsPerRecipient = perRecipient(
    Object.values(ses).reduce((sum, count) => sum + count.requests, 0),
  );
  const notExactlyOnce = campaignRuns.reduce((sum, run) => sum + run.notExactlyOnce, 0);
  // CPU seconds per 1,000 recipients: the worker (with the bench's polling) against the floor's client.
  const campaignCpu = median(campaignRuns.map((run) => (1000 * run.cpuSeconds) / run.recipients));
  const floorCpu = median(floorRuns.map((run) => (1000 * run.cpuSeconds) / run.emails));
  const cpuRatio = campaignCpu / floorCpu;
  const withReads = floorWithReads(floors.withReads, floorRuns, { rate: floorRate, cpu: floorCpu });
  const rows: ResultRow[] = [
    {
      scenario,
      measure:
        "emails/s, campaign worker vs the exactly-once floor: raw SendBulkEmail (50 a call) plus one batched 1 KB item per email, read back from the stream as the campaign's records are (median of runs)",
      ours: round(campaignRate, 1),
      baseline: round(floorRate, 1),
      unit: 'emails/s',
      ratio: round(floorRatio, 4),
      target: 'ratio ≥ 0.8',
      pass: floorRatio >= 0.8,
    },
    {
      scenario,
      measure: 'SES requests per recipient',
      ours: round(sesRequestsPerRecipient, 4),
      baseline: null,
      unit: 'requests',
      ratio: null,
      target: '≤ 0.03',
      pass: sesRequestsPerRecipient <= 0.03,
    },
    {
      scenario,
      measure: 'DynamoDB write requests per recipient',
      ours: round(writeRequestsPerRecipient, 4),
      baseline: null,
      unit: 'requests',
      ratio: null,
      target: '≤ 0.05',
      pass: writeRequestsPerRecipient <= 0.05,
    },
    {
      scenario,
      measure: 'recipients without exactly one email in the emulator (checked per address, every run)',
      ours: notExactlyOnce,
      baseline: null,
      unit: 'recipients',
      ratio: null,
      target: '0',
      pass: notExactlyOnce === 0,
    },
    {
      scenario,
      measure: 'emails/s, campaign worker vs raw SendBulkEmail (median of runs)',
      ours: round(campaignRate, 1),
      baseline: round(rawRate, 1),
      unit: 'emails/s',
      ratio: round(rateRatio, 4),
      target: 'ratio ≥ 0.3 (stretch)',
      pass: rateRatio >= 0.3,
    },
    {
      scenario,
      measure:
        'emails/s, campaign worker vs raw SendEmail, one call per email (median of runs; for reference)',
      ours: round(campaignRate, 1),
      baseline: round(singleRate, 1),
      unit: 'emails/s',
      ratio: round(campaignRate / singleRate, 4),
      target: '— (no target)',
      pass: null,
    },
    {
      scenario,
      measure: 'peak RSS while sending (median of runs) vs idle RSS before the first campaign',
      ours: mebibytes(peak),
      baseline: mebibytes(idle),
      unit: 'MiB',
      ratio: round(memoryRatio, 3),
      target: 'ratio ≤ 1.5',
      pass: memoryRatio <= 1.5,
    },
    {
      scenario,
      measure:
        'bench process CPU seconds per 1,000 recipients, campaign (worker in this process) vs the exactly-once floor (median of runs)',
      ours: round(campaignCpu, 3),
      baseline: round(floorCpu, 3),
      unit: 's',
      ratio: round(cpuRatio, 3),
      target: 'ratio ≤ 1.5',
      pass: cpuRatio <= 1.5,
    },
    ...floorWithReadsRows(scenario, withReads, { rate: campaignRate, cpu: campaignCpu }),
    {
      scenario,
      measure: 'DynamoDB read requests per recipient (GetItem, Query, BatchGetItem)',
      ours: round(readsPerRecipient, 2),
      baseline: null,
      unit: 'reads',
      ratio: null,
      target: '≤ 1',
      pass: readsPerRecipient <= 1,
    },
    {
      scenario,
      measure: 'DynamoDB items written per recipient (transaction items counted singly)',
      ours: round(writesPerRecipient, 2),
      baseline: null,
      unit: 'writes',
      ratio: null,
      target: '≤ 1.1, batched (fewer requests than items)',
      pass: writesPerRecipient <= 1.1 && writesBatched,
    },
  ];

  const sorted = (counts: RequestCounts) =>
    Object.entries(counts).sort(([, a], [, b]) => b.requests - a.requests);
  const kilobytes = (count: RequestCount) =>
    `${round(perRecipient(count.bytesSent) / 1024, 3)} / ${round(perRecipient(count.bytesReceived) / 1024, 3)}`;
  const failures = (count: RequestCount) =>
    Object.entries(count.errors)
      .map(([name, n]) => `${n} × ${name}`)
      .join('; ') || '—';
  const operationTable: ResultTable = {
    title: `Requests per recipient during the campaign (all ${campaignRuns.length} runs, ${planned.toLocaleString(
      'en-US',
    )} recipients)`,
    columns: [
      'Operation',
      'Kind',
      'Requests / recipient',
      'Items / recipient',
      'Mean time per request (ms, client queueing included)',
      'KB sent / received per recipient',
      'Failed requests',
    ],
    rows: [
      ...sorted(dynamoDb).map(([operation, count]) => [
        `DynamoDB ${operation}`,
        kindOf(operation),
        round(perRecipient(count.requests), 5),
        round(perRecipient(count.items), 5),
        round(count.totalMs / count.requests, 1),
        kilobytes(count),
        failures(count),
      ]),
      ...sorted(ses).map(([operation, count]) => [
        `SES ${operation}`,
        'send',
        round(perRecipient(count.requests), 5),
        round(perRecipient(count.items), 5),
        round(count.totalMs / count.requests, 1),
        kilobytes(count),
        failures(count),
      ]),
    ],
  };
  const targetRows = sorted(dynamoDb).flatMap(([operation, count]) =>
    Object.entries(count.targets)
      .sort(([, a], [, b]) => b - a)
      .map(([target, n]) => [operation, `\`${target}\``, round(perRecipient(n), 5)]),
  );
  const targetTable: ResultTable = {
    title:
      'DynamoDB single-item requests and queries per recipient, by the item (pk and sk head) or index partition addressed',
    columns: ['Operation', 'Item or partition', 'Requests / recipient'],
    rows: targetRows,
  };
  const runTable: ResultTable = {
    title: 'Each run',
    columns: [
      'Run',
      'Raw SendBulkEmail (emails/s)',
      'Raw SendEmail (emails/s)',
      'Exactly-once floor (emails/s)',
      'Floor + consent reads (emails/s)',
      'Campaign (emails/s)',
      'Ratio',
      'Campaign time (s)',
      'Sent',
      'Emails the emulator received',
      'Skipped / failed / uncertain',
      'Idle RSS (MiB)',
      'Peak RSS (MiB)',
      'At the peak: V8 heap used / its size; outside the heap (MiB)',
      'Bench process CPU (cores)',
      'Machine CPU busy (all programs)',
    ],
    rows: campaignRuns.map((run, index) => {
      const raw = rawRuns[index] as RawBulkRun;
      const skipped = Object.values(run.skipped).reduce((sum, count) => sum + count, 0);
      return [
        index + 1,
        round(raw.emailsPerSecond, 0),
        round((singleRuns[index] as RawBulkRun).emailsPerSecond, 0),
        round((floorRuns[index] as RawBulkRun).emailsPerSecond, 0),
        round((withReads.runs[index] as RawBulkRun).emailsPerSecond, 0),
        round(run.emailsPerSecond, 0),
        round(run.emailsPerSecond / raw.emailsPerSecond, 3),
        round(run.seconds, 1),
        run.sent,
        run.emailsInEmulator,
        `${skipped} / ${run.failed} / ${run.uncertain}`,
        mebibytes(run.idleRss),
        mebibytes(run.peakRss),
        `${mebibytes(run.atPeak.heapUsed)} / ${mebibytes(run.atPeak.heapTotal)}; ${mebibytes(run.atPeak.external)}`,
        round(run.benchProcessCores, 2),
        `${Math.round(run.machineBusy * 100)} %`,
      ];
    }),
  };

  const workerLog = workerLogger.summary();
  const notes = [
    `**Setup.** ${recipients.toLocaleString('en-US')} confirmed subscribers of one list, written straight ` +
      `into the table (seeding took ${round(seedSeconds, 1)} s and is not measured). Each run creates and ` +
      'starts a new campaign to that list (marketing, open tracking on, subject and HTML with ' +
      '`{{firstName|there}}`) through the domain functions, with the in-process campaign worker ' +
      `(\`startCampaignRunner\`, concurrency ${runner.concurrency}, sweep every ` +
      `${runner.sweepIntervalMs} ms, task budget ${runner.taskBudgetMs / 1000} s) reading ` +
      "DynamoDB Local's stream as the Lambda event source mapping would. Emails per second = sent / " +
      "(the campaign's `completedAt` − `startedAt`). `CAMPAIGN_MAX_SEND_RATE` is set to " +
      `${maxSendRate.toLocaleString('en-US')}, far above anything reachable here, so the shared send-rate ` +
      'limiter never makes the worker wait (it still makes its DynamoDB requests, which are counted).',
    `**Baseline.** The raw rate at which the same SES emulator accepts \`SendBulkEmail\`: ${BULK_LOOPS} loops ` +
      `side by side, ${BULK_SIZE} entries per call with an inline template (subject, HTML, text with ` +
      'per-entry `TemplateData`) and per-entry `List-Unsubscribe` headers, ' +
      `${recipients.toLocaleString('en-US')} emails per run, after ${warmUpCalls} warm-up calls. ` +
      `For reference, the same emails as one \`SendEmail\` each (the template filled in by the bench, the same ` +
      `headers), from ${SINGLE_LOOPS} loops side by side: the most a sender making one SES call per recipient ` +
      'could reach on this emulator. ' +
      'Baselines and campaign alternate run by run, each against an emulator whose mailbox was just emptied. ' +
      'The baselines (with their warm-up calls) and the per-address check of the emulator after each run ' +
      'run in a child process of their own (`bench/scenarios/baseline-process.ts`), so that they do not grow ' +
      "the memory measured here; each baseline's CPU and time are its own, measured in that process. " +
      `Figures are the median of ${campaignRuns.length} runs.`,
    floorWithReadsNote(setup.chunkSize, withReads),
    '**Memory.** RSS of this process only (the worker runs in it); DynamoDB Local and the emulator run in ' +
      'their own processes and are not included. Idle RSS is taken with the stack up, the data seeded and the ' +
      'worker started, just before a campaign starts; peak RSS is sampled every 50 ms until it completes. The ' +
      'target compares the median peak with the idle RSS before the first campaign: after a campaign the ' +
      `process keeps most of the memory it grew into${
        campaignRuns.length > 1
          ? ` (idle before the later runs: ${campaignRuns
              .slice(1)
              .map((run) => `${mebibytes(run.idleRss)} MiB`)
              .join(', ')})`
          : ''
      }, so a later idle figure would flatter the ratio.`,
    "**DynamoDB requests** are counted by an SDK middleware on the runtime's DynamoDB client (the document " +
      'client shares its stack), from the start of the campaign to its completion, once per HTTP attempt. ' +
      "They include the worker's sweeps and send-rate limiter; they exclude the bench's own progress polling " +
      '(a separate client) and the local stream reads (on AWS the event source mapping reads the stream).',
    deliveryNote(campaignRuns),
    Object.keys(workerLog).length === 0
      ? '**Worker log.** The worker logged no warning or error in any run.'
      : `**Worker log** (warnings and errors, all runs): ${Object.entries(workerLog)
          .map(([key, count]) => `${count} × "${key}"`)
          .join('; ')}.`,
  ];

  const why: string[] = [];
  const sum = (counts: RequestCounts, field: 'requests' | 'totalMs') =>
    Object.values(counts).reduce((total, count) => total + count[field], 0);
  const campaignSeconds = campaignRuns.reduce((total, run) => total + run.seconds, 0);
  const perRecipientList = (counts: RequestCounts) =>
    sorted(counts)
      .map(([operation, count]) => `${round(perRecipient(count.requests), 2)} ${operation}`)
      .join(', ');
  if (floorRatio < 0.8) {
    const medianRun = [...campaignRuns].sort((a, b) => a.emailsPerSecond - b.emailsPerSecond)[
      Math.floor(campaignRuns.length / 2)
    ] as CampaignRun;
    why.push(
      `**Emails per second (${round(floorRatio, 3)} × the exactly-once floor, ${round(rateRatio, 3)} × raw ` +
        '`SendBulkEmail`).** The floor sends the same emails with `SendBulkEmail` ' +
        `(${BULK_SIZE} a call) and writes one batched item per email, nothing else; an in-process ` +
        "stream reader reads its records back, as the local worker reads back the campaign's (on AWS the " +
        "trigger's filter drops those before the worker runs). The worker makes " +
        `${round(sesRequestsPerRecipient, 3)} SES requests per recipient (\`SendBulkEmail\`, one call per ` +
        'chunk and wording variant), and besides reads each recipient (contact, subscription, suppression: ' +
        "batched), claims each chunk before SES is called, writes each recipient's record after it answers " +
        '(batched), and per chunk reads the campaign, takes from the send-rate limiter and updates the ' +
        `counters: ${round(perRecipient(totals.allRequests), 2)} DynamoDB requests per recipient ` +
        `(${perRecipientList(dynamoDb)}). Over the runs it served ` +
        `${round(totals.allRequests / campaignSeconds, 0)} requests/s to the worker; a DynamoDB request took ` +
        `${round(sum(dynamoDb, 'totalMs') / totals.allRequests, 0)} ms on average (queueing included), a SES ` +
        `request ${round(sum(ses, 'totalMs') / Math.max(1, sum(ses, 'requests')), 0)} ms. In the median run ` +
        `this process used ${round(medianRun.benchProcessCores, 2)} CPU cores and the machine's ` +
        `${os.cpus().length} CPUs were ${Math.round(medianRun.machineBusy * 100)} % busy (this process, ` +
        'DynamoDB Local, the emulator and any other program): the CPUs, shared by the three, set the pace. ' +
        "On AWS, SES's per-recipient `MaxSendRate` is the ceiling. " +
        floorWithReadsRateWhy(withReads, campaignRate, dynamoDb.BatchGetItem, planned),
    );
  }
  if (cpuRatio > 1.5) {
    why.push(floorWithReadsCpuWhy(withReads, { cpu: campaignCpu, ratio: cpuRatio }, floorCpu));
  }
  if (memoryRatio > 1.5) {
    why.push(
      `**Memory (${round(memoryRatio, 2)} × idle).** RSS grew from ${mebibytes(idle)} MiB idle to a peak of ` +
        `${mebibytes(peak)} MiB (median of runs) while ${runner.concurrency} send tasks shared at most ` +
        `${recipientsInFlight.toLocaleString('en-US')} recipients in chunks at once ` +
        '(`CAMPAIGN_RECIPIENTS_IN_FLIGHT`; at this send rate a chunk is a whole batch). ' +
        `At each run's peak V8's heap was ${campaignRuns
          .map((run) => `${mebibytes(run.atPeak.heapTotal)}`)
          .join(', ')} MiB, of which ${campaignRuns
          .map((run) => `${mebibytes(run.atPeak.heapUsed)}`)
          .join(', ')} MiB in use, live or garbage not yet collected. Measured apart (docs/campaigns.md, ` +
        '"What a worker holds at a campaign\'s peak"), little of it is live: forcing a full collection every ' +
        'second during a campaign leaves 45-47 MiB of heap against ~36 MiB idle, ~5 KB per recipient in ' +
        'flight, plus ~5 MiB of request bodies outside the heap. The rest is garbage: a chunk lives for ' +
        'seconds, so what its recipients hold (~7 KB each) outlives two young-generation collections and is ' +
        'moved to the old generation, which V8 collects only once it reaches a limit set at a multiple of the ' +
        'heap live at its last full collection; the pages it grew into stay with the process. Whether a full ' +
        "collection falls inside a campaign varies from run to run, hence single runs' 1.3-1.7 × idle. The " +
        'in-process stream reader is ~5 % of what the campaign allocates and ~2 % of what survives. ' +
        'On AWS the tasks are spread over Lambda invocations, each with its own memory; here one process ' +
        'holds all of them.',
    );
  }
  if (
    readsPerRecipient > 1 ||
    writesPerRecipient > 1.1 ||
    writeRequestsPerRecipient > 0.05 ||
    !writesBatched
  ) {
    const failedDynamoDb = Object.values(dynamoDb).reduce(
      (total, count) => total + Object.values(count.errors).reduce((a, b) => a + b, 0),
      0,
    );
    const topTargets = targetRows
      .filter((row) => (row[2] as number) >= 0.5)
      .map(([operation, target, n]) => `${n} ${operation} ${target}`)
      .join(', ');
    why.push(
      `**DynamoDB requests per recipient.** ${round(readsPerRecipient, 2)} read requests and ` +
        `${round(writesPerRecipient, 2)} written items (in ${round(writeRequestsPerRecipient, 2)} write ` +
        'requests) per recipient, against targets of at most 1 read request, 1.1 items and 0.05 write ' +
        'requests. Reads and writes are ' +
        'batched per chunk, so requests are well under one per recipient; the items are one record per ' +
        'recipient (written after SES answers, with its message id), the claim of each chunk (written ' +
        'before SES is called, so that a chunk is sent at most once) and per-chunk work. The largest ' +
        `shares: ${topTargets || 'none above 0.5 per recipient'}; the rest is per-chunk work (campaign ` +
        'status read, send-rate limiter, task lease and counters)' +
        (failedDynamoDb > 0 ? `, including ${failedDynamoDb} failed requests (see the table above).` : '.'),
    );
  }

  return {
    scenario,
    rows,
    notes,
    why,
    tables: [runTable, operationTable, targetTable],
    data: {
      recipients,
      seedSeconds,
      maxSendRate,
      runner,
      baseline: { bulkSize: BULK_SIZE, loops: BULK_LOOPS, warmUpCalls, runs: rawRuns },
      singleSendBaseline: { loops: SINGLE_LOOPS, runs: singleRuns },
      exactlyOnceFloor: { runs: floorRuns },
      floorWithConsentReads: { chunkSize: setup.chunkSize, runs: withReads.runs },
      campaignRuns,
      perRecipient: {
        dynamoDbReadRequests: readsPerRecipient,
        dynamoDbWrittenItems: writesPerRecipient,
        dynamoDbWriteRequests: writeRequestsPerRecipient,
        dynamoDbRequests: perRecipient(totals.allRequests),
        sesRequests: perRecipient(sum(ses, 'requests')),
      },
      workerLog,
      workerLogSamples: workerLogger.samples(),
    },
  };
}
