"""Extract the dataclass field names of TRL's config classes (and transformers' TrainingArguments) from the wheels.

Writes src/export/trl-fields.json, which `reprise export trl` and its test check every exported key against.
Standard library only: the wheels are read as zip files and parsed with ast, nothing is imported or installed.

    python3 scripts/trl/extract_fields.py trl-1.13.0-py3-none-any.whl transformers-5.17.0-py3-none-any.whl \
        > src/export/trl-fields.json

open-r1's additions (src/open_r1/configs.py) are not on a package index; they are kept by hand in OPEN_R1 below,
with the commit they were read from.
"""
import ast
import json
import sys
import zipfile

# class name -> (wheel, path inside the wheel); bases are resolved by name within this table.
CLASSES = {
    "TrainingArguments": ("transformers", "transformers/training_args.py"),
    "_BaseConfig": ("trl", "trl/trainer/base_config.py"),
    "GRPOConfig": ("trl", "trl/trainer/grpo_config.py"),
    "SFTConfig": ("trl", "trl/trainer/sft_config.py"),
    "ModelConfig": ("trl", "trl/trainer/model_config.py"),
    "ScriptArguments": ("trl", "trl/scripts/utils.py"),
    "DatasetMixtureConfig": ("trl", "trl/scripts/utils.py"),
    "GRPOScriptArguments": ("trl", "trl/scripts/grpo.py"),
}

# The dataclasses each command line parses (trl/scripts/grpo.py and sft.py: make_parser's dataclass_types).
PARSERS = {
    "trl grpo": ["GRPOScriptArguments", "GRPOConfig", "ModelConfig", "DatasetMixtureConfig"],
    "trl sft": ["ScriptArguments", "SFTConfig", "ModelConfig", "DatasetMixtureConfig"],
}

# huggingface/open-r1 src/open_r1/configs.py at commit 8d139cbe6af405b8a12d9a805c9594f094f39ac0: fields each
# class adds to the TRL class it extends; open-r1's grpo.py and sft.py parse (GRPOScriptArguments, GRPOConfig,
# ModelConfig) and (ScriptArguments, SFTConfig, ModelConfig).
OPEN_R1 = {
    "commit": "8d139cbe6af405b8a12d9a805c9594f094f39ac0",
    "path": "src/open_r1/configs.py",
    "classes": {
        "GRPOConfig": {"extends": "GRPOConfig", "fields": [
            "benchmarks", "callbacks", "chat_template", "system_prompt", "hub_model_revision", "overwrite_hub_revision",
            "push_to_hub_revision", "wandb_entity", "wandb_project"]},
        "SFTConfig": {"extends": "SFTConfig", "fields": [
            "benchmarks", "callbacks", "chat_template", "system_prompt", "hub_model_revision", "overwrite_hub_revision",
            "push_to_hub_revision", "wandb_entity", "wandb_project"]},
        "GRPOScriptArguments": {"extends": "ScriptArguments", "fields": [
            "reward_funcs", "cosine_min_value_wrong", "cosine_max_value_wrong", "cosine_min_value_correct",
            "cosine_max_value_correct", "cosine_max_len", "repetition_n_grams", "repetition_max_penalty", "code_language",
            "code_eval_test_batch_size", "parallel_code_exec_per_proc", "dataset_prompt_column", "max_completion_len",
            "soft_punish_cache"]},
    },
    "parsers": {
        "open-r1 grpo": ["open-r1:GRPOScriptArguments", "open-r1:GRPOConfig", "ModelConfig"],
        "open-r1 sft": ["ScriptArguments", "open-r1:SFTConfig", "ModelConfig"],
    },
}


def dataclass_fields(source: str, name: str):
    """Own annotated class-level names of class `name` (dataclass fields), and its base class names."""
    for node in ast.parse(source).body:
        if isinstance(node, ast.ClassDef) and node.name == name:
            bases = [b.id if isinstance(b, ast.Name) else ast.unparse(b) for b in node.bases]
            fields = []
            for st in node.body:
                if isinstance(st, ast.AnnAssign) and isinstance(st.target, ast.Name):
                    if st.target.id.startswith("_") or "ClassVar" in ast.unparse(st.annotation):
                        continue
                    fields.append(st.target.id)
            return fields, bases
    raise SystemExit(f"class {name} not found")


def version_of(wheel: zipfile.ZipFile) -> str:
    meta = next(n for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))
    for line in wheel.read(meta).decode().splitlines():
        if line.startswith("Version: "):
            return line.split(": ", 1)[1]
    raise SystemExit("no version in METADATA")


def main(trl_wheel: str, transformers_wheel: str) -> None:
    wheels = {"trl": zipfile.ZipFile(trl_wheel), "transformers": zipfile.ZipFile(transformers_wheel)}
    out = {
        "generated_by": "scripts/trl/extract_fields.py",
        "sources": {k: {"version": version_of(w), "wheel": w.filename.rsplit("/", 1)[-1]} for k, w in wheels.items()},
        "classes": {},
        "parsers": PARSERS,
        "open_r1": OPEN_R1,
    }
    for name, (pkg, path) in CLASSES.items():
        fields, bases = dataclass_fields(wheels[pkg].read(path).decode(), name)
        out["classes"][name] = {"path": f"{pkg}: {path}", "bases": [b for b in bases if b in CLASSES], "fields": fields}
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(*sys.argv[1:3])
