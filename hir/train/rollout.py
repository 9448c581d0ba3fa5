"""Generation and verification: prompts in, scored episodes out (steps 1-2 of the algorithm).

Responses are sampled by our own loop over the model's KV cache (batched, left-padded prompts,
temperature and top-p), keeping per generated token the log-probability of the sampled token and
the entropy of the policy at the sampling temperature. A response ends at (and
includes) the first eos token, or after ``max_new_tokens``. Temperature 0 means greedy decoding
(the held-out evaluation).

``sequence_logprobs`` is the training-side forward pass: the log-probabilities of response tokens
given prompt tokens, for any (prompt, response) pairs, in micro-batches. Old-policy log-probs are
recomputed with it rather than taken from the sampler, so the PPO ratio of the first update
epoch is exactly 1 (sampler and training forward pass differ in padding and cache numerics).
"""

from __future__ import annotations

import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Sequence

import torch

from hir.instructions import Instruction
from hir.masks import Mask, mask as judge


@dataclass
class Episode:
    """One sequence in the update batch: a fresh rollout or a hindsight replay of one."""

    group: int                       # index of its prompt in this rank's batch
    instruction: Instruction         # the instruction it is scored against (hindsight for replays)
    prompt_ids: list[int]
    response_ids: list[int]
    response: str
    prompt: str = ""                 # the prompt text (before the chat template)
    reward: float = 0.0
    mask: Mask | None = None
    entropy: float | None = None     # mean token entropy at sampling time
    logprobs: list[float] = field(default_factory=list)   # sampler log-probs (fresh only)
    replay_of: int | None = None     # index in its group of the fresh episode it replays
    source: "Episode | None" = field(default=None, repr=False)  # that episode
    old_logprobs: torch.Tensor | None = None
    ref_logprobs: torch.Tensor | None = None
    advantage: float = 0.0

    @property
    def is_replay(self) -> bool:
        return self.replay_of is not None


def autocast(device: torch.device, bf16: bool):
    if bf16 and device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return nullcontext()


@dataclass
class Generated:
    response_ids: list[int]
    logprobs: list[float]
    entropies: list[float]


def _left_pad(batch: Sequence[list[int]], pad_id: int, device) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(len(x) for x in batch)
    ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
    att = torch.zeros((len(batch), width), dtype=torch.long)
    for i, x in enumerate(batch):
        ids[i, width - len(x):] = torch.tensor(x, dtype=torch.long)
        att[i, width - len(x):] = 1
    return ids.to(device), att.to(device)


def _accepts(model, name: str) -> bool:
    import inspect

    return name in inspect.signature(model.forward).parameters


def _cache_argument(model) -> str:
    """The KV-cache keyword: ``cache`` in recent transformers, ``past_key_values`` before."""
    return "cache" if _accepts(model, "cache") else "past_key_values"


def _sample(logp: torch.Tensor, top_p: float) -> torch.Tensor:
    """One token per row from log-probs, restricted to the top-p nucleus when top_p < 1.

    Drawn as argmax(p / E) with E ~ Exp(1) i.i.d. (the "exponential race", equivalent to
    Gumbel-max): exactly a categorical draw, and several times faster than
    ``torch.multinomial`` on CPU. Uses torch's global generator, so seeds reproduce it.
    """
    probs = logp.exp()
    if top_p < 1.0:
        sorted_probs, order = probs.sort(dim=-1, descending=True)
        outside = sorted_probs.cumsum(-1) - sorted_probs > top_p  # the top token always stays
        drop = torch.zeros_like(outside).scatter(-1, order, outside)
        probs = probs.masked_fill(drop, 0.0)
    noise = torch.empty_like(probs).exponential_()
    return (probs / noise).argmax(-1)


