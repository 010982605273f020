// The text of reprise_rewards.py: TRL reward functions (standard library only) that score through
// `reprise rewards serve`, so TRL and Reprise get their rewards from the same registry code.

import type { ExportReward } from './trl.js';

const py = (v: unknown) => JSON.stringify(JSON.stringify(v));

export function rewardModule(rewards: readonly ExportReward[], url: string): string {
  const defs = rewards.map((r) => `${r.attr} = make_reward(${JSON.stringify(r.name)}, json.loads(${py(r.params)}), ${JSON.stringify(r.attr)})`);
  return `"""Reprise's rewards as TRL reward functions (written by \`reprise export trl\`; standard library only).

TRL calls each function with prompts, completions, completion_ids and the dataset's columns; it returns one
score per completion, or None where the reward cannot judge (TRL counts None as NaN). The scores come from
Reprise's reward registry over HTTP: start \`reprise rewards serve\` first (REPRISE_REWARDS_URL if it is not
${url}). Completions of one prompt are scored together, so group-level rewards (length) see their group.
"""
import json
import os
import urllib.error
import urllib.request
import warnings

URL = os.environ.get("REPRISE_REWARDS_URL", ${JSON.stringify(url)}).rstrip("/")
TIMEOUT_S = float(os.environ.get("REPRISE_REWARDS_TIMEOUT", "600"))
GOLD_COLUMNS = ("gold", "answer", "solution")
_warned = set()


def _warn_once(message):
    if message not in _warned:
        _warned.add(message)
        warnings.warn(message, stacklevel=3)


def score(rewards, completions, prompts=None, completion_ids=None, **columns):
    """Scores one batch with the given rewards ([{"name", "params"?, "weight"?}]); returns the server's reply."""
    items = []
    for i, completion in enumerate(completions):
        item = {"completion": completion}
        if prompts is not None:
            item["prompt"] = prompts[i]
        if completion_ids is not None:
            item["length"] = len(completion_ids[i])
        for key in GOLD_COLUMNS:
            if isinstance(columns.get(key), list) and columns[key][i] is not None:
                item[key] = columns[key][i]
        items.append(item)
    body = json.dumps({"rewards": rewards, "items": items}).encode()
    request = urllib.request.Request(URL + "/score", data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            reply = json.load(response)
    except urllib.error.HTTPError as e:
        raise RuntimeError(f"reward server {URL}: HTTP {e.code}: {e.read().decode(errors='replace')}") from None
    except urllib.error.URLError as e:
        raise RuntimeError(f"reward server {URL} unreachable ({e.reason}); start it with: reprise rewards serve") from None
    for message in reply["warnings"]:
        _warn_once(f"reprise rewards: {message}")
    return reply


def make_reward(name, params=None, attr=None):
    """A TRL reward function for one registry reward with fixed parameters."""
    spec = {"name": name, "params": params or {}}

    def reward(completions, prompts=None, completion_ids=None, **kwargs):
        reply = score([spec], completions, prompts, completion_ids, **kwargs)
        scores = reply["rewards"][0]["scores"]
        if any(s is None for s in scores):
            _warn_once(f"reprise rewards: {name} returned None (reasons so far: {reply['nulls'].get(name)})")
        return scores

    reward.__name__ = attr or name
    return reward


${defs.join('\n')}
`;
}
