"""The accuracy recipe of `edge train --model mobile`: age label distributions, scale augmentation,
and the measurement options of `edge validate` (cross-dataset scoring, test-time flip averaging)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from edge.decode import Decoded, decode_outputs, flip_average, group_bounds, median_years, regroup
from edge.errors import EdgeError
from edge.labels import get_scheme
from edge.spec import Spec
from edge.app.validate import scoring_scheme
from edge.datasets import FaceRecord
from edge.train.config import TrainConfig, check_options, resolve_config
from edge.train.models import family_defaults, output_specs
from edge.train.pipeline import TargetRecipe, age_distribution, model_targets
from edge.targets import Targets
from tests.conftest import run_cli

UTK20 = get_scheme("utk20")


# --- label distributions ------------------------------------------------------------------------------
def test_age_distribution_says_where_in_the_group_a_face_is():
    centers = np.asarray(UTK20.class_centers)
    rows = age_distribution(np.asarray([20.0, 24.0, 22.0, 1.0]), centers, sigma=3.0)
    assert np.allclose(rows.sum(axis=1), 1.0)
    assert (rows.argmax(axis=1)[:3] == UTK20.group_of_years(22)).all()  # same group for 20, 22 and 24
    assert rows[0, 3] > rows[0, 5] and rows[1, 5] > rows[1, 3]  # 20 leans to 15-19, 24 to 25-29
    assert abs(float(rows[2] @ centers) - 22.0) < 0.5  # the expectation returns the age
    assert rows[3].argmax() == 0


def test_targets_carry_the_distribution_then_the_years():
    targets = Targets(age_class=np.asarray([4, 4, -1]), age_years=np.asarray([21.0, np.nan, np.nan]),
                      gender=np.asarray([1, 0, -1]))
    (age_y, gender_y), (age_w, gender_w) = model_targets(
        "mobile", "utk20", targets, 20, TargetRecipe(age_sigma=3.0, age_centers=UTK20.class_centers))
    assert age_y.shape == (3, 21)
    assert age_y[0, -1] == 21.0 and age_y[1, -1] == UTK20.class_centers[4]  # a group without years: its center
    assert age_w.tolist() == [1.0, 1.0, 0.0] and gender_w.tolist() == [1.0, 1.0, 0.0]
    (plain, _), _ = model_targets("mobile", "utk20", targets, 20)
    assert plain.tolist() == [4, 4, 0]  # --age-sigma 0: the one-hot groups as before


def test_distribution_loss_prefers_the_right_age_and_survives_a_save():
    from edge.train.losses import AgeDistributionLoss, keras

    centers = UTK20.class_centers
    loss = AgeDistributionLoss(centers)
    truth = np.concatenate([age_distribution(np.asarray([30.0]), np.asarray(centers), 3.0), [[30.0]]], 1)
    right = age_distribution(np.asarray([30.0]), np.asarray(centers), 3.0)
    wrong = age_distribution(np.asarray([60.0]), np.asarray(centers), 3.0)
    assert float(loss(truth, right)) < 1e-3 < float(loss(truth, wrong))
    clone = keras.losses.deserialize(keras.losses.serialize(loss))
    assert clone.centers == list(centers) and float(clone(truth, wrong)) == pytest.approx(float(loss(truth, wrong)))


def test_zoom_augmentation_is_seeded_and_changes_framing():
    from edge.train.pipeline import augment_batch

    x = np.random.default_rng(0).random((4, 32, 32, 3)).astype(np.float32)
    seed = np.asarray([3, 4], np.int64)
    still, zoomed = augment_batch(x, (0.0, 1.0), seed, 0.0), augment_batch(x, (0.0, 1.0), seed, 0.3)
    assert np.array_equal(np.asarray(zoomed), np.asarray(augment_batch(x, (0.0, 1.0), seed, 0.3)))
    assert not np.allclose(np.asarray(still), np.asarray(zoomed))


def test_recipe_defaults_and_option_ranges():
    resolved = resolve_config(TrainConfig(data="faces.csv"), "csv")
    assert resolved.age_sigma > 0 and resolved.zoom > 0 and resolved.degrade > 0  # the mobile default recipe
    assert resolved.ema == family_defaults("mobile").ema > 0  # weights averaged (docs/experiments/2026-11-30-weight-averaging.md)
    assert resolve_config(TrainConfig(data="faces.csv", model="cnn"), "csv").ema == 0
    assert resolve_config(TrainConfig(data="faces.csv", ema=0), "csv").ema == 0  # --ema 0 turns it off
    assert resolved.epochs == family_defaults("mobile").epochs > family_defaults("cnn").epochs
    assert resolve_config(TrainConfig(data="faces.csv", labels="age"), "csv").age_sigma == 0
    assert resolve_config(TrainConfig(data="faces.csv", model="fcn2hot"), "csv").age_sigma == 0
    # ages in years: mobile learns one-year groups under 10 (docs/experiments/2026-12-04-utk28-young-ages.md);
    # the other families keep five-year groups, Adience its own eight, and --labels always wins
    assert resolved.labels == "utk28" and resolve_config(TrainConfig(data="u"), "utkface").labels == "utk28"
    assert resolve_config(TrainConfig(data="faces.csv", model="cnn"), "csv").labels == "utk20"
    assert resolve_config(TrainConfig(data="a"), "adience").labels == "adience8"
    assert resolve_config(TrainConfig(data="u", labels="utk20"), "utkface").labels == "utk20"
    for bad, words in ((TrainConfig(data="x", age_sigma=-1), "--age-sigma"), (TrainConfig(data="x", zoom=0.9), "--zoom"),
                       (TrainConfig(data="x", model="fcn2hot", age_sigma=3), "age-group softmax"),
                       (TrainConfig(data="x", labels="age", age_sigma=3), "--labels age"),
                       (TrainConfig(data="x", kernel=4), "--kernel 4"), (TrainConfig(data="x", model="cnn", kernel=5), "cnn has none"),
                       (TrainConfig(data="x", ema=0.5), "--ema 0.5"), (TrainConfig(data="x", ema=1.0), "--ema 1.0"),
                       (TrainConfig(data="x", gender_weight=0), "--gender-weight 0"),
                       (TrainConfig(data="x", model="tuple", gender_weight=2), "tuple has one output")):
        with pytest.raises(EdgeError, match=words):
            check_options(bad)


def test_gender_weight_scales_the_gender_loss_in_the_training_objective(utkface_dir, tmp_path):
    """--gender-weight W: the loss the optimizer minimises is the age loss + W x the gender loss."""
    out = tmp_path / "gw"
    result = run_cli("train", "--data", utkface_dir, "--max-images", "120", "--epochs", "1", "--img-size", "32",
                     "--gender-weight", "3", "--out", out)
    assert result.exit_code == 0, result.output
    assert json.loads((out / "config.json").read_text())["gender_weight"] == 3
    history = json.loads((out / "history.json").read_text())
    for prefix in ("", "val_"):
        age, gender, total = (history[f"{prefix}{name}"][-1] for name in ("age_loss", "gender_loss", "loss"))
        assert total == pytest.approx(age + 3 * gender, rel=1e-3)
        assert total != pytest.approx(age + gender, rel=1e-2)


def test_receptive_field_of_the_mobile_default_covers_the_face():
    """Why the default kernel is 5: with 3x3 no pooled feature saw more than 43 px of a 96 px face."""
    from edge.train.models import ModelShape, build_model, receptive_field

    spec = Spec.create(image_size=96, color="rgb")
    fields = {kernel: receptive_field(build_model("mobile", spec, ModelShape(kernel=kernel))) for kernel in (3, 5)}
    assert fields == {3: 43, 5: 83}  # stem 3, then (kernel - 1) x the stride so far per block
    assert receptive_field(build_model("mobile", spec)) == fields[family_defaults("mobile").kernel]
    assert receptive_field(build_model("tuple", Spec.create(image_size=32))) == 0  # no convolutions


def test_kernel_sets_mobiles_depthwise_convolutions_and_is_recorded(utkface_dir, tmp_path):
    """--kernel widens what each pooled feature sees of the face; the run says which kernel it trained."""
    from edge.tf_bootstrap import import_tf

    assert resolve_config(TrainConfig(data="faces.csv"), "csv").kernel == family_defaults("mobile").kernel
    assert resolve_config(TrainConfig(data="faces.csv", model="cnn"), "csv").kernel is None  # no depthwise layers
    out = tmp_path / "k7"
    result = run_cli("train", "--data", utkface_dir, "--max-images", "120", "--epochs", "1", "--img-size", "32",
                     "--kernel", "7", "--out", out)
    assert result.exit_code == 0, result.output
    assert "receptive field 123 px of the 32 px input" in result.output  # 3 + 6 x (2 + 2 + 4 + 4 + 8)
    assert json.loads((out / "config.json").read_text())["kernel"] == 7
    _, keras = import_tf()
    model = keras.models.load_model(out / "model.keras", compile=False)
    depthwise = [layer for layer in model.layers if isinstance(layer, keras.layers.DepthwiseConv2D)]
    assert depthwise and all(layer.kernel_size == (7, 7) for layer in depthwise)


def test_ema_run_is_the_weight_average_and_resume_keeps_averaging(utkface_dir, tmp_path):
    """--ema: model.keras is the average (not the last step), and --resume continues that average."""
    from edge.tf_bootstrap import import_tf

    out = tmp_path / "ema"
    first = run_cli("train", "--data", utkface_dir, "--max-images", "200", "--epochs", "1", "--img-size", "32",
                    "--ema", "0.99", "--out", out)
    assert first.exit_code == 0, first.output
    assert "weights averaged over training (--ema 0.99" in first.output
    state = json.loads((out / "checkpoint" / "state.json").read_text())
    steps = state["optimizer_step"]
    resumed = run_cli("train", "--resume", "--epochs", "2", "--out", out)
    assert resumed.exit_code == 0, resumed.output
    state = json.loads((out / "checkpoint" / "state.json").read_text())
    assert json.loads((out / "config.json").read_text())["ema"] == 0.99
    assert state["average"] == "average_002.npz"
    assert sorted(p.name for p in (out / "checkpoint").iterdir()) == ["average_002.npz", "epoch_002.keras", "state.json"]
    with np.load(out / "checkpoint" / state["average"]) as saved:
        assert int(saved["updates"]) == 2 * steps  # the resumed run went on averaging, it did not start over
        average = [saved[key] for key in sorted(saved.files) if key != "updates"]
    _, keras = import_tf()
    model = keras.models.load_model(out / "model.keras", compile=False)
    raw = keras.models.load_model(out / "checkpoint" / "epoch_002.keras", compile=False)
    assert len(model.weights) == len(average)
    assert all(np.allclose(w.numpy(), a) for w, a in zip(model.weights, average))  # the run's model is the average
    assert not all(np.allclose(w.numpy(), r.numpy()) for w, r in zip(model.weights, raw.weights))


# --- validate: cross-dataset scoring and flip averaging ---------------------------------------------------
def test_regroup_scores_years_on_another_datasets_groups():
    decoded = Decoded(age_class=np.asarray([0, 4, 12]), age_years=np.asarray([1.0, 28.0, 61.0]),
                      gender=np.zeros(3, np.int64), gender_prob=np.zeros(3))
    assert regroup(decoded, "adience8").age_class.tolist() == [0, 4, 7]
    averaged = flip_average({"age": np.asarray([[0.2, 0.8]])}, {"age": np.asarray([[0.6, 0.4]])})
    assert np.allclose(averaged["age"], [[0.4, 0.6]])


def test_adience_faces_are_scored_on_adience_groups():
    spec = Spec.create("utk20", image_size=32)
    adience_face = FaceRecord(path="a.jpg", age_years=5.0, gender=0, adience_group=1)
    utk_face = FaceRecord(path="b.jpg", age_years=5.0, gender=0)
    assert scoring_scheme(spec, [adience_face], None) == "adience8"
    assert scoring_scheme(spec, [utk_face], None) == "utk20"
    assert scoring_scheme(spec, [adience_face], "utk20") == "utk20"
    with pytest.raises(EdgeError, match="no groups"):
        scoring_scheme(spec, [utk_face], "age")


def test_validate_cross_dataset_with_flip_averaging(single_pass_export, exported_run, adience_dir, tmp_path):
    """A UTKFace model on Adience faces: scored in Adience's 8 groups, each face also run mirrored
    (--tta on a one-pass export); a default export, which averages inside the file, needs no second pass."""
    reports = {}
    for name, extra, export in (("plain", (), single_pass_export("mobile")), ("tta", ("--tta",), single_pass_export("mobile")),
                                ("crop", ("--face-crop",), single_pass_export("mobile")),
                                ("in_file", (), exported_run("mobile")), ("in_file_tta", ("--tta",), exported_run("mobile"))):
        result = run_cli("validate", export, "--data", adience_dir, "--split", "all", "--max-images", "80",
                         "--threads", "1", "--report", tmp_path / name, "--max-drop-gender", "100",
                         "--max-increase-mae", "100", *extra)
        assert result.exit_code == 0, result.output
        reports[name] = json.loads((tmp_path / name / "validation.json").read_text())
    plain, tta = reports["plain"], reports["tta"]
    assert plain["label_scheme"] == "adience8" and plain["model_label_scheme"] == "utk28"
    assert plain["age_class_names"] == list(get_scheme("adience8").class_names)
    assert len(plain["confusion_matrices"]["float32"]) == 8
    assert plain["tta"] is None and tta["tta"] == "flip" and "twice" in tta["speed_note"]
    assert plain["models"]["float32"]["age_mae_years"] != tta["models"]["float32"]["age_mae_years"]
    # the Keras column is flip-averaged too (this small fixture model barely reacts to a mirror image,
    # but one pass on the same faces would reproduce the plain figure bit for bit)
    assert tta["models"]["keras"]["age_mae_years"] == pytest.approx(tta["models"]["float32"]["age_mae_years"], abs=0.01)
    assert tta["models"]["keras"]["age_mae_years"] != plain["models"]["keras"]["age_mae_years"]
    crop = reports["crop"]  # the phone's path: detector box + the spec's margin, then the classifier
    assert not plain["face_crop"]["enabled"] and crop["face_crop"]["enabled"] and crop["faces"] == 80
    assert crop["models"]["float32"]["age_mae_years"] != plain["models"]["float32"]["age_mae_years"]
    in_file, in_file_tta = reports["in_file"], reports["in_file_tta"]  # the same weights, averaged by the file
    assert in_file["tta"] == in_file_tta["tta"] == "flip, inside the file" and "twice" not in in_file_tta["speed_note"]
    for column in ("keras", "float32"):
        assert in_file_tta["models"][column]["age_mae_years"] == in_file["models"][column]["age_mae_years"]
        assert in_file["models"][column]["age_mae_years"] == pytest.approx(tta["models"][column]["age_mae_years"], abs=1e-3)
    assert in_file["models"]["keras"]["age_mae_years"] == pytest.approx(in_file["models"]["float32"]["age_mae_years"], abs=0.01)


def test_face_crop_decoding_on_a_thread_pool(adience_dir):
    """Detection runs on load_images' worker threads: one detector per thread, no shared interpreter."""
    from edge.cache import load_images
    from edge.datasets import load_dataset

    records = load_dataset(adience_dir).records[:48]
    images = load_images(records, Spec.create("adience8", image_size=48, color="rgb", face_crop=True),
                         use_cache=False, workers=4)
    assert len(images.records) == 48 and images.images.shape == (48, 48, 48, 3)


