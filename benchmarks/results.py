"""The shipped recipe's figures, from what the benchmark scripts wrote: the goal table, the recipe's other
figures, who the shipped file fails and the Adience benchmark protocol (`benchmarks/accuracy.sh`), and the
page in the browser against face-api.js (`benchmarks/browser.sh`). Prints them; ``--write`` also puts them
into docs/RESULTS.md between its ``<!-- results.py: NAME -->`` and ``<!-- /results.py -->`` markers.

Usage: .venv/bin/python benchmarks/results.py [OUT_DIR] [--browser DIR] [--write [docs/RESULTS.md]]
       [--sections accuracy,groups,adience,browser]   (OUT_DIR: bench/accuracy; --browser: bench/browser)

A section whose benchmark left nothing in the folders is never written: the page keeps what an earlier
run measured there (a folder from another checkout, or a benchmark run in parts, cannot blank it).

Every figure is read from the validation reports (`edge validate`: QAT int8 in LiteRT unless a row
says float) and the training logs; seeds are averaged and listed. A row whose runs are missing says
"not run". The shipped file is seed 42's export (accuracy.sh's first seed).
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = "int8_qat"  # the model the Android app and the browser demo ship
SHIPPED_SEED = "42"
AGE_BANDS = ("0-2", "3-9", "10-19", "20-39", "40-59", "60+")

Result = tuple[float, list[float]]  # (mean over seeds, each seed's value)


class Bench:
    """The accuracy benchmark's folder: one validation report per step and seed."""

    def __init__(self, out: Path) -> None:
        self.out = Path(out)
        self._read: dict[Path, dict | None] = {}  # every row reads the same few reports: each is parsed once

    def load(self, *parts: str) -> dict | None:
        path = self.out.joinpath(*parts)
        if path not in self._read:
            self._read[path] = json.loads(path.read_text()) if path.is_file() else None
        return self._read[path]

    def seeds(self) -> list[str]:
        return sorted(p.name.split("-s")[-1] for p in self.out.glob("mobile-utk-s*") if (p / "metrics.json").is_file())

    def report(self, step: str, seed: str) -> dict:
        return self.load(f"{step}-s{seed}", "validation.json") or {}

    def per_seed(self, step: str, value_of) -> Result | None:
        """``value_of(report)`` for each seed's report of ``step`` (None where missing): mean and values."""
        values = [float(v) for seed in self.seeds() if (v := value_of(self.report(step, seed))) is not None]
        return (statistics.fmean(values), values) if values else None

    def figure(self, step: str, key: str, *subkeys: str, model: str = SHIPPED) -> Result | None:
        """``report["models"][model][key][subkeys...]`` across seeds."""
        def value_of(report: dict):
            value = (report.get("models") or {}).get(model, {}).get(key)
            for subkey in subkeys:
                value = value.get(subkey) if isinstance(value, dict) else None
            return value
        return self.per_seed(step, value_of)

    def band(self, step: str, dimension: str, groups: tuple[str, ...], key: str) -> Result | None:
        """The shipped file's ``key`` over groups of ``edge validate --by`` (face-weighted), across seeds."""
        def value_of(report: dict):
            rows = [row for g, row in group_table(report, dimension).items() if g in groups]
            if len(rows) != len(groups):
                return None
            return sum(r["faces"] * r["models"][SHIPPED][key] for r in rows) / sum(r["faces"] for r in rows)
        return self.per_seed(step, value_of)

    def int8_delta(self, key: str) -> Result | None:
        shipped, float32 = self.figure("validate", key), self.figure("validate", key, model="float32")
        if not shipped or not float32 or len(shipped[1]) != len(float32[1]):
            return None
        values = [a - b for a, b in zip(shipped[1], float32[1])]
        return statistics.fmean(values), values

    def worst_race_gender(self) -> str:
        """The lowest gender accuracy among UTKFace's race groups (each seed's own worst), with its group."""
        worst = []
        for seed in self.seeds():
            races = {g: row["models"][SHIPPED]["gender_accuracy"]
                     for g, row in group_table(self.report("validate", seed), "race").items()}
            if races:
                worst.append(min(races.items(), key=lambda item: item[1]))
        if not worst:
            return "not run"
        mean = statistics.fmean(v for _, v in worst)
        return f"**{mean * 100:.1f}%** (" + " / ".join(f"{g} {v * 100:.1f}%" for g, v in worst) + ")"

    def wall_minutes(self, seed: str) -> float | None:
        """Seed ``seed``'s UTKFace training wall time (see ``step_minutes``)."""
        return self.step_minutes(f"train-s{seed}", f"mobile-utk-s{seed}")

    def step_minutes(self, step: str, run: str) -> float | None:
        """The script's own wall time for ``step``; for a run trained elsewhere and linked in (no step log),
        the training process's own time from its metrics.json (a resumed run: the last process only)."""
        log = self.out / f"{step}.log"
        if not log.is_file():
            seconds = (self.load(run, "metrics.json") or {}).get("train_seconds_this_process")
            return None if seconds is None else seconds / 60
        match = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)", log.read_text())
        if not match:
            return None
        hours, minutes, secs = match.groups()
        return int(hours or 0) * 60 + int(minutes) + float(secs) / 60

