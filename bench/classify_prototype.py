"""The standalone prototype behind the v3 classification defaults (bench/results/classify.md).

A ~150-line re-implementation of the `rnnkit classify` protocol for the univariate UCR sets
(stratified 20% validation part from the training file, scaler fit on the rest, patching to at
most 24 recurrent steps, AdamW + warm-up + cosine, best epoch by validation loss) with switches for
the ideas that were tried. It exists because a variant here costs 3 CPU seconds per seed, so
10-40 seeds per idea were affordable. It is not the product: every idea that was adopted was
re-implemented in the package and measured again through `bench/classify_bench.py --set ...`
(the ablation table in classify.md). One JSON line per call: median, mean and per-seed accuracy.

    .venv/bin/python bench/classify_prototype.py --set ECG200 --seeds 20 \
        --width 3 --pool dual --mixup 0.4 --refit 2 --epmode full --patience 1000   # the v3 recipe

Switches: --width 3 = each step sees its neighbouring patches (package: data.context = 1);
--pool last|meanmax|all|dual|attn (dual = two heads, package: model.summary = both);
--mixup ALPHA; --refit 1|2 = retrain on training + validation for the chosen epochs, with the
original (1) or a compressed (2, as the package) cosine; --epmode loss|acc|full = how the epochs
are chosen (full = the whole budget); --stem conv, --pos, --jitter, --ls, ... for ideas not adopted.
Data: ../shared/data/ucr (or $RNNKIT_DATA_DIR/ucr).
"""
import argparse, json, math, os
import numpy as np, torch, torch.nn as nn, torch.nn.functional as F
torch.set_num_threads(1)
D = os.path.join(os.environ.get("RNNKIT_DATA_DIR") or os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data"), "ucr", "")

def load(name):
    tr = np.loadtxt(D + name + "_TRAIN.tsv", delimiter="\t"); te = np.loadtxt(D + name + "_TEST.tsv", delimiter="\t")
    cls = np.unique(tr[:, 0]); m = {c: i for i, c in enumerate(cls)}
    return (tr[:, 1:].astype(np.float32), np.array([m[c] for c in tr[:, 0]]),
            te[:, 1:].astype(np.float32), np.array([m[c] for c in te[:, 0]]), len(cls))

def strat(y, frac, seed):
    rng = np.random.default_rng(seed); kept, carved = [], []
    for c in np.unique(y):
        rows = rng.permutation(np.flatnonzero(y == c)); k = min(max(round(frac * len(rows)), 1), len(rows) - 1)
        carved.extend(rows[:k]); kept.extend(rows[k:])
    return np.sort(kept), np.sort(carved)

class Net(nn.Module):
    def __init__(self, L, C, a):
        super().__init__(); self.a = a
        p = max(1, math.ceil(L / a.max_steps)); self.p = p; self.T = math.ceil(L / p)
        if a.stem == "patch":
            inp = p * a.width
        elif a.stem == "conv":
            self.conv = nn.Sequential(nn.Conv1d(1, a.ch, a.k, padding=a.k // 2), nn.BatchNorm1d(a.ch) if a.bn else nn.Identity(), nn.ReLU())
            inp = a.ch
        self.rnn = nn.LSTM(inp + (1 if a.pos else 0), a.hidden, batch_first=True, bidirectional=True)
        self.drop = nn.Dropout(a.dropout)
        out = 2 * a.hidden * {"meanmax": 2, "all": 3, "lastmax": 2}.get(a.pool, 1)
        if a.pool == "attn":
            self.proj = nn.Linear(2 * a.hidden, 2 * a.hidden); self.score = nn.Linear(2 * a.hidden, 1, bias=False)
        self.head = nn.Linear(out, C)
        if a.pool == "dual":
            self.head = nn.Linear(2 * a.hidden, C); self.head2 = nn.Linear(4 * a.hidden, C)
    def forward(self, x):  # x (B, L)
        B, L = x.shape; p, T = self.p, self.T
        xp = F.pad(x, (0, T * p - L))
        if self.a.stem == "patch":
            if self.a.width == 1:
                z = xp.view(B, T, p)
            else:  # overlapping: width*p values centred on the patch
                w = self.a.width; extra = (w - 1) * p // 2
                xq = F.pad(xp, (extra, extra))
                z = xq.unfold(1, w * p, p)  # (B, T, w*p)
        else:
            h = self.conv(xp[:, None, :])  # (B, ch, T*p)
            z = F.avg_pool1d(h, p) if self.a.down == "avg" else F.max_pool1d(h, p)
            z = z.transpose(1, 2)
        if self.a.pos:
            z = torch.cat([z, torch.linspace(0, 1, T).expand(B, T)[..., None]], -1)
        o, (h, c) = self.rnn(z)
        if self.a.pool == "last":
            s = torch.cat([h[-2], h[-1]], -1)
        elif self.a.pool == "meanmax":
            s = torch.cat([o.mean(1), o.amax(1)], -1)
        elif self.a.pool == "all":
            s = torch.cat([h[-2], h[-1], o.mean(1), o.amax(1)], -1)
        elif self.a.pool == "lastmax":
            s = torch.cat([h[-2], h[-1], o.amax(1)], -1)
        elif self.a.pool == "dual":
            l1 = self.head(self.drop(torch.cat([h[-2], h[-1]], -1))); l2 = self.head2(self.drop(torch.cat([o.mean(1), o.amax(1)], -1)))
            if self.training: return (l1, l2)
            return torch.log((torch.softmax(l1, -1) + torch.softmax(l2, -1)) / 2)
        elif self.a.pool == "max":
            s = o.amax(1)
        elif self.a.pool == "mean":
            s = o.mean(1)
        else:
            w = torch.softmax(self.score(torch.tanh(self.proj(o))).squeeze(-1), -1); s = (w[..., None] * o).sum(1)
        return self.head(self.drop(s))

BEST_EPS = []
def run(name, seed, a):
    Xtr, ytr, Xte, yte, C = load(name)
    keep, carve = strat(ytr, 0.2, seed)
    if a.scale == "train":
        mu, sd = Xtr[keep].mean(), Xtr[keep].std()
    else:
        mu, sd = 0.0, 1.0
    f = lambda X: torch.tensor((X - mu) / sd)
    Xa, ya, Xv, yv = f(Xtr[keep]), torch.tensor(ytr[keep]), f(Xtr[carve]), torch.tensor(ytr[carve])
    net, best_ep = train_net(Xa, ya, Xv, yv, Xtr.shape[1], C, a, seed, None)
    BEST_EPS.append(best_ep)  # the epochs each seed's selection chose
    if a.refit:
        Xall = torch.cat([Xa, Xv]); yall = torch.cat([ya, yv])
        net, _ = train_net(Xall, yall, None, None, Xtr.shape[1], C, a, seed, best_ep + 1)
    net.eval()
    with torch.no_grad(): pr = torch.softmax(net(f(Xte)), -1).numpy()
    return float((pr.argmax(1) == yte).mean()), pr

def train_net(Xa, ya, Xv, yv, L, C, a, seed, fixed_epochs):
    torch.manual_seed(seed)
    net = Net(L, C, a)
    decay = [p for n, p in net.named_parameters() if p.ndim > 1]; nod = [p for n, p in net.named_parameters() if p.ndim <= 1]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": a.wd}, {"params": nod, "weight_decay": 0}], lr=a.lr)
    bs = a.bs; nb = math.ceil(len(ya) / bs); total = (fixed_epochs if (fixed_epochs and a.refit == 2) else a.epochs) * nb; warm = 20
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1, (s + 1) / warm) * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(s, total) / total))))
    g = torch.Generator().manual_seed(seed)
    best, best_state, bad = 1e9, None, 0
    best_acc, acc_ep = -1, 0
    for ep in range(a.epochs):
        net.train(); perm = torch.randperm(len(ya), generator=g)
        for i in range(nb):
            idx = perm[i * bs:(i + 1) * bs]; xb, yb = Xa[idx], ya[idx]
            if a.jitter: xb = xb + a.jitter * torch.randn(xb.shape, generator=g)
            if a.scalejit: xb = xb * (1 + a.scalejit * torch.randn(len(xb), 1, generator=g))
            if a.mixup:
                lam = float(np.random.default_rng(seed * 7919 + ep * 131 + i).beta(a.mixup, a.mixup))
                j = torch.randperm(len(xb), generator=g)
                outs = net(lam * xb + (1 - lam) * xb[j])
                outs = outs if isinstance(outs, tuple) else (outs,)
                loss = sum(lam * F.cross_entropy(lg, yb, label_smoothing=a.ls) + (1 - lam) * F.cross_entropy(lg, yb[j], label_smoothing=a.ls) for lg in outs)
            else:
                outs = net(xb); outs = outs if isinstance(outs, tuple) else (outs,)
                loss = sum(F.cross_entropy(lg, yb, label_smoothing=a.ls) for lg in outs)
            opt.zero_grad(); loss.backward(); nn.utils.clip_grad_norm_(net.parameters(), 1.0); opt.step(); sched.step()
        if fixed_epochs is not None:
            if ep + 1 >= fixed_epochs: return net, ep
            continue
        net.eval()
        with torch.no_grad():
            lv = net(Xv); vl = F.cross_entropy(lv, yv).item(); va = (lv.argmax(1) == yv).float().mean().item()
        if va >= best_acc: best_acc, acc_ep = va, ep
        if vl < best: best, bad, best_ep = vl, 0, ep; best_state = {k: v.clone() for k, v in net.state_dict().items()}
        else:
            bad += 1
            if bad >= a.patience: break
    net.load_state_dict(best_state)
    if a.epmode == "acc": return net, acc_ep
    if a.epmode == "full": return net, a.epochs - 1
    return net, best_ep

