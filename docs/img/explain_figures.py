"""Regenerate the pictures and printed outputs of docs/explain.md.

Run from the repository root: ``python docs/img/explain_figures.py`` (needs Graphviz).
"""

import chainrule as cr
from chainrule import explain


def seed003():
    x1 = cr.tensor(2.0, dtype=cr.float64, requires_grad=True)
    x2 = cr.tensor(5.0, dtype=cr.float64, requires_grad=True)
    x1.label, x2.label = "x1", "x2"
    return cr.log(x1) + x1 * x2 - cr.sin(x2)


def seed002():
    def data(v, name):
        t = cr.tensor(v, dtype=cr.float64)
        t.label = name
        return t

    def param(v, name):
        t = cr.tensor(v, dtype=cr.float64, requires_grad=True)
        t.label = name
        return t

    x1, x2, y = data(1.5, "x1"), data(2.5, "x2"), data(1.0, "y")
    w1, w2, b = param(-4.0, "w1"), param(3.0, "w2"), param(-1.0, "b")
    z = w1 * x1 + w2 * x2 + b
    yhat = z.sigmoid()
    loss = -y * yhat.log() - (1 - y) * (1 - yhat).log()
    return loss


if __name__ == "__main__":
    f = seed003()
    f.backward(retain_graph=True)
    explain.render(f, "docs/img/explain_seed003.svg")
    loss = seed002()
    loss.backward(retain_graph=True)
    explain.render(loss, "docs/img/explain_seed002.svg")
    explain.render(seed003(), "docs/img/explain_seed003_backward.svg", backward=True)
    print(explain.backward_table(seed003()))
