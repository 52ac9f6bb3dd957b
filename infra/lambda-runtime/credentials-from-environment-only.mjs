// Bundled in place of the AWS SDK credential providers that never run on Lambda (see
// infra/bundle-sizes.ts, `credentialProvidersNotBundled`): there the default chain's first provider,
// the environment, always answers. Reaching this means the bundle runs somewhere else.
const notBundled = () => {
  throw new Error(
    'This Lambda bundle takes AWS credentials from the environment only (AWS_ACCESS_KEY_ID, ' +
      'AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), as Lambda provides them; profile, SSO, process, web ' +
      'identity and instance-metadata credentials are left out of the bundle.',
  );
};
export const fromIni = notBundled;
export const fromSSO = notBundled;
export const fromProcess = notBundled;
export const fromTokenFile = notBundled;
export const fromHttp = notBundled;
export const fromContainerMetadata = notBundled;
export const fromInstanceMetadata = notBundled;
export const ENV_CMDS_FULL_URI = 'AWS_CONTAINER_CREDENTIALS_FULL_URI';
export const ENV_CMDS_RELATIVE_URI = 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI';
