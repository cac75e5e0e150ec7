"""``edge train``: model families, the tf.data input pipeline and the resumable trainer."""
