"""Baseline for `deno task bench`: the upstream way of analysing tracks (SciPy filtfilt + bounded
minimize_scalar per track), timed over compute only, on the tracks lta analysed in the same run."""
import sys, time
import numpy as np
from scipy.signal import butter, filtfilt
from scipy.optimize import minimize_scalar

B, A = butter(2, 0.1)
data = np.genfromtxt(sys.argv[1], delimiter=",", skip_header=1, dtype=None, encoding=None,
                     names=["f", "t", "p", "e", "u", "l"])
keys = np.char.add(data["f"].astype(str), data["t"].astype(str))
starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
ends = np.r_[starts[1:], len(keys)]
t0 = time.perf_counter()
for s, e in zip(starts, ends):
    pos, err = data["p"][s:e].astype(float), data["e"][s:e].astype(float)
    up, lo = data["u"][s:e].astype(float), data["l"][s:e].astype(float)
    if len(pos) < 10:
        continue
    f = filtfilt(B, A, err)
    if len(pos) >= 13:
        pp, ff = pos[5:-5], f[5:-5]
    dx = np.diff(pp)
    ok = np.abs(dx) > 1e-6
    g = np.diff(ff)[ok] / dx[ok]
    sigma = np.std(g, ddof=1) if len(g) > 1 else 0.0
    m = ~np.isnan(up) & ~np.isnan(lo)
    eu, uu, ll = err[m], up[m], lo[m]
    if len(eu):
        d = np.median((uu + ll) / 2 - eu)
        r = abs(d) + 0.01
        V = lambda c: np.sum((eu + c > uu) | (eu + c < ll))
        minimize_scalar(V, bounds=(d - r, d + r), method="bounded", options={"xatol": 1e-5, "maxiter": 500})
print(f"seconds={time.perf_counter() - t0:.4f}")