def group_table(report: dict, dimension: str) -> dict:
    return ((report.get("by_group") or {}).get("dimensions") or {}).get(dimension, {})


def fmt(result: Result | None, kind: str) -> str:
    """Mean in bold, each seed in brackets; kind: pct, pp, num, delta or ms."""
    if result is None:
        return "not run"
    one = {"pct": lambda v: f"{v * 100:.1f}%", "pp": lambda v: f"{v * 100:+.2f} pp", "delta": lambda v: f"{v:+.2f}",
           "ms": lambda v: f"{v:.2f} ms", "num": lambda v: f"{v:.2f}"}[kind]
    mean, values = result
    return f"**{one(mean)}**" + (f" ({' / '.join(one(v) for v in values)})" if len(values) > 1 else "")


# The accuracy issue's goals for the default shipped model. "Before" is the previous shipped file
# (utk20 groups, seed 42) on the same test faces: docs/experiments/2026-12-04-utk28-young-ages.md.
def goal_rows(bench: Bench) -> list[tuple[str, str, str, str]]:
    size = bench.figure("validate", "size_bytes")
    walls = [w for s in bench.seeds() if (w := bench.wall_minutes(s)) is not None]
    cross_gate = "; ".join(f"seed {s}: " + ("passes" if gate["passed"] else f"fails ({gate['reason']})")
                           for s in bench.seeds() if (gate := bench.report("cross", s).get("gate")))
    return [
        ("shipped int8 file", f"**{size[0] / 1024:.1f} KB**" if size else "not run", "396.7 KB", "<= 400 KB"),
        ("UTKFace test (2,979 faces), age MAE", fmt(bench.figure("validate", "age_mae_years"), "num"), "4.76 y", "<= 4.5 y"),
        ("same, gender accuracy", fmt(bench.figure("validate", "gender_accuracy"), "pct"), "92.4%", ">= 94.5%"),
        ("UTKFace test, children 0-9: gender", fmt(bench.band("validate", "age", ("0-2", "3-9"), "gender_accuracy"), "pct"), "67.1%", ">= 72.1%"),
        ("UTKFace test, babies 0-2: age MAE", fmt(bench.band("validate", "age", ("0-2",), "age_mae_years"), "num"), "2.0 y", "<= 1.2 y"),
        ("UTKFace test, 40-59: age MAE", fmt(bench.band("validate", "age", ("40-59",), "age_mae_years"), "num"), "7.1 y", "<= 6.1 y"),
        ("UTKFace test, 60+: age MAE", fmt(bench.band("validate", "age", ("60+",), "age_mae_years"), "num"), "7.5 y", "<= 6.5 y"),
        ("UTKFace test, worst race group: gender", bench.worst_race_gender(), "89.1% (Asian)", ">= 92%"),
        ("Adience, all 6,148 faces, never trained on: gender", fmt(bench.figure("cross", "gender_accuracy"), "pct"), "77.3%", ">= 82%"),
        ("same, age 1-off (years -> 8 groups)", fmt(bench.figure("cross", "age_1off_accuracy"), "pct"), "75.9%", ">= 85%"),
        ("same, (0,2) exact", fmt(bench.band("cross", "age", ("0-2",), "age_exact_accuracy"), "pct"), "22.5%", ">= 60%"),
        ("int8 vs float, UTKFace test: MAE delta (y)", fmt(bench.int8_delta("age_mae_years"), "delta"), "+0.00", "<= 0.05"),
        ("int8 vs float, UTKFace test: gender delta", fmt(bench.int8_delta("gender_accuracy"), "pp"), "-0.13 pp", ">= -0.3 pp"),
        ("int8 vs float on Adience: the release gate, overall and by group", cross_gate or "not run", "-", "passes"),
        ("full training, wall minutes (2-core CPU)", " / ".join(f"{w:.0f}" for w in walls) or "not run", "50", "<= 75"),
    ]


