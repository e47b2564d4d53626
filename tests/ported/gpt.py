"""A small GPT and its trainer, as people write them with ``import torch``.

Token and learned position embeddings, pre-norm blocks of causal self-attention (written by
hand with one ``nn.Linear`` for q, k and v, a ``tril`` mask buffer, ``masked_fill`` and
``softmax``; or ``F.scaled_dot_product_attention(..., is_causal=True)``; or
``nn.MultiheadAttention``) and a GELU MLP, the output layer tied to the
token embedding, parameters split into weight-decay groups, AdamW, a warmup-then-cosine
``LambdaLR``, gradient clipping, a ``DataLoader`` over a ``TensorDataset``, and greedy
generation under ``@torch.no_grad()``.
"""

import math
from dataclasses import dataclass


@dataclass
class GPTConfig:
    vocab_size: int = 11
    block_size: int = 8
    n_layer: int = 2
    n_head: int = 2
    n_embd: int = 16
    dropout: float = 0.0
    bias: bool = True
    attention: str = "manual"      # "sdpa": F.scaled_dot_product_attention; "mha"


def program(torch, weights=None, data=None, steps=0, dtype="float32", attention="manual"):
    """Build the model (loading ``weights`` if given) and train it for ``steps`` steps.

    Returns the losses, the final state dict and a greedy continuation of a prompt.
    """
    nn = torch.nn
    F = torch.nn.functional
    from_numpy = torch.from_numpy

    class CausalSelfAttention(nn.Module):
        def __init__(self, config):
            super().__init__()
            assert config.n_embd % config.n_head == 0
            self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd, bias=config.bias)
            self.c_proj = nn.Linear(config.n_embd, config.n_embd, bias=config.bias)
            self.attn_dropout = nn.Dropout(config.dropout)
            self.resid_dropout = nn.Dropout(config.dropout)
            self.n_head = config.n_head
            self.n_embd = config.n_embd
            self.dropout = config.dropout
            # the fused kernel where the library has one (asked for by "sdpa" here)
            self.flash = config.attention == "sdpa" and \
                hasattr(torch.nn.functional, "scaled_dot_product_attention")
            mask = torch.tril(torch.ones(config.block_size, config.block_size))
            self.register_buffer("bias", mask.view(1, 1, config.block_size, config.block_size))

        def forward(self, x):
            B, T, C = x.size()
            q, k, v = self.c_attn(x).split(self.n_embd, dim=2)
            k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
            q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
            v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
            if self.flash:
                y = torch.nn.functional.scaled_dot_product_attention(
                    q, k, v, attn_mask=None, dropout_p=self.dropout if self.training else 0,
                    is_causal=True)
            else:
                att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
                att = att.masked_fill(self.bias[:, :, :T, :T] == 0, float("-inf"))
                att = F.softmax(att, dim=-1)
                att = self.attn_dropout(att)
                y = att @ v
            y = y.transpose(1, 2).contiguous().view(B, T, C)
            return self.resid_dropout(self.c_proj(y))

    class MHASelfAttention(nn.Module):
        def __init__(self, config):
            super().__init__()
            self.attn = nn.MultiheadAttention(config.n_embd, config.n_head,
                                              dropout=config.dropout, bias=config.bias,
                                              batch_first=True)
            self.resid_dropout = nn.Dropout(config.dropout)

        def forward(self, x):
            T = x.shape[1]
            causal = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)
            y, _ = self.attn(x, x, x, attn_mask=causal, need_weights=False)
            return self.resid_dropout(y)

    class MLP(nn.Module):
        def __init__(self, config):
            super().__init__()
            self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd, bias=config.bias)
            self.gelu = nn.GELU()
            self.c_proj = nn.Linear(4 * config.n_embd, config.n_embd, bias=config.bias)
            self.dropout = nn.Dropout(config.dropout)

        def forward(self, x):
            return self.dropout(self.c_proj(self.gelu(self.c_fc(x))))

    class Block(nn.Module):
        def __init__(self, config):
            super().__init__()
            self.ln_1 = nn.LayerNorm(config.n_embd)
            if config.attention == "mha":
                self.attn = MHASelfAttention(config)
            else:
                self.attn = CausalSelfAttention(config)
            self.ln_2 = nn.LayerNorm(config.n_embd)
            self.mlp = MLP(config)

        def forward(self, x):
            x = x + self.attn(self.ln_1(x))
            x = x + self.mlp(self.ln_2(x))
            return x

    class GPT(nn.Module):
        def __init__(self, config):
            super().__init__()
            self.config = config
            self.transformer = nn.ModuleDict(dict(
                wte=nn.Embedding(config.vocab_size, config.n_embd),
                wpe=nn.Embedding(config.block_size, config.n_embd),
                drop=nn.Dropout(config.dropout),
                h=nn.ModuleList([Block(config) for _ in range(config.n_layer)]),
                ln_f=nn.LayerNorm(config.n_embd),
            ))
            self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
            self.transformer.wte.weight = self.lm_head.weight    # weight tying
            self.apply(self._init_weights)
            for pn, p in self.named_parameters():
                if pn.endswith("c_proj.weight"):
                    torch.nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * config.n_layer))

        def _init_weights(self, module):
            if isinstance(module, nn.Linear):
                torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)
                if module.bias is not None:
                    torch.nn.init.zeros_(module.bias)
            elif isinstance(module, nn.Embedding):
                torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)

        def forward(self, idx, targets=None):
            b, t = idx.size()
            assert t <= self.config.block_size, f"sequence of {t} > block size"
            pos = torch.arange(0, t, dtype=torch.long)
            tok_emb = self.transformer.wte(idx)
            pos_emb = self.transformer.wpe(pos)
            x = self.transformer.drop(tok_emb + pos_emb)
            for block in self.transformer.h:
                x = block(x)
            x = self.transformer.ln_f(x)
            if targets is not None:
                logits = self.lm_head(x)
                loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1),
                                       ignore_index=-1)
            else:
                logits = self.lm_head(x[:, [-1], :])
                loss = None
            return logits, loss

        def configure_optimizers(self, weight_decay, learning_rate, betas):
            param_dict = {pn: p for pn, p in self.named_parameters() if p.requires_grad}
            decay_params = [p for n, p in param_dict.items() if p.dim() >= 2]
            nodecay_params = [p for n, p in param_dict.items() if p.dim() < 2]
            optim_groups = [
                {"params": decay_params, "weight_decay": weight_decay},
                {"params": nodecay_params, "weight_decay": 0.0},
            ]
            return torch.optim.AdamW(optim_groups, lr=learning_rate, betas=betas)

        @torch.no_grad()
        def generate(self, idx, max_new_tokens):
            for _ in range(max_new_tokens):
                idx_cond = idx if idx.size(1) <= self.config.block_size \
                    else idx[:, -self.config.block_size:]
                logits, _ = self(idx_cond)
                logits = logits[:, -1, :]
                probs = F.softmax(logits, dim=-1)
                _, idx_next = torch.topk(probs, k=1, dim=-1)
                idx = torch.cat((idx, idx_next), dim=1)
            return idx

    config = GPTConfig(attention=attention)
    model = GPT(config)
    model = model.to(getattr(torch, dtype))
    if weights is not None:
        model.load_state_dict({k: from_numpy(v) for k, v in weights.items()})

    losses = []
    if steps:
        x, y = (from_numpy(a) for a in data)
        loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y),
                                             batch_size=4, shuffle=False, drop_last=True)
        optimizer = model.configure_optimizers(weight_decay=0.1, learning_rate=3e-3,
                                               betas=(0.9, 0.95))
        warmup, total = 2, steps

        def lr_lambda(it):
            if it < warmup:
                return (it + 1) / warmup
            progress = (it - warmup) / max(1, total - warmup)
            return 0.1 + 0.9 * 0.5 * (1.0 + math.cos(math.pi * progress))

        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda)
        model.train()
        step = 0
        while step < steps:
            for xb, yb in loader:
                _, loss = model(xb, yb)
                model.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                optimizer.step()
                scheduler.step()
                losses.append(loss.item())
                step += 1
                if step == steps:
                    break

    model.eval()
    prompt = torch.tensor([[1, 2, 3], [4, 5, 6]], dtype=torch.long)
    generated = model.generate(prompt, max_new_tokens=6)
    state = {k: v.detach().cpu().numpy().copy() for k, v in model.state_dict().items()}
    return {"losses": losses, "state": state, "generated": generated.tolist()}
