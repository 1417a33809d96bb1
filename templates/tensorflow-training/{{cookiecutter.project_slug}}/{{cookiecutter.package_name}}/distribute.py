"""Pick the tf.distribute strategy from the hardware TensorFlow sees.

* several GPUs -> ``MirroredStrategy``: one replica per GPU, gradients all-reduced each step;
* one GPU      -> ``OneDeviceStrategy("/gpu:0")``;
* no GPU       -> ``OneDeviceStrategy("/cpu:0")``, or with ``cpu_replicas > 1`` the CPU split into
  that many logical devices under ``MirroredStrategy``: the multi-device code path, runnable
  (and tested) on a laptop.

Several machines use ``MultiWorkerMirroredStrategy`` with a ``TF_CONFIG`` per worker; the
README's "Scale out" section says how.
"""

from __future__ import annotations

import tensorflow as tf


def choose_strategy(cpu_replicas: int = 1) -> tf.distribute.Strategy:
    """Return the strategy for this machine. Call it before any other TensorFlow op runs:
    splitting the CPU or setting GPU memory growth is only possible before the runtime starts."""
    gpus = tf.config.list_physical_devices("GPU")
    for gpu in gpus:
        # Take GPU memory as needed instead of all of it at start, so other processes can share.
        tf.config.experimental.set_memory_growth(gpu, True)
    if len(gpus) > 1:
        return tf.distribute.MirroredStrategy()
    if len(gpus) == 1:
        return tf.distribute.OneDeviceStrategy("/gpu:0")
    if cpu_replicas > 1:
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration() for _ in range(cpu_replicas)]
        )
        return tf.distribute.MirroredStrategy([f"/cpu:{i}" for i in range(cpu_replicas)])
    return tf.distribute.OneDeviceStrategy("/cpu:0")


def describe(strategy: tf.distribute.Strategy) -> str:
    """e.g. ``MirroredStrategy with 2 replicas``."""
    replicas = strategy.num_replicas_in_sync
    return f"{type(strategy).__name__} with {replicas} replica{'s' if replicas > 1 else ''}"
