"""edge: compact face age + gender classifiers from training to a phone.

Data flows one way: dataset -> spec -> train -> export -> validate / predict / phone.
Heavy dependencies (TensorFlow) are imported only inside the functions that need them,
so importing this package and running ``edge --help`` stays fast.
"""

__version__ = "0.1.0"