def test_split_seed_keeps_the_test_faces_while_the_training_seed_varies(utkface_dir, tmp_path):
    """Two training seeds of one recipe are compared on the same held-out faces (BENCHMARKS.md reports their mean)."""
    splits = []
    for seed in ("1", "2"):
        out = tmp_path / f"seed{seed}"
        result = run_cli("train", "--data", utkface_dir, "--max-images", "120", "--epochs", "1", "--img-size", "32",
                         "--seed", seed, "--split-seed", "7", "--out", out)
        assert result.exit_code == 0, result.output
        splits.append(json.loads((out / "split.json").read_text()))
        assert json.loads((out / "config.json").read_text())["split_seed"] == 7
    assert splits[0]["paths"] == splits[1]["paths"] and splits[0]["test"] == splits[1]["test"]


def test_degraded_faces_are_softer_and_only_the_chosen_share():
    from edge.train.pipeline import degrade_batch

    rng = np.random.default_rng(1)
    x = rng.random((64, 48, 48, 3)).astype(np.float32)  # noise: any resampling visibly softens it
    out = np.asarray(degrade_batch(x, np.asarray([5, 6], np.int64), 0.5, 0.0, 1.0))
    changed = ~np.all(np.isclose(out, x), axis=(1, 2, 3))
    assert 0.25 < changed.mean() < 0.75  # about half the faces
    assert out[changed].std() < x[changed].std()  # softer: fine detail removed
    assert out.min() >= 0.0 and out.max() <= 1.0
    assert np.array_equal(out, np.asarray(degrade_batch(x, np.asarray([5, 6], np.int64), 0.5, 0.0, 1.0)))
    assert np.array_equal(np.asarray(degrade_batch(x, np.asarray([5, 6], np.int64), 0.0, 0.0, 1.0)), x)


