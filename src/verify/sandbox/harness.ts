// The in-process harness that runs a program and then, only if it ran to its last statement, writes a nonce on
// fd 3. The nonce reaches it on fd 3 (a socket from the parent), never through a file, argv or the environment.

export const NONCE_BYTES = 32;

// Python: os functions are bound before the program runs, so patching os.write/os._exit does not reach them.
// Any SystemExit (sys.exit(0) included) propagates and skips the nonce: the tests after it did not run.
const PYTHON = `import os, sys
def _reprise_run(_read=os.read, _write=os.write, _exit=os._exit):
    nonce = b''
    while len(nonce) < ${NONCE_BYTES}:
        chunk = _read(3, ${NONCE_BYTES} - len(nonce))
        if not chunk:
            _exit(121)
        nonce += chunk
    with open('program.py', 'rb') as f:
        code = compile(f.read(), 'program.py', 'exec')
    sys.argv = ['program.py']
    exec(code, {'__name__': '__main__', '__file__': 'program.py', '__builtins__': __builtins__})
    for s in (sys.stdout, sys.stderr):
        try:
            s.flush()
        except Exception:
            pass
    _write(3, nonce)
    _exit(0)
_reprise_run()
`;

// JavaScript (CommonJS): the nonce is written when the event loop drains ('beforeExit'), which process.exit()
// skips; the flag is set only after the program's synchronous part returned.
const JAVASCRIPT = `'use strict';
const { readSync, writeSync } = require('fs');
const path = require('path');
(function () {
  const nonce = Buffer.alloc(${NONCE_BYTES});
  let n = 0;
  while (n < ${NONCE_BYTES}) {
    const k = readSync(3, nonce, n, ${NONCE_BYTES} - n, null);
    if (k === 0) process.exit(121);
    n += k;
  }
  let ran = false;
  let sent = false;
  process.on('beforeExit', () => {
    if (!ran || sent || process.exitCode) return;
    sent = true;
    writeSync(3, nonce);
  });
  require(path.resolve('program.js'));
  ran = true;
})();
`;

export interface LanguageSpec {
  program: string;
  harnessFile: string;
  harness: string;
  argv: (interpreter: string, memoryMb: number) => string[];
  /** RLIMIT_AS in MiB for a memory limit: V8 reserves address space (its code range) that it never touches. */
  addressSpaceMb: (memoryMb: number) => number;
}

export const LANGUAGES = {
  python: {
    program: 'program.py',
    harnessFile: 'harness.py',
    harness: PYTHON,
    argv: (exe) => [exe, '-I', '-B', 'harness.py'],
    addressSpaceMb: (mb) => mb,
  },
  javascript: {
    program: 'program.js',
    harnessFile: 'harness.cjs',
    harness: JAVASCRIPT,
    // V8's heap is kept below the address-space limit so an allocation bomb is a clean heap OOM.
    argv: (exe, mb) => [exe, `--max-old-space-size=${Math.max(32, Math.floor(mb / 2))}`, 'harness.cjs'],
    addressSpaceMb: (mb) => mb + 1024,
  },
} satisfies Record<string, LanguageSpec>;

export type Language = keyof typeof LANGUAGES;
export const isLanguage = (s: unknown): s is Language => typeof s === 'string' && Object.hasOwn(LANGUAGES, s);