def recipe_rows(bench: Bench) -> list[tuple[str, str, str]]:
    """What the recipe's other choices cost or buy, and the phone's path."""
    return [
        ("same weights exported one pass per face (--no-flip-average), MAE", fmt(bench.figure("validate-single", "age_mae_years"), "num"), "ablation"),
        ("same, one pass per face, gender", fmt(bench.figure("validate-single", "gender_accuracy"), "pct"), "ablation"),
        ("shipped int8, median ms per face (1 thread, this CPU)", fmt(bench.figure("validate", "latency_1_thread", "median_ms"), "ms"), "cost"),
        ("one pass per face, median ms per face (1 thread)", fmt(bench.figure("validate-single", "latency_1_thread", "median_ms"), "ms"), "cost"),
        ("Adience never trained on, through the detector + crop: gender", fmt(bench.figure("cross-crop", "gender_accuracy"), "pct"), "the phone's path"),
        ("same through the detector + crop: 1-off", fmt(bench.figure("cross-crop", "age_1off_accuracy"), "pct"), "the phone's path"),
    ]


def goal_table(bench: Bench) -> str:
    """The goal table and the recipe's figures, every seed of the default recipe in the folder."""
    devices = {(bench.load(f"mobile-utk-s{s}", "metrics.json") or {}).get("device") for s in bench.seeds()}
    lines = [f"Seeds {', '.join(bench.seeds()) or 'none'} of the default recipe (mean in bold, each seed in brackets); "
             f"training device: {', '.join(sorted(str(d) for d in devices)) or '?'}.", "",
             "| benchmark | measured | previous shipped file (seed 42) | goal |", "|---|---|---|---|"]
    lines += [f"| {name} | {value} | {before} | {goal} |" for name, value, before, goal in goal_rows(bench)]
    lines += ["", "| recipe figure | measured | note |", "|---|---|---|"]
    lines += [f"| {name} | {value} | {note} |" for name, value, note in recipe_rows(bench)]
    return "\n".join(lines)


def groups_table(bench: Bench, seed: str = SHIPPED_SEED) -> str | None:
    """Who the shipped file fails: UTKFace test by age band and race, with 95% intervals; calibration.
    None when the shipped seed was not validated."""
    report = bench.report("validate", seed)
    if not report:
        return None

    def row(name: str, group: dict) -> str:
        shipped = group["models"][SHIPPED]
        low, high = shipped["gender_accuracy_ci"]
        return (f"| {name} | {group['faces']:,} | {shipped['gender_accuracy'] * 100:.1f}% ({low * 100:.1f}-{high * 100:.1f}) "
                f"| {shipped['age_mae_years']:.1f} y |")

    lines = ["| group (UTKFace's labels) | faces | gender accuracy (95% interval) | age MAE |", "|---|---:|---|---:|"]
    ages = group_table(report, "age")
    lines += [row(f"age {band}", ages[band]) for band in AGE_BANDS if band in ages]
    lines += [row(race, group) for race, group in sorted(group_table(report, "race").items())]
    overall = (report.get("calibration") or {}).get("overall")
    if overall:
        lines += ["", f"Gender confidence after calibration: expected calibration error "
                  f"{overall['gender_ece_after'] * 100:.2f}% ({overall['gender_ece_before'] * 100:.2f}% before); "
                  f"\"not sure\" withholds {overall['gender_unsure_share'] * 100:.1f}% of genders and the rest are right "
                  f"{overall['gender_precision_reported'] * 100:.2f}% of the time; the age range holds "
                  f"{overall['age_range_coverage'] * 100:.1f}% of true ages."]
    return "\n".join(lines)


ADIENCE_ROWS = (("gender_accuracy", "gender"), ("age_exact_accuracy", "age exact (8 groups)"),
                ("age_1off_accuracy", "age 1-off"))


