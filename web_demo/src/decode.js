// Model outputs -> labels: the port of edge/decode.py (the reference; same kinds, same rules).

const DEFAULT_UNDEFINED_GENDER_THRESHOLD = 0.6;

function argmax(values) {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

function expectedYears(probs, centers) {
  let total = 0, weighted = 0;
  for (let i = 0; i < probs.length; i++) { total += probs[i]; weighted += probs[i] * centers[i]; }
  return weighted / Math.max(total, 1e-12);
}

// edge.decode.group_bounds: group edges from the centres (midpoints; outer groups mirror their neighbour)
function groupBounds(centers) {
  const k = centers.length;
  if (k < 2) return k ? [centers[0] - 0.5, centers[0] + 0.5] : [];
  const bounds = [0];
  for (let i = 1; i < k; i++) bounds.push((centers[i - 1] + centers[i]) / 2);
  bounds[0] = Math.max(0, 2 * centers[0] - bounds[1]);
  bounds.push(2 * centers[k - 1] - bounds[k - 1]);
  return bounds;
}

// edge.calibration.distribution_quantile: the age below which ``level`` of the distribution's mass
// lies, each group's mass spread evenly over its bounds (the same cumulative sum as numpy's)
export function distributionQuantile(probs, bounds, level) {
  let total = 0;
  for (const p of probs) total += p;
  total = Math.max(total, 1e-12);
  const share = Array.from(probs, (p) => p / total);
  let cumulative = 0, group = 0;
  const sums = share.map((s) => (cumulative += s));
  for (const c of sums) if (c < level) group += 1;
  group = Math.min(group, share.length - 1);
  const below = sums[group] - share[group];
  const within = Math.min(1, Math.max(0, (level - below) / Math.max(share[group], 1e-12)));
  return bounds[group] + within * (bounds[group + 1] - bounds[group]);
}

// edge.decode.median_years: the quantile at 0.5
function medianYears(probs, centers) {
  return distributionQuantile(probs, groupBounds(centers), 0.5);
}

// --- edge.calibration: calibrated P(female), "not sure", the age range --------------------------

const PROBABILITY_FLOOR = 1 / 512; // half an int8 output step

/** edge.calibration.calibrate_gender: temperature scaling of P(female) (T == 1: unchanged). */
export function calibrateGender(p, temperature) {
  if (temperature === 1) return p;
  const q = Math.min(Math.max(p, PROBABILITY_FLOOR), 1 - PROBABILITY_FLOOR);
  return 1 / (1 + Math.exp(-Math.log(q / (1 - q)) / temperature));
}

/** edge.decode.apply_calibration: a spec without the keys decodes as before. */
function applyCalibration(result, spec, ageProbs) {
  const decoding = spec.decoding || {};
  const p = result.gender_prob_female;
  if ('gender_temperature' in decoding && !Number.isNaN(p)) {
    result.gender_prob_female = calibrateGender(p, Number(decoding.gender_temperature));
  }
  if ('gender_unsure_below' in decoding && !Number.isNaN(p)) {
    const q = result.gender_prob_female;
    result.gender_unsure = Math.max(q, 1 - q) < Number(decoding.gender_unsure_below);
  }
  if ('age_interval_mass' in decoding && ageProbs) {
    const bounds = groupBounds(spec.age_class_centers);
    const tail = (1 - Number(decoding.age_interval_mass)) / 2;
    result.age_range = [distributionQuantile(ageProbs, bounds, tail), distributionQuantile(ageProbs, bounds, 1 - tail)];
  }
}

// edge.labels.group_of_years for a regression output: utk20 is floor(years / 5) capped at 19;
// other schemes take the nearest group centre (Python: the nearest Adience range).
function groupOfYears(years, spec) {
  const centers = spec.age_class_centers;
  if (spec.label_scheme === 'utk20') return Math.min(Math.floor(years / 5), centers.length - 1);
  let best = 0;
  for (let i = 0; i < centers.length; i++) if (Math.abs(centers[i] - years) < Math.abs(centers[best] - years)) best = i;
  return best;
}

/**
 * Dequantized outputs {name: Float32Array} -> {age_class, age_group, age_years, gender,
 * gender_prob_female (calibrated when the spec says so), undefined, confidence, and where the spec
 * asks for them age_range [low, high] and gender_unsure}. ``confidence`` is the probability shown
 * on the label: the winning gender's (P(female) or 1 - P(female)).
 */
export function decodeOutputs(spec, outputs) {
  const centers = spec.age_class_centers;
  const result = { age_class: -1, age_years: NaN, gender: -1, gender_prob_female: NaN, undefined: false };
  let ageProbs = null;
  for (const out of spec.outputs) {
    const value = outputs[out.name];
    if (out.kind === 'age_softmax') {
      ageProbs = value;
      result.age_class = argmax(value);
      result.age_years = (spec.decoding || {}).age_years === 'median' ? medianYears(value, centers) : expectedYears(value, centers);
    } else if (out.kind === 'age_regression') {
      result.age_years = value[0];
      result.age_class = centers.length ? groupOfYears(Math.max(0, value[0]), spec) : -1;
    } else if (out.kind === 'gender_sigmoid') {
      result.gender_prob_female = value[0];
      result.gender = value[0] >= 0.5 ? 1 : 0;
    } else if (out.kind === 'age_gender_2hot') {
      const k = centers.length;
      const ageBlock = value.subarray(0, k), genderBlock = value.subarray(k, k + 2);
      ageProbs = ageBlock;
      const thresholds = { undefined_age_threshold: Math.round((2 / k) * 1e4) / 1e4,
        undefined_gender_threshold: DEFAULT_UNDEFINED_GENDER_THRESHOLD, ...spec.decoding };
      result.age_class = argmax(ageBlock);
      result.gender = argmax(genderBlock);
      result.gender_prob_female = genderBlock[1] / Math.max(genderBlock[0] + genderBlock[1], 1e-12);
      result.age_years = expectedYears(ageBlock, centers);
      result.undefined = Math.max(...ageBlock) < thresholds.undefined_age_threshold
        || Math.max(...genderBlock) < thresholds.undefined_gender_threshold;
    } else if (out.kind === 'age_gender_tuple') {
      const thresholds = spec.decoding.tuple_age_thresholds || centers.slice(1).map((_, i) => i + 0.5);
      const genderThreshold = spec.decoding.tuple_gender_threshold ?? 0.5;
      result.age_class = thresholds.filter((t) => value[0] >= t).length; // searchsorted(..., side='right')
      result.age_years = centers[result.age_class];
      result.gender_prob_female = value[1];
      result.gender = value[1] >= genderThreshold ? 1 : 0;
    } else {
      throw new Error(`the spec's output kind "${out.kind}" is unknown to this page: update edge`);
    }
  }
  applyCalibration(result, spec, ageProbs);
  result.age_group = result.age_class >= 0 && spec.age_class_names.length ? spec.age_class_names[result.age_class] : null;
  result.gender_name = result.gender >= 0 ? spec.gender_class_names[result.gender] : null;
  const p = result.gender_prob_female;
  result.confidence = Number.isNaN(p) ? NaN : result.gender === 1 ? p : 1 - p;
  return result;
}

const PERSON = { male: 'Man', female: 'Woman' };

/** "Woman" / "Man": the gender the model leans to, sure or not. */
function personWord(decoded) {
  if (!decoded.gender_name) return '';
  return PERSON[decoded.gender_name.toLowerCase()] ?? decoded.gender_name[0].toUpperCase() + decoded.gender_name.slice(1);
}

function genderWord(decoded) {
  return decoded.gender_unsure && decoded.gender_name ? 'Not sure' : personWord(decoded);
}

/** The age range in whole years, "22–33" ('' when the spec asks for none). */
function rangeWords(decoded) {
  const range = decoded.age_range;
  return range && range.every(Number.isFinite) ? `${Math.round(range[0])}–${Math.round(range[1])}` : '';
}

function ageWord(decoded) {
  if (!Number.isFinite(decoded.age_years)) return decoded.age_group ?? '';
  const range = rangeWords(decoded);
  return `${Math.round(decoded.age_years)}${range ? ` (${range})` : ''}`;
}

/**
 * The label drawn on a face, as a person reads it: "Woman · 27 (22–33)", "Not sure · 4 (2–6)" when
 * the gender is too close to call ("Unsure" for an undecided 2-hot output).
 */
export function labelText(decoded) {
  if (decoded.undefined) return 'Unsure';
  return [genderWord(decoded), ageWord(decoded)].filter(Boolean).join(' · ');
}

/**
 * The line under the picture: "Woman · about 27 years, likely 22–33 (age group 25-29) · 91% sure of
 * the gender", or for an unsure gender "Gender too close to call (58% woman) · about 4 years, ...".
 */
export function sentenceText(decoded) {
  if (decoded.undefined) return 'Unsure: the model is not confident about this face';
  const parts = [];
  const sure = Number.isFinite(decoded.confidence) ? `${Math.round(100 * decoded.confidence)}%` : '';
  if (decoded.gender_unsure) {
    const leaning = personWord(decoded).toLowerCase();
    parts.push(`Gender too close to call${sure && leaning ? ` (${sure} ${leaning})` : ''}`);
  } else {
    parts.push(genderWord(decoded));
  }
  const range = rangeWords(decoded);
  if (Number.isFinite(decoded.age_years)) {
    parts.push(`about ${Math.round(decoded.age_years)} years${range ? `, likely ${range}` : ''}`
      + `${decoded.age_group ? ` (age group ${decoded.age_group})` : ''}`);
  } else if (decoded.age_group) {
    parts.push(`age group ${decoded.age_group}`);
  }
  if (sure && !decoded.gender_unsure) parts.push(`${sure} sure of the gender`);
  return parts.filter(Boolean).join(' · ');
}

// golden.json rounds age_range to 2 decimals and gender_prob_female to 4 (edge.decode.Decoded.labels)
const RANGE_TOLERANCE = 0.006;
const PROBABILITY_TOLERANCE = 1e-4;

/**
 * The fields of ``decoded`` (this decoder's) that differ from Python's labels for the same face
 * (golden.json's ``decoded``): [] when they agree. Compared: the age group and gender, and where
 * Python reports them the calibrated P(female), "not sure" and the age range.
 */
export function differencesFromPython(decoded, expected, ageClassNames) {
  const wrong = [];
  if (decoded.age_class !== ageClassNames.indexOf(expected.age_group)) wrong.push('age_group');
  if (decoded.gender_name !== expected.gender) wrong.push('gender');
  if (Number.isFinite(expected.gender_prob_female)
      && !(Math.abs(decoded.gender_prob_female - expected.gender_prob_female) <= PROBABILITY_TOLERANCE)) {
    wrong.push('gender_prob_female');
  }
  if ('gender_unsure' in expected && decoded.gender_unsure !== expected.gender_unsure) wrong.push('gender_unsure');
  if ('age_range' in expected && !(decoded.age_range && expected.age_range.every(
    (value, i) => Math.abs(decoded.age_range[i] - value) <= RANGE_TOLERANCE))) wrong.push('age_range');
  return wrong;
}
