"""Label schemes and the spec contract."""

import json

import pytest

from edge.errors import EdgeError
from edge.labels import adience_group_of_years, get_scheme, parse_adience_age, parse_gender
from edge.spec import FaceCropSpec, OutputSpec, QuantParams, Spec


@pytest.mark.parametrize("text, group", [
    ("(0, 2)", 0), ("(4, 6)", 1), ("(8, 12)", 2), ("(15, 20)", 3), ("(25, 32)", 4), ("(38, 43)", 5),
    ("(48, 53)", 6), ("(60, 100)", 7),
    ("(25, 23)", 4),  # the typo in the very first row: midpoint 24 -> nearest is 25-32
    ("(38, 42)", 5), ("(27, 32)", 4), ("(8, 23)", 3), ("(38, 48)", 5),
    ("35", 5),  # tie between 25-32 and 38-43 goes to the older group
    ("3", 1), ("13", 2), ("22", 3), ("23", 4), ("34", 4), ("45", 5), ("57", 7), ("2", 0),
])
def test_adience_age_strings_map_by_the_documented_rule(text, group):
    assert parse_adience_age(text)[0] == group


@pytest.mark.parametrize("text", ["None", "", "age", "(a, b)"])
def test_unknown_adience_ages_are_excluded(text):
    assert parse_adience_age(text) == (None, None)


def test_exact_ages_between_adience_groups_go_to_the_nearest_and_ties_to_the_older():
    assert [adience_group_of_years(a) for a in (7, 14, 21, 24, 36, 46, 56, 58)] == [2, 3, 3, 4, 5, 6, 6, 7]


def test_utk20_groups_of_five_years_with_95_plus():
    scheme = get_scheme("utk20")
    assert scheme.num_classes == 20 and scheme.class_names[0] == "0-4" and scheme.class_names[19] == "95+"
    assert [scheme.group_of_years(a) for a in (0, 4, 5, 62, 94, 95, 116)] == [0, 0, 1, 12, 18, 19, 19]


def test_utk28_reads_a_childs_age_to_the_year_then_five_year_groups():
    scheme = get_scheme("utk28")
    assert scheme.num_classes == 28
    assert [scheme.class_names[scheme.group_of_years(a)] for a in (0, 1.5, 2, 9.9, 10, 14, 15, 94, 95, 120)] == \
        ["0", "1", "2", "9", "10-14", "10-14", "15-19", "90-94", "95+", "95+"]
    # one fact: the five-year groups are utk20's own from 10 on
    assert scheme.class_names[10:] == get_scheme("utk20").class_names[2:]


def test_label_distribution_targets_decode_back_to_a_babys_age_only_with_one_year_groups():
    np = pytest.importorskip("numpy")
    from edge.decode import median_years
    from edge.train.pipeline import age_distribution

    years = np.asarray([1.0, 2.0, 5.0, 30.0])
    decoded = {}
    for name in ("utk20", "utk28"):
        centers = np.asarray(get_scheme(name).class_centers)
        decoded[name] = median_years(age_distribution(years, centers, 3.0), centers)
    assert np.abs(decoded["utk28"] - years).max() < 0.3  # the target says the age it was made from
    assert decoded["utk20"][0] > 2.4  # a 1-year-old's utk20 target reads as 2.5: the groups cannot say 1
    # equal widths: the width weighting cancels, utk20's targets are the plain Gaussian they always were
    centers = np.asarray(get_scheme("utk20").class_centers)
    plain = np.exp(-np.square(centers - 30.0) / 18.0)
    assert np.allclose(age_distribution(np.asarray([30.0]), centers, 3.0)[0], plain / plain.sum(), atol=1e-6)


def test_the_label_distribution_widens_with_age_only_when_asked():
    np = pytest.importorskip("numpy")
    from edge.train.pipeline import age_distribution

    centers = np.asarray(get_scheme("utk20").class_centers)
    years = np.asarray([5.0, 30.0, 70.0])
    fixed, wide = age_distribution(years, centers, 3.0), age_distribution(years, centers, 3.0, 0.1)
    assert np.allclose(fixed[:2], wide[:2], atol=1e-6)  # 0.1 x 30 = 3: no wider than --age-sigma below 30
    assert (wide[2] > 0.01).sum() > (fixed[2] > 0.01).sum()  # at 70 the spread is 7 years, not 3
    from edge.train.config import TrainConfig, check_options

    with pytest.raises(EdgeError, match="--age-sigma > 0"):
        check_options(TrainConfig(data="x", age_sigma=0, age_sigma_per_year=0.1))


def test_gender_is_zero_male_one_female_everywhere():
    assert [parse_gender(g) for g in ("m", "M", "male", "0", "f", "female", "1", "u", "")] == [0, 0, 0, 0, 1, 1, 1, None, None]


def test_spec_round_trips_through_json_with_every_section():
    spec = Spec.create("adience8", 48, "rgb", face_crop=True, family="mobile").with_updates(
        outputs=(OutputSpec("age", "age_softmax", 8, 2, QuantParams(0.00390625, -128)),
                 OutputSpec("gender", "gender_sigmoid", 1, 0, None)),
        decoding={"undefined_age_threshold": 0.25}, input_quantization=QuantParams(0.0039, -128))
    again = Spec.from_json(spec.to_json())
    assert again == spec
    assert json.loads(again.to_json())["face_crop"]["enabled"] is True
    assert again.input_shape == (48, 48, 3)


def test_spec_rejects_bad_values_and_unknown_fields_with_clear_errors():
    with pytest.raises(EdgeError, match="color"):
        Spec.create("utk20", 64, "cmyk")
    with pytest.raises(EdgeError, match="unknown label scheme"):
        Spec.create("utk99")
    with pytest.raises(EdgeError, match="unknown fields"):
        Spec.from_dict({**Spec.create().to_dict(), "mystery": 1})
    with pytest.raises(EdgeError, match="not valid JSON"):
        Spec.from_json("{nope")


def test_preprocessing_key_changes_when_pixels_would_change():
    base = Spec.create("utk20", 64, "gray")
    assert base.preprocessing_key() == Spec.create("adience8", 64, "gray").preprocessing_key()
    assert base.preprocessing_key() != Spec.create("utk20", 64, "rgb").preprocessing_key()
    assert base.preprocessing_key() != base.with_updates(face_crop=FaceCropSpec(enabled=True)).preprocessing_key()