def adience_table(bench: Bench) -> str | None:
    """The Adience benchmark protocol: 5 subject-disjoint folds, each fold's run fine-tuned from a UTKFace run
    (accuracy.sh: the first seed's), tested on its own fold; mean +- std over folds. None when no fold trained."""
    report, trained = bench.load("adience-validate", "validation.json"), bench.load("mobile-adience-transfer", "metrics.json")
    if not (report or trained):
        return None
    # the folds trained but their exports were not validated: the float Keras figures alone, labelled
    columns = [(SHIPPED, "QAT int8 (shipped kind)"), ("float32", "float32")] if report else [(None, "float Keras (int8 not validated)")]
    stats = {name: (report["mean_std"].get(name, {}) if report else trained["mean_std"]) for name, _ in columns}

    def cell(name, key: str) -> str:
        figure = stats[name].get(key)
        return f"{figure['mean'] * 100:.1f} ± {figure['std'] * 100:.1f}%" if figure else "n/a"

    minutes = bench.step_minutes("adience-train", "mobile-adience-transfer")
    config = bench.load("mobile-adience-transfer", "config.json") or {}
    start = f"from `{Path(config['init_from']).name}`" if config.get("init_from") else "from scratch"
    lines = [f"{len((report or trained)['folds'])} folds by subject (no person in two folds); each fold trained "
             f"{config.get('epochs', '?')} epochs {start} and tested on its own fold; mean ± std over folds. "
             f"Training all folds: {f'{minutes:.0f} min' if minutes else '?'} (2-core CPU).", "",
             "| Adience 5-fold | " + " | ".join(title for _, title in columns) + " |",
             "|---|" + "---|" * len(columns)]
    lines += [f"| {title} | " + " | ".join(cell(name, key) for name, _ in columns) + " |" for key, title in ADIENCE_ROWS]
    if report:
        lines += ["", f"int8 against float on every fold (the release gate): {'passes' if report['gate']['passed'] else 'fails'} "
                      f"({report['gate']['reason']})."]
    return "\n".join(lines)


BROWSER_RESULTS = ("web-threaded", "web-threaded-x4", "web-1thread", "web-1thread-x4", "lighthouse")  # browser.sh's files


class BrowserBench:
    """benchmarks/browser.sh's folder: one web_latency.mjs JSON per page setting, and Lighthouse's."""

    def __init__(self, out: Path) -> None:
        self.out = Path(out)

    def load(self, name: str) -> dict | None:
        path = self.out / f"{name}.json"
        return json.loads(path.read_text()) if path.is_file() else None


def per_face_figure(result: dict | None) -> str:
    """Median ms per face: the default file (two looks), the one-look file, face-api.js, and the speed-ups."""
    if not result:
        return "not run"
    one = result.get("ours_one_look_ms")
    ours = f"two looks (default) {result['ours_ms']['median']:.1f} ms" + (f", one look {one['median']:.1f} ms" if one else "")
    speedups = f"{result['speedup_median']}x" + (f" / {result['speedup_one_look_median']}x" if one else "")
    return f"{ours}, face-api.js {result['faceapi_ms']['median']:.1f} ms: {speedups} faster"


def page_load_figure(result: dict | None, throttle: int) -> str:
    """First and repeat visit, interactive / model ready, over the page's settings (a range when they differ)."""
    loads = [load for key, load in ((result or {}).get("page_load") or {}).items() if key.startswith(f"x{throttle}_")]
    if not loads:
        return "not run"

    def span(key: str) -> str:
        low, high = min(load[key] for load in loads), max(load[key] for load in loads)
        return f"{low:.1f}" if f"{low:.1f}" == f"{high:.1f}" else f"{low:.1f}-{high:.1f}"

    return (f"{span('interactive_s_median')} s / {span('model_ready_s_median')} s (repeat visit "
            f"{span('repeat_interactive_s_median')} s / {span('repeat_model_ready_s_median')} s)")


