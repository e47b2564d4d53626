"""Regenerate the pictures and printed outputs of docs/explain.md.

Run from the repository root: ``python docs/img/explain_figures.py`` (needs Graphviz).
"""

import chainrule as cr
from chainrule import explain


def log_x1_x1x2_sin_x2():
    """f(x1, x2) = log x1 + x1 x2 - sin x2 at (2, 5), on float64 Tensors."""
    x1 = cr.tensor(2.0, dtype=cr.float64, requires_grad=True)
    x2 = cr.tensor(5.0, dtype=cr.float64, requires_grad=True)
    x1.label, x2.label = "x1", "x2"
    return cr.log(x1) + x1 * x2 - cr.sin(x2)


def sigmoid_neuron_log_loss():
    """The log loss of yhat = sigmoid(w1 x1 + w2 x2 + b) at x = (1.5, 2.5), y = 1.

    The parameters are w1 = -4, w2 = 3, b = -1 (float64 Tensors).
    """
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
    f = log_x1_x1x2_sin_x2()
    f.backward(retain_graph=True)
    explain.render(f, "docs/img/explain_log_x1_x1x2_sin_x2.svg")
    loss = sigmoid_neuron_log_loss()
    loss.backward(retain_graph=True)
    explain.render(loss, "docs/img/explain_sigmoid_neuron_log_loss.svg")
    explain.render(log_x1_x1x2_sin_x2(), "docs/img/explain_log_x1_x1x2_sin_x2_backward.svg",
                   backward=True)
    print(explain.backward_table(log_x1_x1x2_sin_x2()))
