// Countdown's checks live in src/verify (the accuracy reward and the eval judge them there); the family re-exports them.
export * from '../../src/verify/countdown.js';
