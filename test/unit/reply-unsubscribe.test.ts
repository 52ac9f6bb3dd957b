import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  envelopeSender,
  type InboundMail,
  type InboundReceipt,
  interpretReply,
} from '../../shared/consent/reply-unsubscribe';
import { createTokenSigner } from '../../shared/tokens';
import awsExample from '../fixtures/ses-receipt/aws-lambda-action-example.json';

/** AWS's documented Lambda-action event (the fixture), with the subject and verdicts changed per case. */
const example = awsExample.Records[0]?.ses as { mail: InboundMail; receipt: InboundReceipt };

type Verdicts = Partial<Record<'spf' | 'dkim' | 'dmarc' | 'virus' | 'spam', string>>;

function reply(subject: string | undefined, verdicts: Verdicts = {}, source?: string) {
  const mail: InboundMail = {
    ...example.mail,
    source: source ?? example.mail.source,
    commonHeaders: { ...example.mail.commonHeaders, subject },
  };
  const receipt: InboundReceipt = {
    ...example.receipt,
    spfVerdict: { status: verdicts.spf ?? 'PASS' },
    dkimVerdict: { status: verdicts.dkim ?? 'PASS' },
    dmarcVerdict: { status: verdicts.dmarc ?? 'GRAY' },
    virusVerdict: { status: verdicts.virus ?? 'PASS' },
    spamVerdict: { status: verdicts.spam ?? 'PASS' },
  };
  return interpretReply(mail, receipt);
}

const token = createTokenSigner({ activeKeyId: 'k2025', keys: new Map([['k2025', randomBytes(32)]]) }).sign(
  'unsubscribe',
  { contactId: '01JABCDEF', listId: 'weekly-news', messageId: 'm_1', campaignId: 'spring' },
);
const sender = { kind: 'sender', address: 'sender@example.com' };

