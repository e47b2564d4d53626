"""A word-level language model (an LSTM or a Transformer), as people write one with torch.

A Dictionary and Corpus turn text into a tensor of word ids; ``batchify`` lays the corpus
out in columns; training walks it in windows of ``bptt`` words, detaching the hidden state
between windows, clips the gradient norm and updates the weights by hand
(``p.data.add_(p.grad, alpha=-lr)``); evaluation runs under ``torch.no_grad()`` in eval
mode and reports the perplexity. The Transformer variant subclasses ``nn.Transformer``,
adds sinusoidal positions from a buffer and masks with ``log(tril(ones))``.
"""

import math

TEXT = """the cat sat on the mat . the dog sat on the log .
a cat saw a dog and the dog saw a cat .
the bird flew over the mat and the cat watched the bird .
a dog ran to the log and sat down . the cat ran after the bird .
"""


class Dictionary:
    def __init__(self):
        self.word2idx = {}
        self.idx2word = []

    def add_word(self, word):
        if word not in self.word2idx:
            self.idx2word.append(word)
            self.word2idx[word] = len(self.idx2word) - 1
        return self.word2idx[word]

    def __len__(self):
        return len(self.idx2word)


def program(torch, weights=None, data=None, steps=0, dtype="float32", tie_weights=False,
            model_type="LSTM"):
    """Build the model (loading ``weights`` if given) and train it for ``steps`` windows.

    ``model_type`` is ``"LSTM"`` or ``"Transformer"`` (a subclass of ``nn.Transformer``
    whose encoder runs under a causal mask of log(0) = -inf above the diagonal).
    """
    nn = torch.nn
    F = torch.nn.functional

    class Corpus:
        def __init__(self, text):
            self.dictionary = Dictionary()
            lines = [line for line in text.split("\n") if line.strip()]
            self.train = self.tokenize(lines[:-1])
            self.valid = self.tokenize(lines[-1:])

        def tokenize(self, lines):
            idss = []
            for line in lines:
                words = line.split() + ["<eos>"]
                ids = [self.dictionary.add_word(word) for word in words]
                idss.append(torch.tensor(ids).type(torch.int64))
            return torch.cat(idss)

    class RNNModel(nn.Module):
        """Container module with an encoder, a recurrent module, and a decoder."""

        def __init__(self, ntoken, ninp, nhid, nlayers, dropout=0.5, tie_weights=False):
            super().__init__()
            self.ntoken = ntoken
            self.drop = nn.Dropout(dropout)
            self.encoder = nn.Embedding(ntoken, ninp)
            self.rnn = nn.LSTM(ninp, nhid, nlayers, dropout=dropout)
            self.decoder = nn.Linear(nhid, ntoken)
            if tie_weights:
                if nhid != ninp:
                    raise ValueError("When using the tied flag, nhid must be equal to emsize")
                self.decoder.weight = self.encoder.weight
            self.init_weights()
            self.nhid = nhid
            self.nlayers = nlayers

        def init_weights(self):
            initrange = 0.1
            nn.init.uniform_(self.encoder.weight, -initrange, initrange)
            nn.init.zeros_(self.decoder.bias)
            nn.init.uniform_(self.decoder.weight, -initrange, initrange)

        def forward(self, input, hidden):
            emb = self.drop(self.encoder(input))
            output, hidden = self.rnn(emb, hidden)
            output = self.drop(output)
            decoded = self.decoder(output)
            decoded = decoded.view(-1, self.ntoken)
            return F.log_softmax(decoded, dim=1), hidden

        def init_hidden(self, bsz):
            weight = next(self.parameters())
            return (weight.new_zeros(self.nlayers, bsz, self.nhid),
                    weight.new_zeros(self.nlayers, bsz, self.nhid))

    class PositionalEncoding(nn.Module):
        """Sines and cosines of the position, added to the embeddings."""

        def __init__(self, d_model, dropout=0.1, max_len=5000):
            super().__init__()
            self.dropout = nn.Dropout(p=dropout)
            pe = torch.zeros(max_len, d_model)
            position = torch.arange(0, max_len, dtype=torch.float).unsqueeze(1)
            div_term = torch.exp(torch.arange(0, d_model, 2).float()
                                 * (-math.log(10000.0) / d_model))
            pe[:, 0::2] = torch.sin(position * div_term)
            pe[:, 1::2] = torch.cos(position * div_term)
            pe = pe.unsqueeze(0).transpose(0, 1)
            self.register_buffer("pe", pe)

        def forward(self, x):
            x = x + self.pe[:x.size(0), :]
            return self.dropout(x)

    class TransformerModel(nn.Transformer):
        """Container module with an encoder, a transformer encoder, and a decoder."""

        def __init__(self, ntoken, ninp, nhead, nhid, nlayers, dropout=0.5):
            super().__init__(d_model=ninp, nhead=nhead, dim_feedforward=nhid,
                             num_encoder_layers=nlayers, dropout=dropout)
            self.model_type = "Transformer"
            self.src_mask = None
            self.pos_encoder = PositionalEncoding(ninp, dropout)
            self.input_emb = nn.Embedding(ntoken, ninp)
            self.ninp = ninp
            self.decoder = nn.Linear(ninp, ntoken)
            self.init_weights()

        def _generate_square_subsequent_mask(self, sz):
            return torch.log(torch.tril(torch.ones(sz, sz)))

        def init_weights(self):
            initrange = 0.1
            nn.init.uniform_(self.input_emb.weight, -initrange, initrange)
            nn.init.zeros_(self.decoder.bias)
            nn.init.uniform_(self.decoder.weight, -initrange, initrange)

        def forward(self, src, has_mask=True):
            if has_mask:
                if self.src_mask is None or self.src_mask.size(0) != len(src):
                    mask = self._generate_square_subsequent_mask(len(src))
                    self.src_mask = mask.to(self.decoder.weight.dtype)
            else:
                self.src_mask = None
            src = self.input_emb(src) * math.sqrt(self.ninp)
            src = self.pos_encoder(src)
            output = self.encoder(src, mask=self.src_mask)
            output = self.decoder(output)
            return F.log_softmax(output, dim=-1)

    def batchify(data, bsz):
        nbatch = data.size(0) // bsz
        data = data.narrow(0, 0, nbatch * bsz)
        return data.view(bsz, -1).t().contiguous()

    def repackage_hidden(h):
        """Wraps hidden states in new Tensors, to detach them from their history."""
        if isinstance(h, torch.Tensor):
            return h.detach()
        return tuple(repackage_hidden(v) for v in h)

    def get_batch(source, i, bptt):
        seq_len = min(bptt, len(source) - 1 - i)
        data = source[i:i + seq_len]
        target = source[i + 1:i + 1 + seq_len].view(-1)
        return data, target

    corpus = Corpus(TEXT)
    ntokens = len(corpus.dictionary)
    emsize = 12
    if model_type == "Transformer":
        model = TransformerModel(ntokens, emsize, 2, 24, 2, dropout=0.0)
    else:
        model = RNNModel(ntokens, emsize, 12 if tie_weights else 16, 2, dropout=0.0,
                         tie_weights=tie_weights)
    model.to(getattr(torch, dtype))
    if weights is not None:
        model.load_state_dict({k: torch.from_numpy(v) for k, v in weights.items()})

    criterion = nn.NLLLoss()
    train_data = batchify(corpus.train, 4)
    val_data = batchify(corpus.valid, 2)
    bptt, lr, clip = 5, 2.0, 0.25

    def evaluate(data_source):
        model.eval()
        total_loss = 0.
        if model_type != "Transformer":
            hidden = model.init_hidden(data_source.size(1))
        with torch.no_grad():
            for i in range(0, data_source.size(0) - 1, bptt):
                data, targets = get_batch(data_source, i, bptt)
                if model_type == "Transformer":
                    output = model(data)
                    output = output.view(-1, ntokens)
                else:
                    output, hidden = model(data, hidden)
                    hidden = repackage_hidden(hidden)
                total_loss += len(data) * criterion(output, targets).item()
        return total_loss / (len(data_source) - 1)

    losses = []
    model.train()
    if model_type != "Transformer":
        hidden = model.init_hidden(train_data.size(1))
    step = 0
    while step < steps:
        for i in range(0, train_data.size(0) - 1, bptt):
            data, targets = get_batch(train_data, i, bptt)
            model.zero_grad()
            if model_type == "Transformer":
                output = model(data)
                output = output.view(-1, ntokens)
            else:
                hidden = repackage_hidden(hidden)
                output, hidden = model(data, hidden)
            loss = criterion(output, targets)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
            for p in model.parameters():
                p.data.add_(p.grad, alpha=-lr)
            losses.append(loss.item())
            step += 1
            if step == steps:
                break
        if model_type != "Transformer":
            hidden = model.init_hidden(train_data.size(1))
    val_loss = evaluate(val_data)
    state = {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}
    return {"losses": losses + [val_loss], "state": state, "ppl": math.exp(val_loss)}
