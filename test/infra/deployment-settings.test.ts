import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { DeploymentSettingsError, readDeploymentSettings } from '../../infra/deployment-settings';

const settingsFrom = (context: Record<string, unknown>) => readDeploymentSettings(new App({ context }));

const realDeployment = {
  senderDomain: 'news.example.org',
  baseUrl: 'https://mail.example.org',
  companyName: 'Example Org Ltd',
  postalAddress: '1 Main Street, Springfield 12345, USA',
};

function problemsOf(context: Record<string, unknown>): string {
  try {
    settingsFrom(context);
  } catch (error) {
    expect(error).toBeInstanceOf(DeploymentSettingsError);
    return (error as Error).message;
  }
  throw new Error('expected the context to be refused');
}

describe('deployment settings (CDK context)', () => {
  it('without a sender domain, every sender value is an example.com placeholder', () => {
    const settings = settingsFrom({});
    expect(settings.placeholder).toBe(true);
    expect(settings.senderDomain).toBe('example.com');
    expect(settings.baseUrl).toBe('https://mail.example.com');
    expect(settings.fromAddress).toMatch(/@example\.com$/);
  });

  it('addresses default to the sender domain and the From name to the company', () => {
    const settings = settingsFrom(realDeployment);
    expect(settings.placeholder).toBe(false);
    expect(settings.fromAddress).toBe('newsletter@news.example.org');
    expect(settings.replyTo).toBe('hello@news.example.org');
    expect(settings.unsubscribeMailbox).toBe('unsubscribe@news.example.org');
    expect(settings.fromName).toBe('Example Org Ltd');
    expect(settings.logLevel).toBe('info');
  });

  it('a real sender domain needs the base URL, the company name and the postal address', () => {
    const message = problemsOf({ senderDomain: 'news.example.org' });
    expect(message).toContain('baseUrl: is required');
    expect(message).toContain('companyName: is required');
    expect(message).toContain('postalAddress: is required');
  });

  it('a value the functions would refuse at cold start fails synthesis, naming the context key', () => {
    const message = problemsOf({ ...realDeployment, baseUrl: 'http://mail.example.org', replyTo: 'nobody' });
    expect(message).toContain('baseUrl (BASE_URL): must use https');
    expect(message).toContain('replyTo (SENDER_REPLY_TO)');
  });

  it('the From address must be on the sender domain so DMARC aligns', () => {
    expect(problemsOf({ ...realDeployment, fromAddress: 'news@elsewhere.example' })).toContain(
      'fromAddress: must be on senderDomain',
    );
    expect(settingsFrom({ ...realDeployment, fromAddress: 'news@mail.news.example.org' }).fromAddress).toBe(
      'news@mail.news.example.org',
    );
  });

  it('campaignMaxSendRate is unset by default and takes a positive number, as a string or a number', () => {
    expect(settingsFrom(realDeployment).campaignMaxSendRate).toBeUndefined();
    expect(settingsFrom({ ...realDeployment, campaignMaxSendRate: '12.5' }).campaignMaxSendRate).toBe('12.5');
    expect(settingsFrom({ ...realDeployment, campaignMaxSendRate: 14 }).campaignMaxSendRate).toBe('14');
    expect(problemsOf({ ...realDeployment, campaignMaxSendRate: '0' })).toContain(
      'campaignMaxSendRate (CAMPAIGN_MAX_SEND_RATE): must be more than 0',
    );
    expect(problemsOf({ ...realDeployment, campaignMaxSendRate: 'fast' })).toContain(
      'campaignMaxSendRate (CAMPAIGN_MAX_SEND_RATE)',
    );
  });

  it('the retention periods are unset by default and checked like the runtime checks them', () => {
    expect(settingsFrom(realDeployment).messageRetentionDays).toBeUndefined();
    expect(settingsFrom({ ...realDeployment, messageRetentionDays: 30 }).messageRetentionDays).toBe('30');
    expect(settingsFrom({ ...realDeployment, openRetentionDays: '7' }).openRetentionDays).toBe('7');
    expect(problemsOf({ ...realDeployment, openRetentionDays: '0' })).toContain(
      'openRetentionDays (OPEN_RETENTION_DAYS)',
    );
  });

  it('the inboundMail flag is off by default and takes true or false, as a boolean or a string', () => {
    expect(settingsFrom(realDeployment).inboundMail).toBe(false);
    expect(settingsFrom({ ...realDeployment, inboundMail: 'true' }).inboundMail).toBe(true);
    expect(settingsFrom({ ...realDeployment, inboundMail: true }).inboundMail).toBe(true);
    expect(settingsFrom({ ...realDeployment, inboundMail: 'false' }).inboundMail).toBe(false);
    expect(problemsOf({ ...realDeployment, inboundMail: 'yes' })).toContain(
      'inboundMail: must be true or false',
    );
  });

  it('mailFromDomain defaults to bounce.<senderDomain> and must be a host name under it', () => {
    expect(settingsFrom(realDeployment).mailFromDomain).toBe('bounce.news.example.org');
    expect(settingsFrom({}).mailFromDomain).toBe('bounce.example.com');
    expect(settingsFrom({ ...realDeployment, mailFromDomain: 'MF.News.Example.org' }).mailFromDomain).toBe(
      'mf.news.example.org',
    );
    for (const bad of ['news.example.org', 'bounce.example.net', 'bad_name.news.example.org']) {
      expect(problemsOf({ ...realDeployment, mailFromDomain: bad })).toContain('mailFromDomain:');
    }
  });

  it('publicApiReservedConcurrency and alarmEmail are unset by default and checked when given', () => {
    const settings = settingsFrom(realDeployment);
    expect(settings.publicApiReservedConcurrency).toBeUndefined();
    expect(settings.alarmEmail).toBeUndefined();
    expect(
      settingsFrom({ ...realDeployment, publicApiReservedConcurrency: 50 }).publicApiReservedConcurrency,
    ).toBe('50');
    expect(problemsOf({ ...realDeployment, publicApiReservedConcurrency: '-1' })).toContain(
      'publicApiReservedConcurrency:',
    );
    expect(settingsFrom({ ...realDeployment, alarmEmail: 'ops@example.org' }).alarmEmail).toBe(
      'ops@example.org',
    );
    expect(problemsOf({ ...realDeployment, alarmEmail: 'ops' })).toContain('alarmEmail:');
  });

  it('originCredentialKeyId defaults to o1 and must be a key id the origin secret can hold', () => {
    expect(settingsFrom(realDeployment).originCredentialKeyId).toBe('o1');
    expect(settingsFrom({ ...realDeployment, originCredentialKeyId: 'o_2-b' }).originCredentialKeyId).toBe(
      'o_2-b',
    );
    for (const refused of ['o.1', 'o:1', 'o 1', 'x'.repeat(33)]) {
      expect(problemsOf({ ...realDeployment, originCredentialKeyId: refused })).toContain(
        'originCredentialKeyId: must be 1 to 32 letters, digits, - or _',
      );
    }
  });
});
