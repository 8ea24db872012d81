"""The checkpoint format does not change: checkpoints written by adinfer before
the engine was split into modules restore and resume to the weights the old
code reached (tests/checkpoint_fixture.py wrote them).
"""

import os
import shutil

import numpy as np
import pytest
import tensorflow as tf
from checkpoint_fixture import FIXTURES, KINDS, RESUMED_ITERATIONS, RUN, make, optimizers, state


class PreRefactorCheckpointTest(tf.test.TestCase):
    @pytest.mark.slow  # 4 s of CPU, among the costliest of the fast selection
    def test_old_checkpoints_resume_to_the_old_weights(self):
        for kind in KINDS:
            with self.subTest(kind=kind):
                directory = os.path.join(self.get_temp_dir(), kind)
                shutil.copytree(os.path.join(FIXTURES, kind), directory)
                inference, networks = make(kind)
                inference.initialize(
                    checkpoint_dir=directory, n_print=0, ema_decay=RUN["ema_decay"], **optimizers()
                )
                self.assertEqual(int(inference.t.numpy()), 6)  # restored, not started anew
                inference, networks = make(kind)
                inference.run(
                    n_iter=RESUMED_ITERATIONS, checkpoint_dir=directory, **RUN, **optimizers()
                )
                expected = np.load(os.path.join(FIXTURES, f"{kind}_resumed.npz"))
                resumed = state(inference, networks)
                self.assertEqual(sorted(resumed), sorted(expected.files))
                for name in expected.files:
                    # Kernels may round differently on another CPU model.
                    self.assertAllClose(resumed[name], expected[name], rtol=1e-5, atol=1e-6)
