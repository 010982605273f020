"""Parse configs written by `reprise export trl` with TRL's own parser, as `trl sft` / `trl grpo` do, and check
that every key is accepted (fail_with_unknown_args) and reads back as the value written.

Needs torch, transformers and accelerate (the GPU machine has them); TRL is installed from its wheel into a
temporary directory, without dependencies:

    python3 scripts/trl/check_parse.py trl-1.13.0-py3-none-any.whl result.json EXPORT_DIR...
"""
import enum
import json
import subprocess
import sys
import tempfile

wheel, result_path, dirs = sys.argv[1], sys.argv[2], sys.argv[3:]
target = tempfile.mkdtemp()
subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index", "--target", target, wheel], check=True)
sys.path.insert(0, target)

import transformers  # noqa: E402
import trl  # noqa: E402
import yaml  # noqa: E402
from trl import DatasetMixtureConfig, GRPOConfig, ModelConfig, ScriptArguments, SFTConfig, TrlParser  # noqa: E402
from trl.scripts.grpo import GRPOScriptArguments  # noqa: E402

# trl/scripts/grpo.py and sft.py: make_parser's dataclass_types
PARSERS = {
    "grpo.yaml": (GRPOScriptArguments, GRPOConfig, ModelConfig, DatasetMixtureConfig),
    "sft.yaml": (ScriptArguments, SFTConfig, ModelConfig, DatasetMixtureConfig),
}


def plain(v):
    return v.value if isinstance(v, enum.Enum) else v


result = {"trl": trl.__version__, "transformers": transformers.__version__, "files": {}}
for d in dirs:
    for name, types in PARSERS.items():
        path = f"{d}/{name}"
        with open(path) as f:
            written = yaml.safe_load(f)
        entry = {"keys": len(written), "mismatches": [], "error": None}
        try:
            parsed = TrlParser(types).parse_args_and_config(["--config", path], fail_with_unknown_args=True)
            for key, value in written.items():
                holder = next(o for o in parsed if hasattr(o, key))
                got = plain(getattr(holder, key))
                if got != value or type(value) is float and type(got) is not float:
                    entry["mismatches"].append({"key": key, "written": value, "parsed": repr(got)})
        except BaseException as e:  # argparse exits on an unknown key
            entry["error"] = f"{type(e).__name__}: {e}"
        result["files"][path] = entry

json.dump(result, open(result_path, "w"), indent=1)
print(json.dumps(result, indent=1))
ok = all(not e["error"] and not e["mismatches"] for e in result["files"].values())
sys.exit(0 if ok else 1)
