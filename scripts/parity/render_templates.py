"""Renders the chat templates of tests/fixtures/tok/* with Jinja2 set up exactly as transformers'
apply_chat_template sets it up (chat_template_utils._compile_jinja_template / render_jinja_template), and writes
the texts to tests/fixtures/tok/rendered.json for tests/model/chat-template.test.ts. Needs only jinja2:
    python3 scripts/parity/render_templates.py
The clock is frozen at 2026-01-15 12:00 so strftime_now is reproducible."""

import json
from datetime import datetime
from pathlib import Path

import jinja2
from jinja2.ext import loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment

ROOT = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "tok"
NOW = datetime(2026, 1, 15, 12, 0, 0)


def compile_template(source):
    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = lambda fmt: NOW.strftime(fmt)
    return env.from_string(source)


def special_tokens_map(cfg):
    out = {}
    for k in ["bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"]:
        v = cfg.get(k)
        if isinstance(v, dict):
            v = v["content"]
        if v is not None:
            out[k] = v
    if cfg.get("additional_special_tokens"):
        out["additional_special_tokens"] = [t["content"] if isinstance(t, dict) else t for t in cfg["additional_special_tokens"]]
    return out


def template_of(d, name):
    if (d / "chat_template.jinja").exists():
        return (d / "chat_template.jinja").read_text()
    t = json.loads((d / "tokenizer_config.json").read_text())["chat_template"]
    return t if isinstance(t, str) else next(x["template"] for x in t if x["name"] == (name or "default"))


SYSTEM_USER = [{"role": "system", "content": "Answer briefly."}, {"role": "user", "content": "What is 2+2?"}]
MULTI = [
    {"role": "system", "content": "Think, then answer."},
    {"role": "user", "content": "What is 2+2?"},
    {"role": "assistant", "content": "<think>\n2+2 is 4\n</think>\nThe answer is 4."},
    {"role": "user", "content": "And 3+3?"},
]
NO_SYSTEM = [{"role": "user", "content": "  the answer, with spaces  \n"}]
TOOLS = [{"type": "function", "function": {"name": "add", "description": "Adds two numbers é", "parameters": {"type": "object", "properties": {"a": {"type": "number"}, "b": {"type": "number"}}}}}]
TOOL_TURNS = [
    {"role": "user", "content": "Add 2 and 2."},
    {"role": "assistant", "content": None, "tool_calls": [{"type": "function", "function": {"name": "add", "arguments": "{\"a\": 2, \"b\": 2}"}}]},
    {"role": "tool", "content": "4"},
]
TRAIN = SYSTEM_USER + [{"role": "assistant", "content": "4"}]

CASES = [
    ("qwen-like", None, SYSTEM_USER, True, None),
    ("qwen-like", None, MULTI, True, None),
    ("qwen-like", None, NO_SYSTEM, True, None),
    ("qwen-like", None, TRAIN, False, None),
    ("qwen-like", None, SYSTEM_USER, True, TOOLS),
    ("qwen-like", "llama3", SYSTEM_USER, True, None),
    ("qwen-like", "llama3", MULTI, True, None),
    ("qwen-like", "llama3", [{"role": "tool", "content": "4"}], True, None),
    ("r1-like", None, SYSTEM_USER, True, None),
    ("r1-like", None, MULTI, True, None),
    ("r1-like", None, NO_SYSTEM, False, None),
    ("r1-like", None, TRAIN, False, None),
    ("r1-like", None, TOOL_TURNS, True, None),
]


def main():
    out = []
    for d, name, messages, agp, tools in CASES:
        cfg = json.loads((ROOT / d / "tokenizer_config.json").read_text())
        case = {"dir": d, "template": name, "messages": messages, "add_generation_prompt": agp}
        if tools:
            case["tools"] = tools
        try:
            case["text"] = compile_template(template_of(ROOT / d, name)).render(
                messages=messages, tools=tools, documents=None, add_generation_prompt=agp, **special_tokens_map(cfg)
            )
        except jinja2.exceptions.TemplateError as e:
            case["error"] = str(e)
        out.append(case)
    (ROOT / "rendered.json").write_text(json.dumps({"jinja2": jinja2.__version__, "now": NOW.isoformat(), "cases": out}, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
