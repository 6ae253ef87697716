/** Named errors of the alert module. Each has a stable `code` for programs and a message for people. */
import { WorkflowMirrorError } from '../base-error.js';

/** An option of {@link AlertmanagerSink} is missing or out of range; `option` names it. */
export class InvalidAlertOptionsError extends WorkflowMirrorError {
  readonly option: string;

  constructor(option: string, problem: string) {
    super('INVALID_ALERT_OPTIONS', `AlertmanagerSink: ${option} ${problem}`);
    this.option = option;
  }
}

/**
 * A POST to the receiver failed in a way worth retrying (refused connection, timeout, 408, 429,
 * 5xx). The alerts stay in the outbox; `attempt` is the count of consecutive failures so far.
 */
export class AlertDeliveryError extends WorkflowMirrorError {
  /** The HTTP status, or `undefined` when no response came (network error, timeout). */
  readonly status: number | undefined;
  readonly attempt: number;
  /** How many alerts the failed request carried. */
  readonly alerts: number;

  constructor(
    url: string,
    status: number | undefined,
    attempt: number,
    alerts: number,
    problem: string,
    options?: { cause?: unknown },
  ) {
    super('ALERT_DELIVERY_FAILED', `POST ${url} (${alerts} alert(s), attempt ${attempt}) failed: ${problem}`, options);
    this.status = status;
    this.attempt = attempt;
    this.alerts = alerts;
  }
}

/**
 * The sink stopped retrying after `retry.maxAttempts` consecutive failures. Nothing is lost: the
 * alerts stay in the outbox and are sent again at the next resend interval or the next open.
 */
export class AlertRetriesExhaustedError extends WorkflowMirrorError {
  readonly attempts: number;
  readonly pending: number;

  constructor(url: string, attempts: number, pending: number, options?: { cause?: unknown }) {
    super(
      'ALERT_RETRIES_EXHAUSTED',
      `POST ${url} failed ${attempts} time(s) in a row; ${pending} alert(s) wait in the outbox for the next resend`,
      options,
    );
    this.attempts = attempts;
    this.pending = pending;
  }
}

/**
 * The receiver answered a 4xx other than 408/429: it will not take these alerts however often
 * they are sent. They are kept in the outbox, marked rejected with the answer, and not resent.
 */
export class AlertRejectedError extends WorkflowMirrorError {
  readonly status: number;
  readonly alerts: number;
  /** The start of the receiver's answer (at most 500 characters). */
  readonly body: string;

  constructor(url: string, status: number, alerts: number, body: string) {
    super('ALERT_REJECTED', `POST ${url} rejected ${alerts} alert(s) with HTTP ${status}: ${body}`);
    this.status = status;
    this.alerts = alerts;
    this.body = body;
  }
}

/** A row of the `alert_outbox` table cannot be read back (its payload is not an alert). */
export class CorruptAlertOutboxRowError extends WorkflowMirrorError {
  readonly id: number;

  constructor(id: number, problem: string, options?: { cause?: unknown }) {
    super('CORRUPT_ALERT_OUTBOX_ROW', `corrupt row ${id} in table alert_outbox: ${problem}`, options);
    this.id = id;
  }
}
