#!/usr/bin/env python3
"""Turns the boundary experiment's evaluation reports and run logs into results.md (tables) or, with --fingerprint, a
JSON of every summary figure plus hashes of every per-problem result, metrics row and final weight file, free of times
and paths, so that two runs of the recipe can be compared byte for byte (the kill -9 check)."""
import argparse
import hashlib
import json
import os

SETS = [
    ("train-families-d0", "(a0) training families, difficulty 0, unseen seeds"),
    ("train-families-d1", "(a) training families, held-out difficulty 1"),
    ("held-out-families", "(b) held-out families, difficulty 0"),
]
RUNS = ["main", "no-reset", "no-kl", "no-clip-higher", "temperature-0.6"]


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def run_dir(work, name):
    return os.path.join(work, "rl-" + name, "run")


def latest_policy(run):
    with open(os.path.join(run, "policy", "LATEST"), encoding="utf-8") as f:
        return os.path.join(run, "policy", f.read().strip())


def weights_hash(model_dir):
    digest = hashlib.sha256()
    for name in ("model.onnx", "model.onnx.data"):
        with open(os.path.join(model_dir, name), "rb") as f:
            digest.update(f.read())
    return digest.hexdigest()


def run_summary(run):
    metrics = [m for m in jsonl(os.path.join(run, "metrics.jsonl")) if m.get("phase") == "rl"]
    events = jsonl(os.path.join(run, "events.jsonl"))
    last = metrics[-10:]
    validations = [e for e in events if e["type"] == "validation"]
    return {
        "steps": metrics[-1]["step"],
        "reward_first10": sum(m["reward/mean"] for m in metrics[:10]) / len(metrics[:10]),
        "reward_last10": sum(m["reward/mean"] for m in last) / len(last),
        "entropy_first": metrics[0]["entropy"],
        "entropy_last10": sum(m["entropy"] for m in last) / len(last),
        "entropy_min": min(m["entropy"] for m in metrics),
        "entropy_collapse_events": sum(1 for e in events if e["type"] == "entropy_collapse"),
        "reference_resets": [e["step"] for e in events if e["type"] == "reference_reset"],
        "last_validation_pass@1": validations[-1]["data"]["pass@1"] if validations else None,
        # Every metrics row without its wall-clock and memory fields, hashed: equal hashes mean equal rows at every step.
        "metrics_sha256": hashlib.sha256(json.dumps(
            [{k: v for k, v in m.items() if not measured_not_computed(k)} for m in metrics],
            sort_keys=True).encode()).hexdigest(),
        "final_policy_sha256": weights_hash(latest_policy(run)),
    }


def measured_not_computed(key):
    """Metrics that measure the machine (wall clock, phase times, resident memory), which no two runs share."""
    return key in ("time", "step_seconds", "tokens_per_second") or key.startswith(("time/", "peak_rss_gib"))


def fmt(x):
    return f"{x:.3f}"


def interval(point):
    return f"{fmt(point['mean'])} [{fmt(point['lower'])}, {fmt(point['upper'])}]"


def boundary(base, rl):
    b = {p["id"]: p for p in base["problems"]}
    r = {p["id"]: p for p in rl["problems"]}
    shared = sorted(set(b) & set(r))
    expanded = [(i, r[i]) for i in shared if b[i]["correct"] == 0 and r[i]["correct"] > 0]
    lost = [(i, b[i]) for i in shared if r[i]["correct"] == 0 and b[i]["correct"] > 0]
    return expanded, lost