def test_predict_tta_averages_each_face_with_its_mirror_image(single_pass_export, exported_run):
    """`edge predict --tta` reports the decoded mean of the face's and its mirror image's outputs;
    a default export does that inside the file, so --tta changes nothing there."""
    from edge.decode import decode_outputs
    from edge.preprocess import preprocess_file
    from edge.runtime import TFLiteModel

    export = single_pass_export("mobile")
    model_path = export / "model_float32.tflite"  # a 2-epoch test model's int8 outputs barely move
    faces = [export / face["image"] for face in json.loads((export / "golden.json").read_text())["faces"][:4]]
    result = run_cli("predict", model_path, *faces, "--no-detect", "--json", "--tta")
    assert result.exit_code == 0, result.output
    document = json.loads(result.output[result.output.index("{"):])
    model = TFLiteModel(model_path)
    changed = []
    for image, path in zip(document["images"], faces):
        x = preprocess_file(path, model.spec)[None]
        plain, mirrored = model.run(x), model.run(np.ascontiguousarray(x[:, :, ::-1]))
        expected = decode_outputs(model.spec, flip_average(plain, mirrored))
        assert image["faces"][0]["age"]["years"] == pytest.approx(float(expected.age_years[0]), abs=0.01)
        changed.append(any(np.abs(plain[name] - mirrored[name]).max() > 0 for name in plain))
    assert any(changed)  # the mirror images differ, so the average is not the plain output
    in_file = exported_run("mobile") / "model_float32.tflite"
    answers = []
    for extra in ((), ("--tta",)):
        result = run_cli("predict", in_file, *faces, "--no-detect", "--json", *extra)
        assert result.exit_code == 0, result.output
        answers.append([image["faces"] for image in json.loads(result.output[result.output.index("{"):])["images"]])
    assert answers[0] == answers[1]


