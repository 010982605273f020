"""Fixed text, chat templates and chat cases for make_fixtures.py (no torch needed, so it can be checked anywhere)."""

# Text the byte-level BPE is trained on: words, digits, LaTeX and the think tags, so merges cover what tests render.
TRAIN_TEXT = [
    "The answer is 42. Let me think step by step about the problem first.",
    "<think>\nWe need 3 + 4 = 7, then 7 * 6 = 42.\n</think>\n\nThe answer is \\boxed{42}.",
    "Compute \\frac{1}{2} + \\frac{1}{3} = \\frac{5}{6}; so $x^2 + y^2 = z^2$ holds for 3, 4, 5.",
    "You are a helpful assistant. Please reason step by step, and put your final answer within \\boxed{}.",
    "What is 12 * 13? It is 156. What is 2^10? It is 1024. The sum 1+2+...+100 = 5050.",
    "Solve for x: 2x + 3 = 11. Subtract 3 from both sides, then divide by 2, so x = 4.",
    "\\begin{aligned} a &= b + c \\\\ \\sqrt{16} &= 4 \\end{aligned} and \\sum_{i=1}^{n} i = \\frac{n(n+1)}{2}",
    "The quick brown fox jumps over the lazy dog. café naïve résumé — ok!",
    "def add(a, b):\n    return a + b\n\nprint(add(2, 3))  # prints 5\n",
    "Hello! How can I help you today? I can solve math problems, write code, and answer questions.",
]

# Special tokens: (content, special). <think> and </think> are added tokens but not special, as in R1-distill models.
QWEN_SPECIALS = [("<|endoftext|>", True), ("<|im_start|>", True), ("<|im_end|>", True),
                 ("<think>", False), ("</think>", False)]
LLAMA_SPECIALS = [("<|begin_of_text|>", True), ("<|end_of_text|>", True), ("<|start_header_id|>", True),
                  ("<|end_header_id|>", True), ("<|eot_id|>", True)]

# Qwen2.5-Instruct style: ChatML with a default system prompt when the conversation has none.
CHATML_DEFAULT_SYSTEM = (
    "{%- if messages[0]['role'] == 'system' %}\n"
    "    {{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}\n"
    "{%- else %}\n"
    "    {{- '<|im_start|>system\\n__SYSTEM__<|im_end|>\\n' }}\n"
    "{%- endif %}\n"
    "{%- for message in messages %}\n"
    "    {%- if not (message.role == 'system' and loop.first) %}\n"
    "        {{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}\n"
    "    {%- endif %}\n"
    "{%- endfor %}\n"
    "{%- if add_generation_prompt %}\n"
    "    {{- '<|im_start|>assistant\\n' }}\n"
    "{%- endif %}\n"
)


def chatml_template(default_system):
    return CHATML_DEFAULT_SYSTEM.replace("__SYSTEM__", default_system)


# DeepSeek-R1-Distill style on ChatML tokens: no default system prompt, earlier assistant turns lose their
# reasoning (everything up to the last </think>), and the generation prompt is prefilled with "<think>\n".
R1_DISTILL = (
    "{%- set ns = namespace(system='') %}\n"
    "{%- for message in messages %}\n"
    "    {%- if message['role'] == 'system' %}{% set ns.system = message['content'] %}{% endif %}\n"
    "{%- endfor %}\n"
    "{%- if ns.system %}{{- '<|im_start|>system\\n' + ns.system + '<|im_end|>\\n' }}{%- endif %}\n"
    "{%- for message in messages %}\n"
    "    {%- if message['role'] == 'user' %}\n"
    "        {{- '<|im_start|>user\\n' + message['content'] + '<|im_end|>\\n' }}\n"
    "    {%- elif message['role'] == 'assistant' %}\n"
    "        {%- set content = message['content'] %}\n"
    "        {%- if '</think>' in content %}{% set content = content.split('</think>')[-1] | trim %}{% endif %}\n"
    "        {{- '<|im_start|>assistant\\n' + content + '<|im_end|>\\n' }}\n"
    "    {%- endif %}\n"
    "{%- endfor %}\n"
    "{%- if add_generation_prompt %}\n"
    "    {{- '<|im_start|>assistant\\n<think>\\n' }}\n"
    "{%- endif %}\n"
)

# Llama-3 style: the template itself renders bos_token; system message taken out of the list and trimmed.
LLAMA3 = (
    "{{- bos_token }}\n"
    "{%- if messages[0]['role'] == 'system' %}\n"
    "    {%- set system_message = messages[0]['content'] | trim %}\n"
    "    {%- set messages = messages[1:] %}\n"
    "{%- else %}\n"
    "    {%- set system_message = '' %}\n"
    "{%- endif %}\n"
    "{%- if system_message %}\n"
    "    {{- '<|start_header_id|>system<|end_header_id|>\\n\\n' + system_message + '<|eot_id|>' }}\n"
    "{%- endif %}\n"
    "{%- for message in messages %}\n"
    "    {{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + message['content'] | trim"
    " + '<|eot_id|>' }}\n"
    "{%- endfor %}\n"
    "{%- if add_generation_prompt %}\n"
    "    {{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}\n"
    "{%- endif %}\n"
)