def browser_table(browser: BrowserBench) -> str | None:
    """The page against face-api.js in one Chromium per setting (100 UTKFace test faces), loads, Lighthouse.
    None when browser.sh wrote nothing."""
    if not any(browser.load(name) for name in BROWSER_RESULTS):
        return None
    threaded = browser.load("web-threaded")
    loads = [load for load in ((threaded or {}).get("page_load") or {}).values()]
    visit = (f"{max(l['first_visit_bytes'] for l in loads) / 1e6:.2f} MB first, "
             f"{max(l['repeat_visit_bytes'] for l in loads) / 1e3:.1f} KB repeat") if loads else "not run"
    lighthouse = (browser.load("lighthouse") or {}).get("settings", {})
    scores = {looks: f"performance {e['performance']}, accessibility {e['accessibility']}, best practices {e['best_practices']}"
              for looks, e in lighthouse.items()}
    first = threaded or browser.load("web-threaded-x4") or {}
    lines = [f"{first.get('browser', 'Chromium')}, {first.get('faces', '?')} UTKFace test faces, "
             f"export {'/'.join(Path(first['export']).parts[-2:]) if first else '?'}; median per face.", "",
             "| measure | figure |", "|---|---|",
             f"| per face against face-api.js, quiet CPU, threaded build | {per_face_figure(threaded)} |",
             f"| the same at 4x CPU throttling (a mid-range phone) | {per_face_figure(browser.load('web-threaded-x4'))} |",
             f"| one-thread build (no cross-origin isolation), quiet CPU | {per_face_figure(browser.load('web-1thread'))} |",
             f"| one-thread build at 4x throttling | {per_face_figure(browser.load('web-1thread-x4'))} |",
             f"| page interactive / model ready, first visit, 4x throttling | {page_load_figure(threaded, 4)} |",
             f"| the same without throttling | {page_load_figure(threaded, 1)} |",
             f"| bytes per visit (compressed, as served) | {visit} |",
             f"| Lighthouse, mobile emulation, median of 3: the default page | {scores.get('two', 'not run')} |",
             f"| the same, one-look setting (`?looks=one`) | {scores.get('one', 'not run')} |"]
    return "\n".join(lines)


def render_sections(bench: Bench, browser: BrowserBench) -> dict[str, str | None]:
    """Each marked section of the results page, by name; None where its benchmark left nothing."""
    return {"accuracy": goal_table(bench) if bench.seeds() else None, "groups": groups_table(bench),
            "adience": adience_table(bench), "browser": browser_table(browser)}


def write_sections(page: Path, sections: dict[str, str | None]) -> list[str]:
    """Replace each ``<!-- results.py: NAME -->`` ... ``<!-- /results.py -->`` block of ``page`` with its
    section; a section that is None (nothing measured) leaves the page's block as it is. The names done."""
    text, done = page.read_text(), []
    for name, content in sections.items():
        if content is None:
            continue
        pattern = re.compile(rf"(<!-- results\.py: {name} -->\n).*?(<!-- /results\.py -->)", re.S)
        if pattern.search(text):
            text = pattern.sub(lambda m: m.group(1) + content + "\n" + m.group(2), text)
            done.append(name)
    tmp = page.with_name(page.name + ".tmp")
    tmp.write_text(text)
    tmp.replace(page)
    return done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", type=Path, default=ROOT / "bench" / "accuracy", help="accuracy.sh's folder")
    parser.add_argument("--write", nargs="?", type=Path, const=ROOT / "docs" / "RESULTS.md", default=None,
                        help="also update this page's marked sections (default docs/RESULTS.md)")
    parser.add_argument("--browser", type=Path, default=ROOT / "bench" / "browser", help="browser.sh's folder")
    parser.add_argument("--sections", default=None,
                        help="comma-separated: only these sections (accuracy, groups, adience, browser); default all")
    args = parser.parse_args()
    sections = render_sections(Bench(args.out), BrowserBench(args.browser))
    if args.sections:
        unknown = set(args.sections.split(",")) - set(sections)
        if unknown:
            parser.error(f"--sections: no section named {', '.join(sorted(unknown))} (there are {', '.join(sections)})")
        sections = {name: sections[name] for name in args.sections.split(",")}
    print(*(f"## {name}\n{content or 'not run: nothing measured in the folder'}" for name, content in sections.items()),
          sep="\n\n")
    if args.write:
        done = write_sections(args.write, sections)
        kept = [name for name in sections if name not in done]
        print(f"\nupdated {args.write}: {', '.join(done) or 'nothing'}"
              + (f"; kept as it was (nothing measured, or no markers): {', '.join(kept)}" if kept else ""))


if __name__ == "__main__":
    main()