if __name__ == "__main__":
    P = argparse.ArgumentParser()
    P.add_argument("--set", default="ECG200"); P.add_argument("--seeds", type=int, default=10); P.add_argument("--seed0", type=int, default=0)
    P.add_argument("--stem", default="patch"); P.add_argument("--width", type=int, default=1)
    P.add_argument("--ch", type=int, default=32); P.add_argument("--k", type=int, default=7); P.add_argument("--bn", type=int, default=0)
    P.add_argument("--down", default="avg"); P.add_argument("--pos", type=int, default=0)
    P.add_argument("--pool", default="last"); P.add_argument("--hidden", type=int, default=64); P.add_argument("--dropout", type=float, default=0.2)
    P.add_argument("--max_steps", type=int, default=24); P.add_argument("--lr", type=float, default=3e-3); P.add_argument("--wd", type=float, default=0.01)
    P.add_argument("--bs", type=int, default=16); P.add_argument("--epochs", type=int, default=150); P.add_argument("--patience", type=int, default=40)
    P.add_argument("--jitter", type=float, default=0); P.add_argument("--scalejit", type=float, default=0); P.add_argument("--mixup", type=float, default=0)
    P.add_argument("--ls", type=float, default=0); P.add_argument("--scale", default="train"); P.add_argument("--tag", default=""); P.add_argument("--refit", type=int, default=0); P.add_argument("--epmode", default="loss")
    a = P.parse_args()
    accs = []
    for s in range(a.seed0, a.seed0 + a.seeds):
        acc, _ = run(a.set, s, a); accs.append(acc)
    print(json.dumps({"tag": a.tag, "set": a.set, "median": float(np.median(accs)), "mean": float(np.mean(accs)), "accs": accs, "best_eps": BEST_EPS}), flush=True)