describe('interpretReply', () => {
  it("reads AWS's own example (subject 'This is a test') as no instruction", async () => {
    expect(await interpretReply(example.mail, example.receipt)).toEqual({
      kind: 'ignored',
      reason: 'no-instruction',
    });
  });

  describe('a token in the subject', () => {
    it.each([
      ['as the mailto writes it', `unsubscribe ${token}`],
      ['after Re:', `Re: unsubscribe ${token}`],
      ['after RE: and Fwd:', `RE: Fwd: unsubscribe ${token}`],
      ['after French TR:', `TR: unsubscribe ${token}`],
      ['left URL-encoded by the client', `unsubscribe%20${token}`],
      ['with + for the space', `unsubscribe+${token}`],
      ['in capitals, with extra spaces', `  UNSUBSCRIBE   ${token}  `],
      ['folded onto a second line', `unsubscribe\r\n ${token}`],
      [
        'as an RFC 2047 encoded word',
        `=?UTF-8?B?${Buffer.from(`unsubscribe ${token}`).toString('base64')}?=`,
      ],
      ['without the word (an edited subject)', `Please remove me ${token}`],
    ])('is found %s', async (_, subject) => {
      expect(await reply(subject)).toEqual({ kind: 'token', token });
    });

    it('does not need an authenticated sender: the signature is the proof (verified by the caller)', async () => {
      expect(await reply(`unsubscribe ${token}`, { spf: 'FAIL', dkim: 'FAIL', dmarc: 'FAIL' })).toEqual({
        kind: 'token',
        token,
      });
    });

    it('is passed on even when tampered with, for the caller to refuse and log', async () => {
      const forged = `${token.slice(0, -3)}AAA`;
      expect(await reply(`unsubscribe ${forged}`)).toEqual({ kind: 'token', token: forged });
    });

    it('is not confused with host names', async () => {
      expect(await reply('Re: your mail from www.example.com')).toEqual({
        kind: 'ignored',
        reason: 'no-instruction',
      });
    });
  });

  describe('a bare keyword from an authenticated sender', () => {
    it.each([
      'unsubscribe',
      'Unsubscribe',
      'UNSUBSCRIBE',
      '  unsubscribe \t',
      'un subscribe',
      'Re: unsubscribe',
      'RE:unsubscribe',
      'Re: RE: Fwd: unsubscribe',
      'Re[2]: unsubscribe',
      'TR: unsubscribe',
      'AW: unsubscribe',
      'désabonner',
      'Désabonner',
      'desabonner',
      'DESABONNER',
      'désinscrire',
      'Re: Désinscrire',
      'desinscrire',
      // "é" as e + combining accent (NFD), as some clients send it.
      'de\u0301sinscrire',
      '=?UTF-8?Q?d=C3=A9sabonner?=',
      'd%C3%A9sabonner',
    ])('unsubscribes the envelope sender from all marketing: %j', async (subject) => {
      expect(await reply(subject)).toEqual(sender);
    });

    it('is accepted when only SPF passed', async () => {
      expect(await reply('unsubscribe', { spf: 'PASS', dkim: 'FAIL', dmarc: 'GRAY' })).toEqual(sender);
      expect(await reply('unsubscribe', { spf: 'PASS', dkim: 'GRAY', dmarc: 'GRAY' })).toEqual(sender);
    });

    it('is accepted when only DKIM passed and SPF did not fail', async () => {
      expect(await reply('unsubscribe', { spf: 'GRAY', dkim: 'PASS', dmarc: 'GRAY' })).toEqual(sender);
      expect(await reply('unsubscribe', { spf: 'GRAY', dkim: 'PASS', dmarc: 'PASS' })).toEqual(sender);
    });

    describe('on DKIM alone (SPF not PASS), only for a signing domain aligned with the envelope sender', () => {
      /** SES's own Authentication-Results (the fixture's), with the DKIM result replaced. */
      function signedBy(
        dkimResult: string,
        source = 'victim@example.com',
        extra: InboundMail['headers'] = [],
      ) {
        const headers = (example.mail.headers ?? []).map((header) =>
          header.name === 'Authentication-Results'
            ? { ...header, value: header.value.replace(/dkim=pass header\.i=@example\.com/, dkimResult) }
            : header,
        );
        const mail: InboundMail = {
          ...example.mail,
          source,
          headers: [...headers, ...extra],
          commonHeaders: { ...example.mail.commonHeaders, subject: 'unsubscribe' },
        };
        const receipt: InboundReceipt = {
          ...example.receipt,
          spfVerdict: { status: 'GRAY' },
          dkimVerdict: { status: 'PASS' },
          dmarcVerdict: { status: 'GRAY' },
        };
        return interpretReply(mail, receipt);
      }
      const refused = { kind: 'ignored', reason: 'unauthenticated-sender' };

      it('refuses a DKIM pass of another domain: anyone can sign with their own', async () => {
        expect(await signedBy('dkim=pass header.i=@attacker.example')).toEqual(refused);
        expect(await signedBy('dkim=pass header.d=attacker.example')).toEqual(refused);
        // Same public suffix (private section), different organisations.
        expect(await signedBy('dkim=pass header.i=@attacker.github.io', 'victim@victim.github.io')).toEqual(
          refused,
        );
        // A suffix-looking signer is not the victim's organisation.
        expect(await signedBy('dkim=pass header.i=@co.uk', 'victim@victim.co.uk')).toEqual(refused);
      });

      it('accepts a DKIM pass of the same organisational domain (relaxed alignment)', async () => {
        const victim = { kind: 'sender', address: 'victim@example.com' };
        expect(await signedBy('dkim=pass header.i=@example.com')).toEqual(victim);
        expect(await signedBy('dkim=pass header.i=newsletter@mail.example.com')).toEqual(victim);
        expect(await signedBy('dkim=pass header.d=EXAMPLE.com')).toEqual(victim);
        expect(await signedBy('dkim=pass header.i=@example.co.uk', 'victim@mail.example.co.uk')).toEqual({
          kind: 'sender',
          address: 'victim@mail.example.co.uk',
        });
      });

      it('refuses when only a failed signature names the domain', async () => {
        expect(
          await signedBy('dkim=fail header.i=@example.com; dkim=pass header.i=@attacker.example'),
        ).toEqual(refused);
      });

      it("reads only the first Authentication-Results (SES adds it above the sender's headers)", async () => {
        const forged = {
          name: 'Authentication-Results',
          value: 'amazonses.com; dkim=pass header.i=@example.com',
        };
        expect(
          await signedBy('dkim=pass header.i=@attacker.example', 'victim@example.com', [forged]),
        ).toEqual(refused);
      });

      it('refuses when no Authentication-Results of SES tells the signing domain', async () => {
        const mail: InboundMail = {
          ...example.mail,
          headers: (example.mail.headers ?? []).filter((header) => header.name !== 'Authentication-Results'),
          commonHeaders: { ...example.mail.commonHeaders, subject: 'unsubscribe' },
        };
        const receipt = {
          ...example.receipt,
          spfVerdict: { status: 'GRAY' },
          dkimVerdict: { status: 'PASS' },
        };
        expect(await interpretReply(mail, receipt)).toEqual(refused);
        const otherServer = (example.mail.headers ?? []).map((header) =>
          header.name === 'Authentication-Results'
            ? { ...header, value: 'mx.example.net; dkim=pass header.i=@example.com' }
            : header,
        );
        expect(await interpretReply({ ...mail, headers: otherServer }, receipt)).toEqual(refused);
      });

      it('refuses a DMARC pass on its own: it speaks for the From domain, not the envelope sender', async () => {
        const mail: InboundMail = {
          ...example.mail,
          source: 'victim@victim.example',
          commonHeaders: { ...example.mail.commonHeaders, subject: 'unsubscribe' },
        };
        const receipt = {
          ...example.receipt,
          spfVerdict: { status: 'GRAY' },
          dkimVerdict: { status: 'PASS' },
          dmarcVerdict: { status: 'PASS' },
        };
        expect(await interpretReply(mail, receipt)).toEqual(refused);
      });
    });

    it.each([
      // The forged envelope sender of a domain without DMARC, signed by any domain's DKIM.
      { spf: 'FAIL', dkim: 'PASS', dmarc: 'GRAY' },
      { spf: 'FAIL', dkim: 'PASS', dmarc: 'PASS' },
      { spf: 'PROCESSING_FAILED', dkim: 'PASS', dmarc: 'GRAY' },
      { spf: 'PASS', dkim: 'PROCESSING_FAILED', dmarc: 'GRAY' },
      { spf: 'PASS', dkim: 'PASS', dmarc: 'PROCESSING_FAILED' },
      { spf: 'fail', dkim: 'pass', dmarc: 'gray' },
    ])('is refused when a verdict speaks against the sender, whatever DKIM says: %j', async (verdicts) => {
      expect(await reply('unsubscribe', verdicts)).toEqual({
        kind: 'ignored',
        reason: 'unauthenticated-sender',
      });
    });

    it('is refused when DMARC failed, even with SPF and DKIM passing', async () => {
      expect(await reply('unsubscribe', { spf: 'PASS', dkim: 'PASS', dmarc: 'FAIL' })).toEqual({
        kind: 'ignored',
        reason: 'unauthenticated-sender',
      });
    });

    it.each([
      { spf: 'FAIL', dkim: 'FAIL' },
      { spf: 'GRAY', dkim: 'GRAY' },
      { spf: 'PROCESSING_FAILED', dkim: 'PROCESSING_FAILED' },
      { spf: 'FAIL', dkim: 'FAIL', dmarc: 'PASS' },
    ])('is refused when neither SPF nor DKIM passed: %j', async (verdicts) => {
      expect(await reply('unsubscribe', verdicts)).toEqual({
        kind: 'ignored',
        reason: 'unauthenticated-sender',
      });
    });

    it('uses the envelope sender (what SPF checked), not the display From', async () => {
      const mail: InboundMail = {
        ...example.mail,
        source: 'reader@example.net',
        commonHeaders: { from: ['"Someone Else" <other@example.org>'], subject: 'unsubscribe' },
      };
      expect(await interpretReply(mail, example.receipt)).toEqual({
        kind: 'sender',
        address: 'reader@example.net',
      });
    });

    it('ignores a null or unusable envelope sender', async () => {
      for (const source of ['', '<>', 'MAILER-DAEMON', '"Doe, John" <sender@example.com>']) {
        expect(await reply('unsubscribe', {}, source), source).toEqual({
          kind: 'ignored',
          reason: 'invalid-sender',
        });
      }
    });
  });

  it('never acts on mail SES found a virus in', async () => {
    expect(await reply(`unsubscribe ${token}`, { virus: 'FAIL' })).toEqual({
      kind: 'ignored',
      reason: 'virus',
    });
    expect(await reply('unsubscribe', { virus: 'FAIL' })).toEqual({ kind: 'ignored', reason: 'virus' });
  });

  it.each([
    'Hello',
    'unsubscribe me please',
    'Please unsubscribe',
    'unsubscribe.',
    'subscribe',
    'désabonnement',
    '',
    undefined,
  ])('reads any other subject as no instruction: %j', async (subject) => {
    expect(await reply(subject)).toEqual({ kind: 'ignored', reason: 'no-instruction' });
  });

  it('falls back to the Subject header when commonHeaders has none', async () => {
    const mail: InboundMail = {
      ...example.mail,
      commonHeaders: {},
      headers: [{ name: 'Subject', value: 'Re: unsubscribe' }],
    };
    expect(await interpretReply(mail, example.receipt)).toEqual(sender);
  });
});

describe('envelopeSender', () => {
  it.each([
    ['sender@example.com', 'sender@example.com'],
    ['prvs=144d0cba7=sender@example.com', 'sender@example.com'],
    ['PRVS=0123456789=Reader@Example.COM', 'Reader@example.com'],
    ['msprvs1=19023qWErty=bounces-reader@example.com', 'bounces-reader@example.com'],
    ['btv1==0123456789a==reader@example.com', 'reader@example.com'],
    ['<reader@example.com>', 'reader@example.com'],
  ])('reads %s as %s', async (source, expected) => {
    expect(envelopeSender(source)).toBe(expected);
  });
});
