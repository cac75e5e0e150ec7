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

// edge.decode.median_years: the median of the group distribution, each group's mass spread over its bounds
function medianYears(probs, centers) {
  const bounds = groupBounds(centers);
  let total = 0;
  for (const p of probs) total += p;
  total = Math.max(total, 1e-12);
  let below = 0, group = probs.length - 1;
  for (let i = 0; i < probs.length; i++) {
    if (below + probs[i] / total >= 0.5) { group = i; break; }
    below += probs[i] / total;
  }
  const within = Math.min(1, Math.max(0, (0.5 - below) / Math.max(probs[group] / total, 1e-12)));
  return bounds[group] + within * (bounds[group + 1] - bounds[group]);
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
 * gender_prob_female, undefined, confidence}. ``confidence`` is the probability shown on the
 * label: the winning gender's (P(female) or 1 - P(female)).
 */
export function decodeOutputs(spec, outputs) {
  const centers = spec.age_class_centers;
  const result = { age_class: -1, age_years: NaN, gender: -1, gender_prob_female: NaN, undefined: false };
  for (const out of spec.outputs) {
    const value = outputs[out.name];
    if (out.kind === 'age_softmax') {
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
  result.age_group = result.age_class >= 0 && spec.age_class_names.length ? spec.age_class_names[result.age_class] : null;
  result.gender_name = result.gender >= 0 ? spec.gender_class_names[result.gender] : null;
  const p = result.gender_prob_female;
  result.confidence = Number.isNaN(p) ? NaN : result.gender === 1 ? p : 1 - p;
  return result;
}

const PERSON = { male: 'Man', female: 'Woman' };

function genderWord(decoded) {
  if (!decoded.gender_name) return '';
  return PERSON[decoded.gender_name.toLowerCase()] ?? decoded.gender_name[0].toUpperCase() + decoded.gender_name.slice(1);
}

function ageWord(decoded) {
  return Number.isFinite(decoded.age_years) ? String(Math.round(decoded.age_years)) : (decoded.age_group ?? '');
}

/** The label drawn on a face, as a person reads it: "Woman · 27" ("Unsure" for an undecided 2-hot output). */
export function labelText(decoded) {
  if (decoded.undefined) return 'Unsure';
  return [genderWord(decoded), ageWord(decoded)].filter(Boolean).join(' · ');
}

/** The line under the picture: "Woman · about 27 years (age group 25-29) · 91% sure of the gender". */
export function sentenceText(decoded) {
  if (decoded.undefined) return 'Unsure: the model is not confident about this face';
  const parts = [genderWord(decoded)];
  if (Number.isFinite(decoded.age_years)) {
    parts.push(`about ${Math.round(decoded.age_years)} years${decoded.age_group ? ` (age group ${decoded.age_group})` : ''}`);
  } else if (decoded.age_group) {
    parts.push(`age group ${decoded.age_group}`);
  }
  if (Number.isFinite(decoded.confidence)) parts.push(`${Math.round(100 * decoded.confidence)}% sure of the gender`);
  return parts.filter(Boolean).join(' · ');
}
