import { sourceMappedStack } from './source-mapped-stack';

/**
 * Structured JSON logs, one line per event (CloudWatch and `npm start` alike).
 * Never pass an address, a token or a secret in `fields`: pass `emailHash` (shared/email-address.ts).
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/**
 * Error messages from SES, Lambda and others can quote an address; logs, and the replay reports an
 * operator reads (shared/stream-replay/), never carry one.
 */
export function redactAddresses(text: string): string {
  return text.replace(/[^\s@<>"'(),;:]+@[^\s@<>"'(),;:]+/g, '[address]');
}

function describeError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  return {
    name: error.name,
    message: redactAddresses(error.message),
    stack: error.stack && redactAddresses(sourceMappedStack(error.stack)),
  };
}

/**
 * Fields of the Lambda invocation being handled, on every line any logger writes meanwhile: Lambda runs
 * one invocation at a time per instance, so one value per process is right (shared/lambda-invocation.ts
 * sets it around each invocation of the event-driven functions).
 */
let invocationFields: LogFields = {};

export function setInvocationFields(fields: LogFields): void {
  invocationFields = fields;
}

export function createLogger(options: {
  level: LogLevel;
  service: string;
  write?: (line: string) => void;
  fields?: LogFields;
}): Logger {
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const base = { service: options.service, ...options.fields };
  const emit = (level: LogLevel, message: string, fields?: LogFields) => {
    if (rank[level] < rank[options.level]) return;
    const entry: LogFields = {
      time: new Date().toISOString(),
      level,
      message,
      ...base,
      ...invocationFields,
      ...fields,
    };
    if ('error' in entry) entry.error = describeError(entry.error);
    write(JSON.stringify(entry));
  };
  return {
    debug: (message, fields) => emit('debug', message, fields),
    info: (message, fields) => emit('info', message, fields),
    warn: (message, fields) => emit('warn', message, fields),
    error: (message, fields) => emit('error', message, fields),
    child: (fields) => createLogger({ ...options, write, fields: { ...options.fields, ...fields } }),
  };
}
