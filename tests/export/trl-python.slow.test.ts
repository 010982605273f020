// The TRL bridge end to end: `reprise export trl` and `reprise rewards serve` as real subprocesses, and python3
// (standard library only) calling the exported reprise_rewards.py as TRL calls reward functions. Its scores must
// be identical to the registry's on the same inputs.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { cli, serveCli } from '../cli-process.js';
import { CODE_ITEMS, CODE_REWARDS, MATH_ITEMS, MATH_REWARDS, registryScores } from '../serve/reward-cases.js';

const root = resolve(__dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'reprise-trl-py-'));
const out = join(dir, 'export');

const REWARDS = [...MATH_REWARDS, ...CODE_REWARDS].map((r, i) => ({ ...r, weight: 1 + i / 8 }));
const ITEMS = [...MATH_ITEMS, ...CODE_ITEMS];
// token counts differ from character counts, so the test sees that completion_ids reach the length rewards
const LENGTHS = ITEMS.map((_, i) => 7 + ((i * 13) % 50));

// TRL: reward_func(prompts=..., completions=..., completion_ids=..., **dataset columns, trainer_state=..., log_extra=...)
const DRIVER = `
import json, sys
sys.path.insert(0, sys.argv[1])
import reprise_rewards as R
case = json.load(open(sys.argv[2]))
scores = {}
for attr in case["attrs"]:
    fn = getattr(R, attr)
    assert fn.__name__ == attr, (fn.__name__, attr)
    scores[attr] = fn(prompts=case["prompts"], completions=case["completions"], completion_ids=case["completion_ids"],
                      trainer_state=object(), log_extra=lambda *a, **k: None, **case["columns"])
try:
    R.score([{"name": "acuracy"}], ["x"])
    error = None
except RuntimeError as e:
    error = str(e)
R.URL = "http://127.0.0.1:9"
try:
    R.accuracy(completions=["x"], answer=["1"])
    down = None
except RuntimeError as e:
    down = str(e)
json.dump({"scores": scores, "error": error, "down": down}, sys.stdout)
`;

let server: { url: string; stop: () => void } | undefined;
beforeAll(async () => {
  const recipe = parse(readFileSync(join(root, 'recipes/tiny-r1/v1.yaml'), 'utf8')) as Record<string, any>;
  recipe.datagen.splits = { sft: { count: 8, digit_weights: [1, 1] }, rl: { count: 8, digit_weights: [1, 1] }, test: { count: 4, digit_weights: [0, 1] } };
  recipe.grpo.rewards = REWARDS;
  writeFileSync(join(dir, 'recipe.yaml'), stringify(recipe));
  const ex = await cli(['export', 'trl', join(dir, 'recipe.yaml'), '--out', out, '--model', 'Qwen/Qwen2.5-0.5B-Instruct']);
  expect(ex.code, ex.stderr).toBe(0);

  server = await serveCli(['rewards', 'serve', '--port', '0'], /Reprise rewards: (http:\/\/127\.0\.0\.1:\d+)\//);
}, 120_000);

afterAll(() => {
  server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('python3 with the exported reprise_rewards.py against `reprise rewards serve`', () => {
  it('gets scores identical to the TypeScript registry for every reward, and a clear error for a bad one', async () => {
    const column = (k: 'answer' | 'solution' | 'gold') => ITEMS.map((x) => (x as Record<string, unknown>)[k] ?? null);
    const attrs = (parse(readFileSync(join(out, 'grpo.yaml'), 'utf8')) as { reward_funcs: string[] }).reward_funcs.map((f) => f.replace('reprise_rewards.', ''));
    expect(attrs).toHaveLength(REWARDS.length);
    const casePath = join(dir, 'case.json');
    writeFileSync(
      casePath,
      JSON.stringify({
        attrs,
        prompts: ITEMS.map((x) => x.prompt),
        completions: ITEMS.map((x) => x.completion),
        completion_ids: LENGTHS.map((n) => Array.from({ length: n }, (_, i) => i)),
        columns: { answer: column('answer'), solution: column('solution'), gold: column('gold') },
      }),
    );
    writeFileSync(join(dir, 'driver.py'), DRIVER);
    const py = spawnSync('python3', ['-I', join(dir, 'driver.py'), out, casePath], { encoding: 'utf8', env: { PATH: process.env.PATH, REPRISE_REWARDS_URL: server!.url } });
    expect(py.status, py.stderr).toBe(0);
    const got = JSON.parse(py.stdout) as { scores: Record<string, (number | null)[]>; error: string; down: string };

    const want = await registryScores(REWARDS, ITEMS, LENGTHS);
    expect(attrs.map((a) => got.scores[a])).toEqual(want);
    // what was compared: right/wrong/malformed/think-format answers, nulls, and code run in the sandbox
    expect(want[0].slice(0, 3)).toEqual([1, 0, 0]);
    expect(want[0][9]).toBeNull();
    expect(want[attrs.indexOf('code')].slice(-3)).toEqual([1, 0.5, 0]);
    expect(await registryScores(REWARDS, ITEMS)).not.toEqual(want);
    expect(got.error).toMatch(/HTTP 400: .*rewards\[0\]\.name.*did you mean/);
    expect(got.down).toMatch(/reward server http:\/\/127\.0\.0\.1:9 unreachable .*reprise rewards serve/);
  }, 120_000);
});
