import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isolation, runProgram, type RunRequest } from '../../src/verify/sandbox/index.js';

// Hostile programs, each with the status it must get and nothing of it left afterwards. Every limit is small
// (1-10 s, 256 MiB) so that a regression cannot hurt the machine the tests run on. Memory bombs get 10 s: on a
// loaded machine filling 256 MiB alone can take 3 s, and they must end by memory, not by time. A test runs
// several programs in turn, hence the 60 s per test.
vi.setConfig({ testTimeout: 60_000 });
const iso = isolation();
const full = iso.mode === 'root';
const limits = { memoryMb: 256, maxProcs: 32 };
const py = (code: string, timeoutS = 3): RunRequest => ({ language: 'python', code, timeoutS });
const js = (code: string, timeoutS = 3): RunRequest => ({ language: 'javascript', code, timeoutS });

let work: string;
let host: string;
const origTmp = process.env.TMPDIR;

/** Processes still alive under any uid the sandbox of this test process hands out. */
function leftoverProcesses(): string[] {
  const lo = 1_000_000 + (process.pid % 1_000_000) * 64;
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .flatMap((p) => {
      try {
        const uid = Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1]);
        return uid >= lo && uid < lo + 64 ? [p] : [];
      } catch {
        return [];
      }
    });
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'sbx-test-work-'));
  host = mkdtempSync(join(tmpdir(), 'sbx-test-host-'));
  chmodSync(host, 0o755);
  process.env.TMPDIR = work;
});
afterAll(() => {
  process.env.TMPDIR = origTmp;
  rmSync(work, { recursive: true, force: true });
  rmSync(host, { recursive: true, force: true });
});
beforeEach(() => writeFileSync(join(host, 'canary.txt'), 'alive'));

async function contained(req: RunRequest) {
  const r = await runProgram(req, limits);
  expect(readdirSync(work), 'temporary directories left behind').toEqual([]);
  expect(leftoverProcesses(), 'processes left behind').toEqual([]);
  return r;
}

describe('sandbox basics', () => {
  it('reports a program that runs to its end with exit 0 as passed, with its stdout', async () => {
    const r = await contained(py('print("hi")\nassert 1 + 1 == 2'));
    expect(r).toMatchObject({ status: 'passed', exitCode: 0, stdout: 'hi\n' });
  });
  it('reports a failing assertion as failed with the traceback on stderr', async () => {
    const r = await contained(py('assert 1 == 2'));
    expect(r.status).toBe('failed');
    expect(r.stderr).toContain('AssertionError');
  });
  it('feeds stdin to the program', async () => {
    expect((await contained({ ...py('import sys\nprint(sys.stdin.read().upper())'), stdin: 'abc' })).stdout).toBe('ABC\n');
  });
  it('runs JavaScript and waits for its pending timers', async () => {
    const r = await contained(js('setTimeout(() => console.log("late"), 50)'));
    expect(r).toMatchObject({ status: 'passed', stdout: 'late\n' });
  });
  it('reports an unknown language as error', async () => {
    expect((await runProgram({ language: 'ruby' as never, code: '' })).status).toBe('error');
  });
});

