import { signupWork } from '../consent/signup-processing';
import { referralWork } from '../referrals/referral-requests';
import type { Runtime } from '../runtime';
import { sendDependenciesOf } from '../sending/send-dependencies';
import type { PublicRequestWork } from './process-public-request';

/** The work of every kind of accepted request, built from a runtime (the stream function, the local runner). */
export function publicRequestWorkOf(
  runtime: Pick<Runtime, 'config' | 'clients' | 'logger'>,
): PublicRequestWork {
  const send = sendDependenciesOf(runtime);
  return {
    referral: referralWork(send),
    signup: signupWork({ ...send, settings: runtime.config.signup }),
  };
}
