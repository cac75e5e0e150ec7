"""Train a large teacher on a GPU and write its soft labels for `edge train --teacher-labels`.

Usage (PyTorch, any CUDA machine; no TensorFlow needed):
    python benchmarks/teacher/train_teacher.py PACKED.npz OUT_DIR [--folds 4] [--epochs 60] [--arch resnet18]

PACKED.npz comes from ``edge teacher pack RUN PACKED.npz``: the student run's training and validation
faces exactly as the student sees them. Soft labels on the training faces are OUT-OF-FOLD: the
training faces are cut into ``--folds`` parts, one teacher per part is trained on the other parts
and labels the part it never saw, so no label is a teacher's memory of its own training image.
The validation faces are labelled by the mean of all fold teachers and only report the teacher's
accuracy. One process per fold runs concurrently on the one GPU (small models leave it idle).

The teacher is a ResNet (basic blocks, no max pool after the stem: 96 px faces keep a 6x6 map at
the end) with an age head of 101 one-year bins trained by DLDL-v2 (KL to a Gaussian label
distribution + L1 of the expected age) and a gender head, under the student's augmentation
(flip, rotation, shift, random scale with mirrored borders, brightness).

Writes ``OUT_DIR/teacher_labels.npz`` (the format ``edge train --teacher-labels`` reads: paths,
the age distribution over the student's age groups, the probability of gender class 1) and
``OUT_DIR/teacher_report.json`` (per-fold and ensemble metrics, time, device).
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from edge.labels import get_scheme  # noqa: E402  (TensorFlow-free: the student's label scheme, not a copy)

MAX_YEARS = 100  # age bins 0..100; older faces fall in the last bin (UTKFace's 101-116 are <0.1%)
LABEL_SIGMA = 2.0  # years: the Gaussian label distribution of the teacher's one-year bins
L1_WEIGHT = 0.05


def decode_pack(path: Path) -> dict:
    from PIL import Image

    pack = dict(np.load(path))
    blob, offsets = pack["jpeg"].tobytes(), pack["offsets"]

    def one(i):
        return np.asarray(Image.open(io.BytesIO(blob[offsets[i]:offsets[i + 1]])).convert("RGB"))

    with ThreadPoolExecutor(os.cpu_count() or 4) as pool:
        pack["images"] = np.stack(list(pool.map(one, range(len(offsets) - 1))))
    return pack


def build_teacher(arch: str, dropout: float):
    import torch
    from torch import nn

    blocks = {"resnet18": (2, 2, 2, 2), "resnet34": (3, 4, 6, 3)}[arch]

    class Basic(nn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.body = nn.Sequential(
                nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
                nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout))
            self.skip = nn.Identity() if stride == 1 and cin == cout else nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

        def forward(self, x):
            return torch.relu(self.body(x) + self.skip(x))

    class Teacher(nn.Module):
        def __init__(self):
            super().__init__()
            layers = [nn.Conv2d(3, 64, 5, 2, 2, bias=False), nn.BatchNorm2d(64), nn.ReLU(inplace=True)]
            cin = 64
            for stage, (count, width) in enumerate(zip(blocks, (64, 128, 256, 512))):
                for index in range(count):
                    layers.append(Basic(cin, width, 2 if index == 0 and stage > 0 else 1))
                    cin = width
            self.features = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(dropout))
            self.age = nn.Linear(512, MAX_YEARS + 1)
            self.gender = nn.Linear(512, 1)

        def forward(self, x):
            features = self.features(x)
            return self.age(features), self.gender(features).squeeze(1)

    return Teacher()


def augment(x, generator, zoom: float):
    """The student's augmentation (train/pipeline.py), on the GPU: flip, +-10 deg, +-6% shift, +-zoom scale,
    +-10% brightness; borders are mirrored like the student's REFLECT fill."""
    import torch
    import torch.nn.functional as F

    n = x.shape[0]

    def uniform(low=-1.0, high=1.0):
        return torch.rand(n, device=x.device, generator=generator) * (high - low) + low

    flip = uniform(0, 1) < 0.5
    x = torch.where(flip[:, None, None, None], x.flip(3), x)
    angle = uniform() * math.radians(10.0)
    scale = 1.0 + uniform() * zoom
    cos, sin = torch.cos(angle) * scale, torch.sin(angle) * scale
    theta = torch.stack([torch.stack([cos, -sin, uniform() * 0.12], 1), torch.stack([sin, cos, uniform() * 0.12], 1)], 1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection", align_corners=False)
    return (x + uniform()[:, None, None, None] * 0.1).clamp(0, 1)


def label_distribution(years, sigma: float):
    import torch

    bins = torch.arange(MAX_YEARS + 1, device=years.device, dtype=torch.float32)
    return torch.softmax(-(bins[None] - years.clamp(max=MAX_YEARS)[:, None]) ** 2 / (2 * sigma ** 2), 1)


def predict(model, images, batch: int = 512):
    """Mean of the face and its mirror image: (age probabilities over 0..100, P(gender class 1))."""
    import torch

    model.eval()
    ages, genders = [], []
    with torch.no_grad(), torch.autocast(images.device.type, torch.bfloat16):
        for start in range(0, len(images), batch):
            x = images[start:start + batch].permute(0, 3, 1, 2).float() / 255.0
            x = x.contiguous(memory_format=torch.channels_last)
            age_a, gender_a = model(x)
            age_b, gender_b = model(x.flip(3))
            ages.append(((age_a.float().softmax(1) + age_b.float().softmax(1)) / 2).cpu())
            genders.append(((gender_a.float().sigmoid() + gender_b.float().sigmoid()) / 2).cpu())
    return torch.cat(ages).numpy(), torch.cat(genders).numpy()


def metrics(age_probs, gender_probs, years, gender) -> dict:
    cdf = np.cumsum(age_probs, 1)
    median = (cdf < 0.5).sum(1)  # bin y is the age y (the Gaussian targets are centred on whole years)
    expected = age_probs @ np.arange(MAX_YEARS + 1)
    known = gender >= 0
    return {"faces": int(len(years)), "age_mae_median_years": float(np.abs(median - years).mean()),
            "age_mae_expected_years": float(np.abs(expected - years).mean()),
            "gender_accuracy": float(((gender_probs[known] > 0.5) == (gender[known] == 1)).mean())}


def train_fold(args, fold: int) -> None:
    """Train the teacher that does not see fold ``fold`` of the training faces; save its predictions."""
    import torch
    import torch.nn.functional as F

    torch.manual_seed(args.seed + fold)
    torch.backends.cudnn.benchmark = True
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")  # cpu: a smoke test only
    pack = decode_pack(args.packed)
    train_index = pack["train"]
    part = np.random.default_rng(args.seed).permutation(len(train_index)) % args.folds
    fit_index, held_index = train_index[part != fold], train_index[part == fold]
    images = torch.from_numpy(pack["images"]).to(device)
    years = torch.from_numpy(pack["age_years"]).to(device)
    gender = torch.from_numpy(pack["gender"].astype(np.float32)).to(device)
    fit = torch.from_numpy(fit_index).to(device)
    model = build_teacher(args.arch, args.dropout).to(device).to(memory_format=torch.channels_last)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    steps_per_epoch = len(fit_index) // args.batch
    total, warmup = steps_per_epoch * args.epochs, steps_per_epoch * 2
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: min(1.0, (s + 1) / warmup) * 0.5 * (
        1 + math.cos(math.pi * min(1.0, s / total))))
    generator = torch.Generator(device).manual_seed(args.seed + fold)
    start = time.time()
    for epoch in range(args.epochs):
        model.train()
        order = fit[torch.randperm(len(fit), device=device, generator=generator)]
        running = 0.0
        for step in range(steps_per_epoch):
            index = order[step * args.batch:(step + 1) * args.batch]
            x = images[index].permute(0, 3, 1, 2).float() / 255.0
            x = augment(x, generator, args.zoom).contiguous(memory_format=torch.channels_last)
            with torch.autocast(device.type, torch.bfloat16):
                age_logits, gender_logit = model(x)
            age_logits, gender_logit = age_logits.float(), gender_logit.float()
            target = label_distribution(years[index], LABEL_SIGMA)
            log_probs = age_logits.log_softmax(1)
            expected = (log_probs.exp() * torch.arange(MAX_YEARS + 1, device=device)).sum(1)
            age_loss = F.kl_div(log_probs, target, reduction="batchmean") + L1_WEIGHT * (expected - years[index]).abs().mean()
            known = gender[index] >= 0
            gender_loss = F.binary_cross_entropy_with_logits(gender_logit[known], gender[index][known])
            loss = age_loss + gender_loss
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            running += float(loss.detach()) if step % 20 == 0 else 0.0
        if epoch % 10 == 9 or epoch == args.epochs - 1:
            print(f"fold {fold} epoch {epoch + 1}/{args.epochs} loss {running / max(1, steps_per_epoch // 20):.3f} "
                  f"{time.time() - start:.0f}s", flush=True)
    held_age, held_gender = predict(model, images[torch.from_numpy(held_index).to(device)])
    val_age, val_gender = predict(model, images[torch.from_numpy(pack["val"]).to(device)])
    np.savez(args.out / f"fold{fold}.npz", held_index=held_index, held_age=held_age, held_gender=held_gender,
             val_age=val_age, val_gender=val_gender, seconds=time.time() - start)


