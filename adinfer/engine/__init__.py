"""The engine the `Inference` lifecycle composes: one module per responsibility.

Internal to adinfer (no public API of its own; `adinfer.Inference` exposes what
users need). Each module owns one thing behind a narrow interface:

* `groups`: calls in "Gen"/"Disc", group discovery, regularization, traced state;
* `step`: gradients, the finiteness gate, applying updates, the fused loop, XLA;
* `schedule`: the stop points of `run()`, `GANTrainSteps`, the length of each compiled call;
* `loop`: `run()`'s driver: compiled calls, evaluation, Keras callbacks, the `History`;
* `handles`: `Inference`'s base class, the methods that hand out these parts;
* `checkpointing`: checkpoint state, resume, warm start, chief-only saves;
* `averages`: generator EMA and calls with the averaged weights swapped in;
* `serving`: batched sample / encode / reconstruct, export, their own cache;
* `reporting`: the summary writer, TensorBoard summaries, the progress bar, the logger;
* `state`: variables as state: identity, creation order, putting values back.
"""
