"""``edge export``: float32 / float16 / PTQ int8 / QAT int8 TFLite with the spec embedded."""
