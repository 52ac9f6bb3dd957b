import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Runs one of our `npm run` commands (`functions/local/<script>`) as a separate process, as an operator
 * would, with only PATH, HOME and `env`: what it printed and its exit code, whether it succeeded or not.
 */
export async function runCommand(script: string, args: string[], env: Record<string, string | undefined>) {
  try {
    const { stdout, stderr } = await run('node_modules/.bin/tsx', [`functions/local/${script}`, ...args], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? 1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}