@torch.no_grad()
def _generate_batch(model, ids: torch.Tensor, att: torch.Tensor, *, temperature: float,
                    top_p: float, max_new_tokens: int, eos: int, pad: int, bf16: bool,
                    device: torch.device) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Our sampling loop over the model's KV cache: tokens, their log-probs and entropies.

    Only one step's logits are alive at a time (``generate(output_logits=True)`` would keep all
    of them: steps x batch x vocab floats). Rows that have emitted eos get ``pad`` afterwards.
    """
    n = ids.shape[0]
    positions = (att.cumsum(-1) - 1).clamp_min(0)  # left padding: real tokens start at 0
    finished = torch.zeros(n, dtype=torch.bool, device=device)
    tokens, logps, ents = [], [], []
    cache = None
    cache_arg = _cache_argument(model)
    # only the last position's logits are needed: skip the prompt's [batch, length, vocab] block
    extra = {"logits_to_keep": 1} if _accepts(model, "logits_to_keep") else {}
    inp, mask, pos = ids, att, positions
    for _ in range(max_new_tokens):
        with autocast(device, bf16):
            out = model(input_ids=inp, attention_mask=mask, position_ids=pos,
                        use_cache=True, **{cache_arg: cache}, **extra)
        cache = getattr(out, cache_arg)
        if cache is None:  # e.g. a model in train mode with gradient checkpointing
            raise RuntimeError("the model returned no KV cache; sample in eval mode")
        logits = out.logits[:, -1].float()
        if temperature == 0:
            logp = torch.log_softmax(logits, dim=-1)
            nxt = logits.argmax(-1)
        else:
            logp = torch.log_softmax(logits / temperature, dim=-1)
            nxt = _sample(logp, top_p)
        nxt = torch.where(finished, torch.full_like(nxt, pad), nxt)
        tokens.append(nxt)
        logps.append(logp.gather(-1, nxt[:, None]).squeeze(-1))
        ents.append(-(logp.exp() * logp).nan_to_num().sum(-1))
        finished |= nxt == eos
        if bool(finished.all()):
            break
        inp = nxt[:, None]
        mask = torch.cat([mask, torch.ones((n, 1), dtype=mask.dtype, device=device)], dim=1)
        pos = pos[:, -1:] + 1
    return torch.stack(tokens, 1), torch.stack(logps, 1), torch.stack(ents, 1)


def generate(model, tokenizer, prompts: Sequence[list[int]], *, temperature: float, top_p: float,
             max_new_tokens: int, device: torch.device, bf16: bool = False,
             batch_size: int = 64) -> list[Generated]:
    """Sample one response per prompt (repeat prompts for several); greedy when temperature == 0.

    Log-probs and entropies are of the policy at ``temperature`` (before top-p truncation), the
    same distribution the training forward pass scores.
    """
    eos = tokenizer.eos_token_id
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else eos
    out: list[Generated] = []
    for start in range(0, len(prompts), batch_size):
        chunk = prompts[start:start + batch_size]
        ids, att = _left_pad(chunk, pad, device)
        new, token_logp, entropy = _generate_batch(
            model, ids, att, temperature=temperature, top_p=top_p,
            max_new_tokens=max_new_tokens, eos=eos, pad=pad, bf16=bf16, device=device)
        new, token_logp, entropy = new.cpu(), token_logp.cpu(), entropy.cpu()
        for i in range(new.shape[0]):
            row = new[i].tolist()
            n = row.index(eos) + 1 if eos in row else len(row)
            out.append(Generated(row[:n], token_logp[i, :n].tolist(), entropy[i, :n].tolist()))
    return out


def _right_pad(pairs: Sequence[tuple[list[int], list[int]]], pad_id: int, device):
    width = max(len(p) + len(r) for p, r in pairs)
    ids = torch.full((len(pairs), width), pad_id, dtype=torch.long)
    att = torch.zeros((len(pairs), width), dtype=torch.long)
    resp = torch.zeros((len(pairs), width - 1), dtype=torch.bool)  # over shifted targets
    for i, (p, r) in enumerate(pairs):
        seq = p + r
        ids[i, :len(seq)] = torch.tensor(seq, dtype=torch.long)
        att[i, :len(seq)] = 1
        resp[i, len(p) - 1:len(seq) - 1] = True
    return ids.to(device), att.to(device), resp.to(device)


def forward_logprobs(model, pairs: Sequence[tuple[list[int], list[int]]], *, temperature: float,
                     pad_id: int, device: torch.device, bf16: bool = False
                     ) -> tuple[torch.Tensor, torch.Tensor]:
    """Log-probs of response tokens, shape [batch, max_response_len], and their mask.

    Differentiable (call under ``torch.no_grad()`` for old/reference log-probs). Log-probs are
    of the policy at the sampling ``temperature``, the distribution the responses came from.
    """
    ids, att, resp = _right_pad(pairs, pad_id, device)
    with autocast(device, bf16):
        logits = model(input_ids=ids, attention_mask=att, use_cache=False).logits
    targets = ids[:, 1:]
    # log_softmax (in float32) only at response positions: prompts are most of the sequence
    picked = logits[:, :-1][resp].float()
    if temperature not in (0, 1):
        picked = picked / temperature
    token_logp = torch.log_softmax(picked, dim=-1).gather(-1, targets[resp][:, None]).squeeze(-1)
    lengths = [len(r) for _, r in pairs]
    width = max(lengths)
    out = torch.zeros((len(pairs), width), dtype=token_logp.dtype, device=device)
    m = torch.zeros((len(pairs), width), dtype=torch.bool, device=device)
    for i, n in enumerate(lengths):
        m[i, :n] = True
    out[m] = token_logp
    return out, m


@torch.no_grad()
def sequence_logprobs(model, pairs: Sequence[tuple[list[int], list[int]]], *, temperature: float,
                      pad_id: int, device: torch.device, bf16: bool, micro_batch: int
                      ) -> list[torch.Tensor]:
    """Per-sequence response log-probs (CPU float32 tensors), computed in micro-batches."""
    out: list[torch.Tensor] = []
    for start in range(0, len(pairs), micro_batch):
        chunk = pairs[start:start + micro_batch]
        lp, m = forward_logprobs(model, chunk, temperature=temperature, pad_id=pad_id,
                                 device=device, bf16=bf16)
        for i in range(len(chunk)):
            out.append(lp[i, m[i]].float().cpu())
    return out


def verify(episode: Episode, *, mode: str, semantics: str, reward: str, checkers=None) -> None:
    """Step 2: the constraint mask and the reward (ILA: 0/1, CLA: fraction satisfied)."""
    episode.mask = judge(episode.instruction, episode.response, mode=mode, semantics=semantics,
                         checkers=checkers)
    episode.reward = float(episode.mask.ila) if reward == "ila" else float(episode.mask.cla)


@dataclass
class EvalResult:
    """Held-out success at temperature 0: ILA, CLA and the pass rate of each constraint id."""

    n: int
    ila: float
    cla: float
    by_id: dict[str, float]
    counts: dict[str, int]
    seconds: float = 0.0

    def row(self) -> dict:
        return {"eval_ila": self.ila, "eval_cla": self.cla, "eval_n": self.n,
                "eval_by_id": dict(sorted(self.by_id.items())),
                "eval_n_by_id": dict(sorted(self.counts.items()))}

    @classmethod
    def from_row(cls, row: dict) -> "EvalResult":
        return cls(n=row["eval_n"], ila=row["eval_ila"], cla=row["eval_cla"],
                   by_id=dict(row["eval_by_id"]), counts=dict(row.get("eval_n_by_id", {})),
                   seconds=row.get("eval_seconds", 0.0))


def evaluate(model, tokenizer, items, *, config, device: torch.device, d=None) -> EvalResult:
    """Greedy responses to held-out ``items`` (sharded over ranks when ``d`` is given)."""
    from .data import encode_prompt

    t0 = time.perf_counter()
    mine = d.shard(list(items)) if d is not None else list(items)
    prompts = [encode_prompt(tokenizer, it.prompt, system=config.system_prompt,
                             max_tokens=config.max_prompt_tokens) for it in mine]
    gens = generate(model, tokenizer, prompts, temperature=0.0, top_p=1.0,
                    max_new_tokens=config.max_new_tokens, device=device,
                    bf16=_bf16(config, device),
                    batch_size=config.generation_batch_size) if prompts else []
    ila = cla = 0.0
    passed: dict[str, float] = {}
    counts: dict[str, float] = {}
    for it, g in zip(mine, gens):
        text = tokenizer.decode(g.response_ids, skip_special_tokens=True)
        m = judge(it.instruction, text, mode=config.mode, semantics=config.semantics,
                  prompt=it.prompt)
        ila += float(m.ila)
        cla += m.cla
        for cid, ok in zip(it.instruction.ids, m.satisfied):
            passed[cid] = passed.get(cid, 0.0) + float(ok)
            counts[cid] = counts.get(cid, 0.0) + 1.0
    n = float(len(mine))
    if d is not None and d.enabled:
        # every rank must reduce the same keys: the union of constraint ids, in sorted order
        import torch.distributed as dist
        ids_all: list = [None] * d.world
        dist.all_gather_object(ids_all, sorted(counts))
        keys = sorted(set().union(*ids_all))
        vals = d.sum_floats(n, ila, cla, *[passed.get(k, 0.0) for k in keys],
                            *[counts.get(k, 0.0) for k in keys])
        n, ila, cla = vals[:3]
        passed = dict(zip(keys, vals[3:3 + len(keys)]))
        counts = dict(zip(keys, vals[3 + len(keys):]))
    return EvalResult(n=int(n), ila=ila / max(n, 1), cla=cla / max(n, 1),
                      by_id={k: passed[k] / counts[k] for k in counts if counts[k]},
                      counts={k: int(v) for k, v in counts.items()},
                      seconds=time.perf_counter() - t0)


def _bf16(config, device: torch.device) -> bool:
    return device.type == "cuda" if config.bf16 is None else bool(config.bf16 and
                                                                  device.type == "cuda")
