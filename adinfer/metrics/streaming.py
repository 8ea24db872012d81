"""The part the streaming accumulators share: two sides, real and fake, fed batch by batch."""

from adinfer import validate
from adinfer.metrics import checks


class StreamingDistance:
    """Base of :class:`FrechetDistance` and :class:`KernelDistance`: a distance
    between real and fake features accumulated batch by batch.

    Each side (real, fake) is an accumulator made by :meth:`new_side`, with a
    `count` of the rows it has seen and an ``update(batch)`` taking a finite
    float64 NumPy batch ``[b, d]``. This class checks the batches (every batch
    of either side has the ``d`` of the first), feeds them to the sides and
    forgets sides on :meth:`reset_state`; a subclass says how to make one
    side's accumulator (:meth:`new_side`) and computes :meth:`result`.

    A subclass sets whatever :meth:`new_side` needs before calling
    ``StreamingDistance.__init__``, which makes both sides.
    """

    def __init__(self, name):
        self.name = name
        self._width = None
        self.reset_state()

    def new_side(self, side):
        """A fresh, empty accumulator for `side`, ``"real"`` or ``"fake"``."""
        raise NotImplementedError

    def result(self):
        """The distance between the features accumulated."""
        raise NotImplementedError

    @property
    def num_real(self):
        """Rows of real features accumulated."""
        return self._real.count

    @property
    def num_fake(self):
        """Rows of fake features accumulated."""
        return self._fake.count

    def reset_state(self, real=True, fake=True):
        """Forgets the real side, the fake side or both (the default)."""
        real = validate.boolean(real, "real")
        fake = validate.boolean(fake, "fake")
        if real:
            self._real = self.new_side("real")
        if fake:
            self._fake = self.new_side("fake")
        if self._real.count == 0 and self._fake.count == 0:
            self._width = None

    def update_state(self, real_features=None, fake_features=None):
        """Adds a batch of real features, of fake features, or of both.

        Args:
          real_features: ``[b, d]`` array/tensor, or None.
          fake_features: ``[b', d]`` array/tensor, or None (not both None).

        Raises:
          TypeError: non-numeric features.
          ValueError: a rank other than 2, no rows, NaN/Inf, or another ``d``
            than the batches before.
        """
        if real_features is None and fake_features is None:
            validate.fail(
                ValueError, "real_features or fake_features", "a batch of features", given="None"
            )
        batches, width = [], self._width
        for value, name, side in (
            (real_features, "real_features", self._real),
            (fake_features, "fake_features", self._fake),
        ):
            if value is not None:
                batch = checks.feature_batch(value, name, width)
                width = batch.shape[1]
                batches.append((side, batch))
        self._width = width  # all checked before any state changes
        for side, batch in batches:
            side.update(batch)

    def ready_sides(self):
        """The real and the fake accumulators, for :meth:`result`.

        Raises:
          ValueError: fewer than 2 rows of either side accumulated.
        """
        for side, name in ((self._real, "real_features"), (self._fake, "fake_features")):
            if side.count < 2:
                validate.fail(
                    ValueError,
                    name,
                    "an accumulated total of at least 2 rows before result()",
                    given=f"{side.count}",
                )
        return self._real, self._fake
