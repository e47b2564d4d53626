"""A word-level language model with an LSTM, as people write one with ``import torch``.

A Dictionary and Corpus turn text into a tensor of word ids; ``batchify`` lays the corpus
out in columns; training walks it in windows of ``bptt`` words, detaching the hidden state
between windows, clips the gradient norm and updates the weights by hand
(``p.data.add_(p.grad, alpha=-lr)``); evaluation runs under ``torch.no_grad()`` in eval
mode and reports the perplexity.
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


def program(torch, weights=None, data=None, steps=0, dtype="float32", tie_weights=False):
    """Build the model (loading ``weights`` if given) and train it for ``steps`` windows."""
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
        hidden = model.init_hidden(data_source.size(1))
        with torch.no_grad():
            for i in range(0, data_source.size(0) - 1, bptt):
                data, targets = get_batch(data_source, i, bptt)
                output, hidden = model(data, hidden)
                hidden = repackage_hidden(hidden)
                total_loss += len(data) * criterion(output, targets).item()
        return total_loss / (len(data_source) - 1)

    losses = []
    model.train()
    hidden = model.init_hidden(train_data.size(1))
    step = 0
    while step < steps:
        for i in range(0, train_data.size(0) - 1, bptt):
            data, targets = get_batch(train_data, i, bptt)
            hidden = repackage_hidden(hidden)
            model.zero_grad()
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
        hidden = model.init_hidden(train_data.size(1))
    val_loss = evaluate(val_data)
    state = {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}
    return {"losses": losses + [val_loss], "state": state, "ppl": math.exp(val_loss)}
