"""Independent reference values for lta's analysis tests, computed with NumPy/SciPy.

Run once (python3 tests/reference/make_reference.py) and commit expected.json; the tests read it.
"""
import json
import numpy as np
from scipy.signal import butter, filtfilt
from scipy.optimize import minimize_scalar

B, A = butter(2, 0.1)
rs = np.random.RandomState(42)


def sigma(pos, err):
    pos = np.asarray(pos, float)
    err = np.asarray(err, float)
    f = filtfilt(B, A, err) if len(err) >= 10 else err
    if len(pos) >= 13:
        pos, f = pos[5:-5], f[5:-5]
    g = []
    for i in range(len(pos) - 1):
        dx = pos[i + 1] - pos[i]
        if abs(dx) > 1e-6:
            v = (f[i + 1] - f[i]) / dx
            if np.isfinite(v):
                g.append(v)
    return float(np.std(g, ddof=1)) if len(g) >= 2 else 0.0


def legacy_offset(err, up, lo):
    e, u, l = map(lambda a: np.asarray(a, float), (err, up, lo))
    d = (u + l) / 2 - e
    m = float(np.median(d))
    r = abs(m) + 0.01
    V = lambda c: float(np.sum((e + c > u) | (e + c < l)))
    res = minimize_scalar(V, bounds=(m - r, m + r), method="bounded", options={"xatol": 1e-5, "maxiter": 500})
    return float(res.x), int(V(res.x))


cases = {}
filt = {}
spec_vector = [0, .001, .003, .002, -.001, 0, .002, .004, .001, -.002, 0, .001]
filt["spec_vector"] = {"x": spec_vector, "y": filtfilt(B, A, spec_vector).tolist()}
for n in (10, 11, 13, 50, 161):
    x = (np.sin(np.linspace(0, 6, n)) * 0.01 + rs.normal(0, 0.002, n)).round(6)
    filt[f"n{n}"] = {"x": x.tolist(), "y": filtfilt(B, A, x).tolist()}

sig = {}
p = np.linspace(-170, 170, 69)
e = (0.004 * np.sin(p / 40) + rs.normal(0, 0.0005, 69)).round(6)
sig["rotary69"] = {"pos": p.tolist(), "err": e.tolist()}
p = np.linspace(-0.3, 0.3, 12)
e = (0.01 * p + rs.normal(0, 0.001, 12)).round(6)
sig["short12_no_endpoint_trim"] = {"pos": p.tolist(), "err": e.tolist()}
sig["nine_points_unfiltered"] = {"pos": list(range(9)), "err": [0, 1e-3, 3e-3, 2e-3, -1e-3, 0, 2e-3, 4e-3, 1e-3]}
p = np.repeat(np.linspace(0, 100, 20), 2)
e = (0.001 * np.cos(p / 9)).round(6)
sig["zero_dx_pairs"] = {"pos": p.tolist(), "err": e.tolist()}
sig["all_equal_errors"] = {"pos": np.linspace(0, 50, 30).tolist(), "err": [0.002] * 30}
for k, v in sig.items():
    v["sigma"] = sigma(v["pos"], v["err"])

off = {}
n = 60
e = (0.02 * np.sin(np.linspace(0, 3, n)) + 0.015 + rs.normal(0, 0.001, n)).round(6)
off["shifted_band"] = {"err": e.tolist(), "up": [0.02] * n, "lo": [-0.02] * n}
e2 = (0.03 * np.sin(np.linspace(0, 9, n))).round(6)
off["too_wide_for_band"] = {"err": e2.tolist(), "up": [0.025] * n, "lo": [-0.025] * n}
off["negative_centre"] = {"err": (-e).tolist(), "up": [0.02] * n, "lo": [-0.02] * n}
for k, v in off.items():
    v["legacy_offset"], v["legacy_fails"] = legacy_offset(v["err"], v["up"], v["lo"])

json.dump({"filtfilt": filt, "sigma": sig, "offset": off}, open(__file__.replace("make_reference.py", "expected.json"), "w"), indent=1)
print("wrote expected.json")