def group_distribution(age_probs: np.ndarray, scheme_name: str) -> np.ndarray:
    """Sum the one-year bins into the student's age groups (the scheme's own year -> group rule)."""
    scheme = get_scheme(scheme_name)
    member = np.zeros((MAX_YEARS + 1, scheme.num_classes), np.float32)
    for year in range(MAX_YEARS + 1):
        member[year, scheme.group_of_years(year)] = 1.0
    return age_probs @ member


def combine(args) -> None:
    pack = dict(np.load(args.packed))
    count = len(pack["paths"])
    age = np.zeros((count, MAX_YEARS + 1), np.float32)
    gender = np.zeros(count, np.float32)
    val_age, val_gender, report = 0.0, 0.0, {"per_fold": {}}
    for fold in range(args.folds):
        part = np.load(args.out / f"fold{fold}.npz")
        age[part["held_index"]], gender[part["held_index"]] = part["held_age"], part["held_gender"]
        val_age, val_gender = val_age + part["val_age"] / args.folds, val_gender + part["val_gender"] / args.folds
        report["per_fold"][fold] = {"val": metrics(part["val_age"], part["val_gender"], pack["age_years"][pack["val"]],
                                                pack["gender"][pack["val"]]),
                                 "train_seconds": float(part["seconds"])}
    age[pack["val"]], gender[pack["val"]] = val_age, val_gender
    train, val = pack["train"], pack["val"]
    report["val_ensemble"] = metrics(val_age, val_gender, pack["age_years"][val], pack["gender"][val])
    report["train_out_of_fold"] = metrics(age[train], gender[train], pack["age_years"][train], pack["gender"][train])
    import torch

    report.update({"arch": args.arch, "epochs": args.epochs, "folds": args.folds, "batch": args.batch, "lr": args.lr,
                   "zoom": args.zoom, "seed": args.seed, "device": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu",
                   "wall_seconds": round(time.time() - args.started, 1)})
    labelled = np.concatenate([train, val])
    np.savez_compressed(args.out / "teacher_labels.npz", paths=pack["paths"][labelled],
                        age_distribution=group_distribution(age[labelled], "utk20").astype(np.float16),
                        gender_prob=gender[labelled].astype(np.float16), label_scheme=np.asarray("utk20"),
                        source=np.asarray(f"{args.arch} x{args.folds} out-of-fold teachers, {args.epochs} epochs"))
    (args.out / "teacher_report.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("packed", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--folds", type=int, default=4)
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--arch", default="resnet18", choices=("resnet18", "resnet34"))
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--weight-decay", type=float, default=0.05)
    parser.add_argument("--dropout", type=float, default=0.2)
    parser.add_argument("--zoom", type=float, default=0.35)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--fold", type=int, default=None, help="internal: train this one fold")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.fold is not None:
        train_fold(args, args.fold)
        return
    args.started = time.time()
    workers = [subprocess.Popen([sys.executable, __file__, *sys.argv[1:], "--fold", str(fold)]) for fold in range(args.folds)]
    failed = [fold for fold, worker in enumerate(workers) if worker.wait() != 0]
    if failed:
        sys.exit(f"teacher folds {failed} failed")
    combine(args)


if __name__ == "__main__":
    main()