SYSTEM = "Please reason step by step, and put your final answer within \\boxed{}."
CHAT_CASES = [
    ([{"role": "system", "content": SYSTEM},
      {"role": "user", "content": "What is 3 + 4 * 6?"}], True),
    ([{"role": "system", "content": SYSTEM},
      {"role": "user", "content": "What is 2^10?"},
      {"role": "assistant", "content": "<think>\n2^10 = 1024.\n</think>\n\nThe answer is \\boxed{1024}."},
      {"role": "user", "content": "And \\frac{1}{2} of it?"}], True),
    ([{"role": "user", "content": "  Hello! café 12 * 13?  "}], True),
    ([{"role": "user", "content": "Solve 2x + 3 = 11."},
      {"role": "assistant", "content": "<think>\nx = 4\n</think>\n\nx = \\boxed{4}"}], False),
]

# Strings whose plain encodings (with and without the tokenizer's own special tokens) and decodings are recorded.
ENCODE_CASES = [
    "The answer is \\boxed{42}.",
    "<think>\nLet me compute 1234 + 5678.\n</think>",
    "  leading spaces,\ttabs\n\nand newlines  ",
    "café naïve — 😀 unseen bytes ÿ",
    "<|im_start|>user\nhi<|im_end|>",
]

# The fixtures. old: None keeps transformers 5's rope_parameters in config.json; otherwise config.json is rewritten
# to the old rope_theta + rope_scaling layout, with this key naming the rope type.
SMOL_SYSTEM = "You are a helpful AI assistant named SmolLM, trained by Hugging Face"
ROPE_LLAMA3 = {"rope_type": "llama3", "rope_theta": 10000.0, "factor": 8.0, "low_freq_factor": 1.0,
               "high_freq_factor": 4.0, "original_max_position_embeddings": 64}
ROPE_YARN = {"rope_type": "yarn", "rope_theta": 10000.0, "factor": 4.0, "original_max_position_embeddings": 32,
             "beta_fast": 32.0, "beta_slow": 1.0}

# name, arch, dtype, tied, rope, old_layout (None = keep rope_parameters, else the type key), template, where, extra
MODELS = [
    dict(name="llama", arch="llama", dtype="float32", tied=True, rope={"rope_type": "default", "rope_theta": 10000.0},
         old="rope_type", template=("llama3", LLAMA3), where="tokenizer_config", family="llama", seed=11),
    dict(name="llama-bf16-sharded", arch="llama", dtype="bfloat16", tied=False, rope=ROPE_LLAMA3, old="rope_type",
         template=("llama3", LLAMA3), where="jinja", family="llama", hidden=64, inter=128, max_pos=512,
         shard="100KB", seed=12),
    dict(name="smollm2", arch="llama", dtype="float32", tied=True, rope={"rope_type": "default", "rope_theta": 1e5},
         old=None, template=("chatml-smollm2", chatml_template(SMOL_SYSTEM)), where="tokenizer_config",
         family="smol", seed=13),
    dict(name="qwen2", arch="qwen2", dtype="float32", tied=True, rope={"rope_type": "default", "rope_theta": 1e6},
         old=None, template=("r1-distill", R1_DISTILL), where="jinja", family="r1", seed=14),
    dict(name="qwen2-bf16", arch="qwen2", dtype="bfloat16", tied=False, rope=ROPE_YARN, old="type",
         template=("chatml-qwen2.5", chatml_template("You are a helpful assistant.")), where="tokenizer_config",
         family="qwen", max_pos=128, vocab_multiple=64, seed=15),
    dict(name="qwen2-f16-linear", arch="qwen2", dtype="float16", tied=False,
         rope={"rope_type": "linear", "rope_theta": 1e6, "factor": 2.0}, old=None,
         template=("chatml-qwen2.5", chatml_template("You are a helpful assistant.")), where="jinja",
         family="qwen", seed=16),
    dict(name="qwen2-dynamic", arch="qwen2", dtype="float32", tied=True,
         rope={"rope_type": "dynamic", "rope_theta": 10000.0, "factor": 2.0}, old="type",
         template=("chatml-qwen2.5", chatml_template("You are a helpful assistant.")), where="tokenizer_config",
         family="qwen", max_pos=16, seed=17),
    dict(name="qwen3", arch="qwen3", dtype="float32", tied=True, rope={"rope_type": "default", "rope_theta": 1e6},
         old=None, template=("chatml-qwen2.5", chatml_template("You are a helpful assistant.")), where="jinja",
         family="qwen", head_dim=16, seed=18),
    dict(name="qwen3-bf16", arch="qwen3", dtype="bfloat16", tied=False, rope={"rope_type": "default", "rope_theta": 1e6},
         old=None, template=("chatml-qwen2.5", chatml_template("You are a helpful assistant.")), where="jinja",
         family="qwen", hidden=64, inter=128, head_dim=32, shard="100KB", seed=19),
]

# bos/eos/pad of the tokenizer, the eos ids of generation_config.json, and its sampling defaults.
FAMILY_TOKENS = {  # bos, eos (tokenizer), pad, generation eos ids, config bos, sampling defaults
    "llama": dict(bos="<|begin_of_text|>", eos="<|eot_id|>", pad="<|end_of_text|>",
                  gen_eos=["<|end_of_text|>", "<|eot_id|>"], sampling=dict(do_sample=True, temperature=0.6, top_p=0.9)),
    "smol": dict(bos="<|im_start|>", eos="<|im_end|>", pad="<|im_end|>", gen_eos="<|im_end|>", sampling={}),
    "r1": dict(bos=None, eos="<|im_end|>", pad="<|endoftext|>", gen_eos="<|im_end|>",
               sampling=dict(do_sample=True, temperature=0.6, top_p=0.95)),
    "qwen": dict(bos=None, eos="<|im_end|>", pad="<|endoftext|>", gen_eos=["<|im_end|>", "<|endoftext|>"],
                 sampling=dict(do_sample=True, temperature=0.7, top_p=0.8, top_k=20)),
}
