import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findFreePort } from '../../functions/local/local-stack';

/** Runs `npm start`'s entry point the way npm does, with our environment on top of the test's. */
function startLocalStack(env: Record<string, string>) {
  // Vitest exports Vite's BASE_URL ("/") into process.env; a developer's shell would not have it.
  const { BASE_URL: _viteBaseUrl, ...inherited } = process.env;
  const child = spawn(process.execPath, ['--import', 'tsx', 'functions/local/start.ts'], {
    cwd: new URL('../..', import.meta.url).pathname,
    env: { ...inherited, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, output: () => ({ stdout, stderr }) };
}

async function waitForOutput(read: () => string, text: string, child: ChildProcess, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  while (!read().includes(text)) {
    if (child.exitCode !== null) throw new Error(`exited early:\n${read()}`);
    if (Date.now() > deadline) throw new Error(`never printed "${text}":\n${read()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const portsFor = async () => ({
  PORT: String(await findFreePort()),
  DYNAMODB_PORT: String(await findFreePort()),
  SES_PORT: String(await findFreePort()),
});

describe('npm start', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'consent-mail-start-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('names the variable to change when a port is already in use', async () => {
    const ports = await portsFor();
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(Number(ports.SES_PORT), resolve));
    try {
      const run = startLocalStack({ ...ports, LOCAL_DATA_DIR: dataDir });
      expect(await run.exited).toBe(1);
      expect(run.output().stderr.trim()).toBe(
        `npm start: Port ${ports.SES_PORT} is already in use: set SES_PORT to a free port.`,
      );
    } finally {
      blocker.close();
    }
  });

  it('says what to install when java is missing', async () => {
    const run = startLocalStack({ ...(await portsFor()), LOCAL_DATA_DIR: dataDir, PATH: '/nonexistent' });
    expect(await run.exited).toBe(1);
    const stderr = run.output().stderr.trim();
    expect(stderr.split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/^npm start: java was not found: .*install/);
  });

  it('stops with a one-line message naming an invalid configuration variable', async () => {
    const run = startLocalStack({
      ...(await portsFor()),
      LOCAL_DATA_DIR: dataDir,
      BASE_URL: 'ftp://example.com',
    });
    expect(await run.exited).toBe(1);
    expect(run.output().stderr.trim()).toMatch(/^npm start: Invalid configuration: BASE_URL: /);
  });

  it('starts every service, prints the URLs and the admin key, and stops them all on Ctrl-C', async () => {
    const ports = await portsFor();
    // The suite's DynamoDB deadline (test-runtime.ts), which /health's probes follow: a freshly started
    // DynamoDB Local on a starved machine can take longer than the production 2 s to describe its table.
    const run = startLocalStack({ ...ports, LOCAL_DATA_DIR: dataDir, DYNAMODB_REQUEST_TIMEOUT_MS: '15000' });
    try {
      await waitForOutput(() => run.output().stdout + run.output().stderr, 'Press Ctrl-C', run.child);
      const { stdout } = run.output();
      const api = `http://localhost:${ports.PORT}`;
      expect(stdout).toContain(`${api}/docs`);
      expect(stdout).toContain(`http://127.0.0.1:${ports.SES_PORT}/`);
      const adminKey = /Admin API key {2}(\S+)/.exec(stdout)?.[1] ?? '';
      expect(adminKey.length).toBeGreaterThanOrEqual(32);

      expect((await fetch(`${api}/health`)).status).toBe(200);
      expect((await fetch(`${api}/docs`)).status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${ports.SES_PORT}/`)).status).toBe(200);
      const whoami = await fetch(`${api}/admin/v1/whoami`, {
        headers: { authorization: `Bearer ${adminKey}` },
      });
      expect(whoami.status).toBe(200);
    } finally {
      run.child.kill('SIGINT');
    }
    expect(await run.exited).toBe(0);
    // Every child is gone: their ports are free again.
    for (const port of [ports.DYNAMODB_PORT, ports.SES_PORT, ports.PORT]) {
      await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toThrow();
    }
  });
});