def markdown(args):
    out = []
    w = out.append
    n = args.samples
    w(f"## Boundary experiment: {args.mode} mode\n")
    w(f"Command: `recipes/boundary/run.sh{' --quick' if args.mode == 'quick' else ''}`. Main RL run {args.rl_steps} steps, "
      f"ablations {args.ablation_steps} steps, {n} samples per problem (pass@1 … pass@{n}) at temperature 0.6, top-p 0.95. "
      "Intervals: 95% percentile bootstrap over problems. A problem counts as solved at k when a sample earns full reward.\n")
    for key, title in SETS:
        base = load(os.path.join(args.work, "eval-base", key + ".json"))
        rl = load(os.path.join(args.work, "eval-rl", key + ".json"))
        w(f"### {title}\n")
        ks = base["k"]
        w("| model | problems | mean reward | " + " | ".join(f"pass@{k}" for k in ks) + " |")
        w("|---|---|---|" + "---|" * len(ks))
        for label, report in (("base (SFT)", base), ("RL", rl)):
            o = report["overall"]
            w(f"| {label} | {o['problems']} | {fmt(o['mean_reward'])} | " + " | ".join(interval(p) for p in o["pass_at_k"]) + " |")
        c = rl.get("constant_baseline")
        if c and c.get("answer") is not None:
            w(f"| best constant answer '{c['answer']}' | {c['problems']} | {fmt(c['mean_reward'])} | " +
              " | ".join(fmt(c["pass_rate"]) for _ in ks) + " |")
        w("")
        w("Per source, pass@1 and pass@%d (base → RL):\n" % ks[-1])
        w("| source | base pass@1 | RL pass@1 | base pass@%d | RL pass@%d |" % (ks[-1], ks[-1]))
        w("|---|---|---|---|---|")
        for source in sorted(base["sources"]):
            bs, rs = base["sources"][source], rl["sources"].get(source)
            if rs is None:
                continue
            w(f"| {source} | {fmt(bs['pass_at_k'][0]['mean'])} | {fmt(rs['pass_at_k'][0]['mean'])} | "
              f"{fmt(bs['pass_at_k'][-1]['mean'])} | {fmt(rs['pass_at_k'][-1]['mean'])} |")
        expanded, lost = boundary(base, rl)
        w("")
        w(f"**Boundary.** {len(expanded)} problems the base model never solves in {n} samples and RL solves "
          f"(RL's correct samples out of {n} in brackets); {len(lost)} problems go the other way.\n")
        if expanded:
            w("Expanded: " + ", ".join(f"`{i}` ({p['correct']})" for i, p in expanded) + "\n")
        if lost:
            w("Lost (base solves, RL never): " + ", ".join(f"`{i}` ({p['correct']})" for i, p in lost) + "\n")
        w(f"![pass@k {key}](passk-{key}.png)\n")
    w("### Ablations (same seeds)\n")
    w("| run | steps | reward, first 10 steps | reward, last 10 steps | entropy, first step | entropy, last 10 steps | "
      "min entropy | entropy_collapse events | reference resets | last validation pass@1 |")
    w("|---|---|---|---|---|---|---|---|---|---|")
    for name in RUNS:
        if args.allow_missing and not os.path.isdir(run_dir(args.work, name)):
            w(f"| {name} | not run | | | | | | | | |")
            continue
        s = run_summary(run_dir(args.work, name))
        w(f"| {name} | {s['steps']} | {fmt(s['reward_first10'])} | {fmt(s['reward_last10'])} | {fmt(s['entropy_first'])} | "
          f"{fmt(s['entropy_last10'])} | {fmt(s['entropy_min'])} | {s['entropy_collapse_events']} | "
          f"{', '.join(str(x) for x in s['reference_resets']) or 'none'} | "
          f"{fmt(s['last_validation_pass@1']) if s['last_validation_pass@1'] is not None else '-'} |")
    w("\n![entropy and reward of the main run and the ablations](ablations.png)\n")
    return "\n".join(out)


def fingerprint(args):
    result = {"mode": args.mode, "evaluations": {}, "runs": {}}
    for who in ("base", "rl"):
        for key, _ in SETS:
            report = load(os.path.join(args.work, "eval-" + who, key + ".json"))
            for volatile in ("created_utc",):
                report.pop(volatile, None)
            report["model"].pop("path", None)
            problems = report.pop("problems")
            report["problems_sha256"] = hashlib.sha256(json.dumps(problems, sort_keys=True).encode()).hexdigest()
            result["evaluations"][f"{who}/{key}"] = report
    for name in RUNS:
        if args.allow_missing and not os.path.isdir(run_dir(args.work, name)):
            continue
        result["runs"][name] = run_summary(run_dir(args.work, name))
    return json.dumps(result, indent=1, sort_keys=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--work", required=True)
    parser.add_argument("--mode", required=True)
    parser.add_argument("--rl-steps", type=int, required=True)
    parser.add_argument("--ablation-steps", type=int, required=True)
    parser.add_argument("--samples", type=int, required=True)
    parser.add_argument("--fingerprint", action="store_true")
    parser.add_argument("--allow-missing", action="store_true", help="a partial report: RL runs not (yet) complete are listed as not run")
    args = parser.parse_args()
    print(fingerprint(args) if args.fingerprint else markdown(args))


if __name__ == "__main__":
    main()
