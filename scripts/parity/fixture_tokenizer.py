"""The fixtures' byte-level BPE tokenizer (trained with `tokenizers`) and its transformers wrapper per model dir."""
import json
import os

from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
from transformers import PreTrainedTokenizerFast

import fixture_data as F

# Qwen2's pre-tokenizer split: digits one by one, case-insensitive contractions.
QWEN_PAT = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|"
            r"\s+(?!\S)|\s+")


def write_json(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=1, ensure_ascii=False)
        f.write("\n")


def read_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def build_tokenizer():
    tok = Tokenizer(models.BPE())
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(QWEN_PAT), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ])
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=350, min_frequency=1, show_progress=False, special_tokens=[],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(F.TRAIN_TEXT * 4, trainer=trainer)
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    for content, special in F.QWEN_SPECIALS + F.LLAMA_SPECIALS:
        t = AddedToken(content, special=special, normalized=False, lstrip=False, rstrip=False, single_word=False)
        (tok.add_special_tokens if special else tok.add_tokens)([t])
    return tok


def with_bos(tok):
    """Llama-3's tokenizer.json shape: the post-processor adds <|begin_of_text|> to plain encodes."""
    t = Tokenizer.from_str(tok.to_str())
    bos = "<|begin_of_text|>"
    t.post_processor = processors.Sequence([
        processors.ByteLevel(trim_offsets=False),
        processors.TemplateProcessing(single=f"{bos} $A", pair=f"{bos} $A {bos} $B:1",
                                      special_tokens=[(bos, t.token_to_id(bos))]),
    ])
    return t


def make_hf_tokenizer(raw, spec, template):
    fam = F.FAMILY_TOKENS[spec["family"]]
    kw = dict(tokenizer_object=raw, eos_token=fam["eos"], pad_token=fam["pad"], chat_template=template)
    if fam["bos"] is not None:
        kw["bos_token"] = fam["bos"]
    if spec["family"] == "llama":
        kw["add_bos_token"] = True
    return PreTrainedTokenizerFast(**kw)


def place_chat_template(d, template, where):
    """Put the template exactly where the spec says: tokenizer_config.json's chat_template or chat_template.jinja."""
    tc_path, jinja_path = os.path.join(d, "tokenizer_config.json"), os.path.join(d, "chat_template.jinja")
    tc = read_json(tc_path)
    tc.pop("chat_template", None)
    if os.path.exists(jinja_path):
        os.remove(jinja_path)
    if where == "jinja":
        with open(jinja_path, "w", encoding="utf-8") as f:
            f.write(template)
    else:
        tc["chat_template"] = template
    write_json(tc_path, tc)
