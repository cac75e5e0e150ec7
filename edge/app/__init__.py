"""The applications built on the core: the CLI and what its commands do.

``edge/`` (one level up) is the TensorFlow-free core every stage shares: the spec, datasets,
preprocessing, face detection, the runtime, decoding and metrics. This package holds what a
user runs: the command line, validation, prediction, benchmarking, the local web server, the
end-to-end pipeline, the synthetic demo data and the plots and console they print. Training
(``train/``) and export (``export/``) sit between the two and import TensorFlow lazily.
"""
