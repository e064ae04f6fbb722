#!/usr/bin/env python3
"""Plots a `scripts/bench --json` output as a bar chart of median times.

usage: bench/chart.py BENCH.json OUT.png

One horizontal bar per scenario (the cat floor, sso-helper's warm calls, its cold
call, each peer that was measured), the median in milliseconds on a log scale (the
peers are a few hundred times slower), a whisker to the p90, the figure at the end
of the bar. Needs matplotlib (bench/requirements.txt; scripts/bench --chart installs
it into .venv-bench).
"""

import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402

# (scenario key, label, kind), top to bottom.
BARS = [
    ("cat", "floor: cat of the cached\ncredentials file", "floor"),
    ("warm", "sso-helper, file store", "helper"),
    ("warm1000", "sso-helper, file store,\n1,000-profile config", "helper"),
    ("keychain", "sso-helper, Secret Service\n(gnome-keyring)", "helper"),
    ("cold", "sso-helper, cold call\n(1 GetRoleCredentials)", "helper"),
    ("boto3", "boto3's own SSO provider\n(1 GetRoleCredentials)", "peer"),
    ("aws_sso_util", "aws-sso-util\ncredential-process", "peer"),
    ("aws_cli_v2", "AWS CLI v2 configure\nexport-credentials", "peer"),
]
COLOURS = {"floor": "#9e9e9e", "helper": "#1f77b4", "peer": "#ff7f0e"}


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip())
    report = json.load(open(sys.argv[1]))
    sc, md = report["scenarios"], report["metadata"]
    bars = [(label, sc[key], kind) for key, label, kind in BARS if key in sc]
    if not bars:
        sys.exit("chart: no scenarios in " + sys.argv[1])
    bars.reverse()  # barh draws bottom-up
    labels = [b[0] for b in bars]
    med = [b[1]["median_ms"] for b in bars]
    p90 = [b[1]["p90_ms"] for b in bars]
    colours = [COLOURS[b[2]] for b in bars]

    fig, ax = plt.subplots(figsize=(9, 0.62 * len(bars) + 1.6), dpi=110)
    ax.barh(labels, med, color=colours,
            xerr=[[0] * len(med), [max(0.0, q - m) for q, m in zip(p90, med)]],
            error_kw={"ecolor": "#444444", "capsize": 3, "elinewidth": 1})
    ax.set_xscale("log")
    ax.set_xlim(min(med) / 2, max(p90) * 4)
    for y, (m, q) in enumerate(zip(med, p90)):
        text = f"{m:.2f} ms" if m < 10 else f"{m:.0f} ms"
        ax.text(q * 1.12, y, text, va="center", fontsize=9)
    ax.set_xlabel("median wall time per process, ms (log scale; whisker: p90)")
    warm = sc["warm"]["median_ms"]
    peers = ", ".join(f"{sc[k]['median_ms'] / warm:.0f}×" for k in ("boto3", "aws_sso_util", "aws_cli_v2")
                      if k in sc)
    ax.set_title(
        "One credential_process call: sso-helper, the floor and the peers (warm caches)\n"
        f"scripts/bench, {md['date'][:10]}, {md['machine'].split(',')[0]}"
        + (f"; peers are {peers} sso-helper's warm call" if peers else ""),
        fontsize=10,
    )
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
    ax.grid(axis="x", which="both", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    fig.savefig(sys.argv[2])


if __name__ == "__main__":
    main()
