/** Thrown by a handler: not now, try this message again after `delayMs`. */
export class RetryLater extends Error {
  readonly delayMs: number;
  constructor(message: string, delayMs: number, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RetryLater';
    this.delayMs = delayMs;
  }
}

/** Thrown by a handler: this message can never succeed; dead-letter it now. */
export class Permanent extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'Permanent';
  }
}