describe('hostile programs are contained', () => {
  it('an infinite loop is killed at the wall-clock limit: timeout', async () => {
    const r = await contained(py('while True: pass', 1));
    expect(r.status).toBe('timeout');
    expect(r.wallMs).toBeLessThan(3000);
    expect((await contained(js('for (;;) {}', 1))).status).toBe('timeout');
  });

  it.runIf(full)('a fork bomb hits the process limit and is killed with all its children: timeout', async () => {
    const r = await contained(py('import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass', 2));
    expect(r.status).toBe('timeout');
  });

  it('a memory bomb gets memory', async () => {
    expect((await contained(py('x = []\nwhile True:\n    x.append(bytearray(10**7))', 10))).status).toBe('memory');
    expect((await contained(js('const a = []; for (;;) a.push(new Array(1e6).fill(1.5));', 10))).status).toBe('memory');
  });

  it.runIf(full)('a memory bomb spread over many processes is stopped by the run\'s cgroup: memory', async () => {
    const code = 'import os, time\nfor _ in range(6):\n    if os.fork() == 0:\n        x = bytearray(150 * 2**20)\n        time.sleep(0.5)\n        os._exit(0)\nfor _ in range(6):\n    assert os.wait()[1] == 0';
    expect((await contained(py(code, 10))).status).toBe('memory');
  });

  it('a gigabyte of output is cut off: failed, with the first 64 KiB kept', async () => {
    const r = await contained(py('import sys\nfor _ in range(16384):\n    sys.stdout.write("x" * 65536)', 10));
    expect(r.status).toBe('failed');
    expect(r.stdout.length).toBeLessThan(70_000);
    expect(r.stderr).toContain('bytes of output');
    expect(r.wallMs).toBeLessThan(5000);
  });

  it.runIf(iso.dropUid)('writing outside its directory fails and leaves no file', async () => {
    const target = join(host, 'written.txt');
    const r = await contained(py(`open(${JSON.stringify(target)}, "w").write("x")`));
    expect(r.status).toBe('failed');
    expect(existsSync(target)).toBe(false);
  });

  it.runIf(full)('files written to /tmp, /var/tmp and /dev/shm vanish with the run', async () => {
    const name = `sbx-escape-${process.pid}`;
    const r = await contained(py(`for d in ("/tmp", "/var/tmp", "/dev/shm"):\n    open(d + "/${name}", "w").write("x")`));
    expect(r.status).toBe('passed');
    for (const d of ['/tmp', '/var/tmp', '/dev/shm']) expect(existsSync(join(d, name))).toBe(false);
  });

  it.runIf(iso.dropUid)('deleting files outside its directory fails and the files survive', async () => {
    const r = await contained(py(`import os, shutil\nos.remove(${JSON.stringify(join(host, 'canary.txt'))})`));
    expect(r.status).toBe('failed');
    await contained(py(`import shutil\nshutil.rmtree(${JSON.stringify(host)}, ignore_errors=True)`));
    expect(readFileSync(join(host, 'canary.txt'), 'utf8')).toBe('alive');
  });

  it.runIf(iso.mode !== 'plain')('opening a network connection fails, to the internet and to the host\'s loopback', async () => {
    let accepted = 0;
    const server: Server = createServer((s) => (accepted++, s.destroy()));
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const port = (server.address() as { port: number }).port;
    const code = `import socket\nfor addr in (("1.1.1.1", 80), ("127.0.0.1", ${port})):\n    try:\n        socket.create_connection(addr, timeout=1)\n        print("CONNECTED", addr)\n    except OSError as e:\n        print("blocked", e)`;
    const r = await contained(py(code));
    server.close();
    expect(r.stdout).not.toContain('CONNECTED');
    expect(accepted).toBe(0);
  });

  it('reading secrets from the environment finds none', async () => {
    process.env.REPRISE_TEST_SECRET = 'hunter2-secret';
    const code = `import os\nprint(dict(os.environ))\nfor p in ("/proc/1/environ", "/proc/${process.pid}/environ", "/proc/${process.ppid}/environ"):\n    try:\n        print(open(p, "rb").read())\n    except OSError as e:\n        print("no", p, e)`;
    const r = await contained(py(code));
    delete process.env.REPRISE_TEST_SECRET;
    expect(r.stdout).not.toContain('hunter2-secret');
    expect(Object.keys(JSON.parse(r.stdout.split('\n')[0].replace(/'/g, '"'))).sort()).toEqual(['HOME', 'LANG', 'PATH', 'PYTHONIOENCODING']);
  });

  it('children that sleep past the parent\'s end are killed', async () => {
    const r = await contained(py('import subprocess, os\nsubprocess.Popen(["sleep", "30"], start_new_session=True)\nif os.fork() == 0:\n    os.setsid()\n    import time; time.sleep(30)'));
    expect(r.status).toBe('passed');
    const j = await contained(js('require("child_process").spawn("sleep", ["30"], { detached: true, stdio: "ignore" }).unref()'));
    expect(j.status).toBe('passed');
  });

  it('exiting with 0 before the tests run is not passed', async () => {
    expect((await contained(py('import os\nos._exit(0)\nassert False'))).status).toBe('failed');
    expect((await contained(py('import sys\nsys.exit(0)\nassert False'))).status).toBe('failed');
    expect((await contained(js('process.exit(0); throw new Error("tests")'))).status).toBe('failed');
    expect((await contained(js('setTimeout(() => process.exit(0), 10)'))).status).toBe('failed');
  });

  it('tampering with the harness does not make a failing program pass', async () => {
    const tamper = [
      py('import os\nos.write(3, b"0" * 32)\nprint("passed")\nos._exit(0)'),
      py('import os, sys\nos._exit = lambda c: None\nos.write = lambda *a: 32\nsys.exit = lambda *a: None\nassert False'),
      py('import os\nfor f in os.listdir("."):\n    os.remove(f)\nos.close(3)\nassert False'),
      py('import builtins\nbuiltins.exec = lambda *a, **k: None\nbuiltins.compile = lambda *a, **k: None\nraise SystemExit(0)'),
      js('process.emit("beforeExit"); process.exit(0)'),
      js('require("fs").writeSync = () => 32; process.removeAllListeners("beforeExit"); throw new Error("tests")'),
    ];
    for (const t of tamper) expect((await contained(t)).status, t.code).not.toBe('passed');
  });
});