def test_median_years_reads_the_group_distribution_by_its_bounds():
    """A label-distribution model reports the median of its age distribution, not the mean."""
    centers = np.asarray(Spec.create("utk20").age_class_centers)
    assert np.allclose(group_bounds(centers)[:4], [0.0, 4.5, 9.5, 14.5])  # utk20: 0-4, 5-9, ...
    one_group, halves = np.eye(20)[[2]], np.zeros((1, 20))
    halves[0, [1, 2]] = 0.5
    assert median_years(one_group, centers)[0] == pytest.approx(12.0)  # the middle of 10-14
    assert median_years(halves, centers)[0] == pytest.approx(9.5)  # the edge between 5-9 and 10-14
    # a child's distribution with a faint adult tail: the mean is dragged up, the median is not
    tail = np.zeros((1, 20))
    tail[0, 1], tail[0, 5:12] = 0.65, 0.05
    expected = float((tail @ centers)[0])
    assert median_years(tail, centers)[0] < 9.5 < expected
    spec = Spec.create("utk20", image_size=32, family="mobile")
    spec = spec.with_updates(outputs=output_specs("mobile", spec))
    age_name = next(o.name for o in spec.outputs if o.kind == "age_softmax")
    gender_name = next(o.name for o in spec.outputs if o.kind == "gender_sigmoid")
    outputs = {age_name: tail, gender_name: np.asarray([[0.2]])}
    assert decode_outputs(spec, outputs).age_years[0] == pytest.approx(expected)  # no key: the expected value
    median_spec = spec.with_updates(decoding={"age_years": "median"})
    assert decode_outputs(median_spec, outputs).age_years[0] == pytest.approx(median_years(tail, centers)[0])


def test_label_distribution_runs_ask_for_median_years(trained_run):
    """`edge train --model mobile` (age trained as a distribution) writes the median rule into its spec."""
    spec = json.loads((trained_run("mobile") / "spec.json").read_text())
    assert spec["decoding"]["age_years"] == "median"
