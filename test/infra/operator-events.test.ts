import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, describe, expect, it } from 'vitest';
import { defineConsentMail } from '../../infra/consent-mail';
import { EVENT_SOURCE } from '../../shared/events/event-publisher';
import { logicalIdOf, newApp, removeOutdirs, withoutBundling } from './synth-support';

/**
 * The operator's event bus (docs/events.md): created by the stack, archived for a bounded time, and put on
 * only by the campaign worker (the table's stream reader), on that bus only. There is no local emulator of
 * EventBridge: this is the proof on the AWS side; the webhook tests prove the events themselves. cdk-nag
 * runs over the whole app in campaign-worker.test.ts.
 */

afterAll(removeOutdirs);

const app = newApp(withoutBundling);
const stacks = defineConsentMail(app);
const template = Template.fromStack(stacks.stateless);
const resources = template.toJSON().Resources as Record<
  string,
  { Type: string; Properties: Record<string, unknown> }
>;
const busId = logicalIdOf(stacks.stateless.operatorEvents.bus);
const busArn = { 'Fn::GetAtt': [busId, 'Arn'] };

const putEventsStatements = () =>
  Object.entries(template.findResources('AWS::IAM::Policy')).flatMap(([, policy]) =>
    (policy.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[])
      .filter((statement) => [statement.Action].flat().some((action) => action.startsWith('events:')))
      .map((statement) => ({ roles: policy.Properties.Roles, ...statement })),
  );

describe("the operator's event bus", () => {
  it('is a custom bus of the stack, named in an output', () => {
    template.resourceCountIs('AWS::Events::EventBus', 1);
    expect(resources[busId]?.Type).toBe('AWS::Events::EventBus');
    expect(Object.values(template.findOutputs('OperatorEventBusName'))[0]?.Value).toEqual({ Ref: busId });
  });

  it('is archived for 35 days (point-in-time recovery), every consent-mail event, from that bus', () => {
    template.resourceCountIs('AWS::Events::Archive', 1);
    template.hasResourceProperties('AWS::Events::Archive', {
      SourceArn: busArn,
      RetentionDays: 35,
      EventPattern: { source: [EVENT_SOURCE] },
    });
  });

  it('only the campaign worker may put events, and only on this bus', () => {
    const statements = putEventsStatements();
    expect(statements).toHaveLength(1);
    expect(statements[0]).toMatchObject({
      roles: [{ Ref: logicalIdOf(stacks.stateless.campaignWorker.role) }],
      Action: 'events:PutEvents',
      Resource: busArn,
    });
  });

  it('only the worker is told the bus, and no function may deliver webhooks to private addresses', () => {
    const functions = Object.entries(template.findResources('AWS::Lambda::Function'));
    expect(functions.length).toBeGreaterThan(3);
    const workerId = logicalIdOf(stacks.stateless.campaignWorker.lambda);
    for (const [id, fn] of functions) {
      const variables = fn.Properties.Environment?.Variables ?? {};
      // A custom-resource provider function of the CDK has no configuration of ours.
      if (variables.TABLE_NAME === undefined) continue;
      expect(variables.WEBHOOK_ALLOW_PRIVATE_TARGETS, id).toBe('false');
      if (id === workerId) expect(variables.EVENT_BUS_NAME).toEqual({ Ref: busId });
      else expect(variables.EVENT_BUS_NAME, id).toBeUndefined();
    }
  });
});
