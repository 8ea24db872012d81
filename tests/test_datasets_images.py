"""Tests for adinfer.datasets.fashion_mnist and mnist, on IDX files written here.

No test depends on the real data set being installed (or not): every default
directory is patched to a temporary one, `$HOME`, `$ADINFER_DATA` and
`$KERAS_HOME` too. One test reads the real files when they are present and is
skipped otherwise.
"""

import gzip
import os
import struct

import numpy as np
import pytest

from adinfer import datasets

# The defaults as shipped, read before any test patches them.
SHIPPED_FASHION_MNIST_DIRECTORIES = datasets.FASHION_MNIST_DIRECTORIES

IMAGES_MAGIC = 0x00000803
LABELS_MAGIC = 0x00000801
FILE_NAMES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def write_idx(filename, magic, dims, payload):
    """Writes an IDX file: big-endian magic, dimension sizes, then `payload`
    (gzipped when `filename` ends in .gz)."""
    data = struct.pack(">I", magic) + struct.pack(f">{len(dims)}I", *dims) + bytes(payload)
    opener = gzip.open if str(filename).endswith(".gz") else open
    with opener(filename, "wb") as f:
        f.write(data)
    return str(filename)


def make_images(n, seed=0):
    return np.random.default_rng(seed).integers(0, 256, size=(n, 28, 28), dtype=np.uint8)


def write_split(directory, split="train", images=None, labels=None, gz=True):
    """Writes both files of `split` into `directory`; returns (images, labels)."""
    os.makedirs(directory, exist_ok=True)
    images = make_images(4) if images is None else images
    labels = np.arange(len(images)) % 10 if labels is None else np.asarray(labels)
    suffix = ".gz" if gz else ""
    images_name, labels_name = FILE_NAMES[split]
    write_idx(
        os.path.join(directory, images_name + suffix), IMAGES_MAGIC, images.shape, images.tobytes()
    )
    write_idx(
        os.path.join(directory, labels_name + suffix),
        LABELS_MAGIC,
        labels.shape,
        labels.astype(np.uint8).tobytes(),
    )
    return images, labels


def write_marked(directory, mark, split="train"):
    """A split of 3 images whose labels are all `mark`: tells which directory was read."""
    return write_split(directory, split, make_images(3, seed=mark), [mark] * 3)


@pytest.fixture(autouse=True)
def places(tmp_path, monkeypatch):
    """Fake default directories, home, $ADINFER_DATA and $KERAS_HOME (all unset)."""
    home = tmp_path / "home"
    home.mkdir()
    debian = tmp_path / "usr-share-datasets" / "fashion-mnist"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("ADINFER_DATA", raising=False)
    monkeypatch.delenv("KERAS_HOME", raising=False)
    monkeypatch.setattr(
        datasets,
        "FASHION_MNIST_DIRECTORIES",
        (str(debian), "~/.keras/datasets/fashion-mnist"),
    )
    monkeypatch.setattr(datasets, "MNIST_DIRECTORIES", ("~/.keras/datasets",))

    class Places:
        root = tmp_path
        keras = home / ".keras" / "datasets"
        keras_fashion = home / ".keras" / "datasets" / "fashion-mnist"

    Places.debian = debian
    return Places


# ------------------------------------------------------------------ reading --


@pytest.mark.parametrize("gz", [True, False], ids=["gzip", "raw"])
def test_reads_both_splits(tmp_path, gz):
    train_images, train_labels = write_split(
        tmp_path, "train", make_images(5, seed=1), [9, 0, 3, 3, 7], gz=gz
    )
    test_images, test_labels = write_split(tmp_path, "test", make_images(2, seed=2), [1, 2], gz=gz)
    for split, images, labels in [
        ("train", train_images, train_labels),
        ("test", test_images, test_labels),
    ]:
        got_images, got_labels = datasets.fashion_mnist(split, path=tmp_path)
        assert got_images.shape == (len(images), 28, 28)
        assert got_images.dtype == np.uint8
        assert got_labels.shape == (len(images),)
        assert got_labels.dtype == np.int64
        np.testing.assert_array_equal(got_images, images)
        np.testing.assert_array_equal(got_labels, labels)
        got_images[0, 0, 0] = 7  # Writable arrays, not views of a read-only buffer.
    # The default split is "train"; mnist reads the same format.
    np.testing.assert_array_equal(datasets.fashion_mnist(path=str(tmp_path))[1], train_labels)
    np.testing.assert_array_equal(datasets.mnist(path=tmp_path)[0], train_images)


def test_raw_and_gzip_files_mix_and_raw_comes_first(tmp_path):
    images, labels = make_images(3), np.array([4, 5, 6])
    images_name, labels_name = FILE_NAMES["train"]
    write_idx(tmp_path / images_name, IMAGES_MAGIC, images.shape, images.tobytes())
    write_idx(tmp_path / (labels_name + ".gz"), LABELS_MAGIC, [3], labels.astype(np.uint8))
    got_images, got_labels = datasets.fashion_mnist(path=tmp_path)
    np.testing.assert_array_equal(got_images, images)
    np.testing.assert_array_equal(got_labels, labels)
    # Both forms present: the uncompressed file is read.
    write_idx(tmp_path / (labels_name), LABELS_MAGIC, [3], np.uint8([1, 1, 1]))
    np.testing.assert_array_equal(datasets.fashion_mnist(path=tmp_path)[1], [1, 1, 1])


def test_empty_split_reads_as_empty_arrays(tmp_path):
    write_split(tmp_path, "test", np.zeros((0, 28, 28), np.uint8), np.zeros(0, np.int64))
    images, labels = datasets.fashion_mnist("test", path=tmp_path)
    assert images.shape == (0, 28, 28) and labels.shape == (0,)
    assert labels.dtype == np.int64


# ------------------------------------------------------------- search order --


def test_search_order_path_then_environment_then_defaults(places, monkeypatch):
    given = places.root / "given"
    data = places.root / "data"
    write_marked(given, 1)
    write_marked(data / "fashion-mnist", 2)
    write_marked(data, 3)
    write_marked(places.debian, 4)
    write_marked(places.keras_fashion, 5)
    monkeypatch.setenv("ADINFER_DATA", str(data))

    def mark():
        return int(datasets.fashion_mnist()[1][0])

    assert int(datasets.fashion_mnist(path=given)[1][0]) == 1  # path beats everything
    assert mark() == 2  # $ADINFER_DATA/fashion-mnist/ first,
    for name in os.listdir(data / "fashion-mnist"):
        os.remove(data / "fashion-mnist" / name)
    assert mark() == 3  # then $ADINFER_DATA itself,
    monkeypatch.delenv("ADINFER_DATA")
    assert mark() == 4  # then the Debian directory,
    for name in os.listdir(places.debian):
        os.remove(places.debian / name)
    assert mark() == 5  # then the Keras cache under $HOME,
    keras_home = places.root / "keras-home"
    write_marked(keras_home / "datasets" / "fashion-mnist", 6)
    monkeypatch.setenv("KERAS_HOME", str(keras_home))
    assert mark() == 6  # which is $KERAS_HOME when set (as in Keras).


def test_path_given_means_nowhere_else(places):
    write_marked(places.debian, 4)
    assert int(datasets.fashion_mnist()[1][0]) == 4
    empty = places.root / "empty"
    empty.mkdir()
    with pytest.raises(FileNotFoundError) as caught:
        datasets.fashion_mnist(path=empty)
    message = str(caught.value)
    assert str(empty) in message and "nowhere else" in message
    assert str(places.debian) not in message


def test_tilde_in_path_and_environment(places, monkeypatch):
    write_marked(places.root / "home" / "mine", 7)
    assert int(datasets.fashion_mnist(path="~/mine")[1][0]) == 7
    monkeypatch.setenv("ADINFER_DATA", "~/mine")
    assert int(datasets.fashion_mnist()[1][0]) == 7


def test_mnist_reads_keras_npz_and_prefers_idx(places, monkeypatch):
    places.keras.mkdir(parents=True)
    x_train, x_test = make_images(4, seed=3), make_images(2, seed=4)
    np.savez(
        places.keras / "mnist.npz",
        x_train=x_train,
        y_train=np.uint8([5, 0, 4, 1]),
        x_test=x_test,
        y_test=np.uint8([7, 2]),
    )
    images, labels = datasets.mnist()
    np.testing.assert_array_equal(images, x_train)
    np.testing.assert_array_equal(labels, [5, 0, 4, 1])
    assert images.dtype == np.uint8 and labels.dtype == np.int64
    images, labels = datasets.mnist("test")
    np.testing.assert_array_equal(images, x_test)
    np.testing.assert_array_equal(labels, [7, 2])
    # $ADINFER_DATA/mnist/ comes before the Keras cache; fashion_mnist ignores it.
    data = places.root / "data"
    write_marked(data / "mnist", 8)
    monkeypatch.setenv("ADINFER_DATA", str(data))
    assert int(datasets.mnist()[1][0]) == 8
    with pytest.raises(FileNotFoundError):
        datasets.fashion_mnist()
    # In one directory the IDX files come before mnist.npz.
    write_marked(places.keras, 9)
    monkeypatch.delenv("ADINFER_DATA")
    assert int(datasets.mnist()[1][0]) == 9


def test_mnist_npz_errors(places):
    places.keras.mkdir(parents=True)
    archive = places.keras / "mnist.npz"
    np.savez(archive, x_train=make_images(2), y_train=np.uint8([1, 2]))
    with pytest.raises(ValueError, match=r"mnist\.npz.*x_test and y_test"):
        datasets.mnist("test")
    np.savez(archive, x_train=make_images(2), y_train=np.uint8([1, 2, 3]))
    with pytest.raises(ValueError, match=r"x_train and y_train in .*mnist\.npz.*2 images and 3"):
        datasets.mnist()
    np.savez(archive, x_train=make_images(2).astype(np.float32), y_train=np.uint8([1, 2]))
    with pytest.raises(ValueError, match=r"x_train in .*mnist\.npz.*uint8"):
        datasets.mnist()
    archive.write_bytes(b"not a zip archive")
    with pytest.raises(ValueError, match=r"mnist\.npz"):
        datasets.mnist()


# ------------------------------------------------------------------- errors --


def test_missing_data_set_lists_places_and_remedies(places, monkeypatch):
    data = places.root / "data"
    monkeypatch.setenv("ADINFER_DATA", str(data))
    images_name, _ = FILE_NAMES["test"]
    places.debian.mkdir(parents=True)
    write_idx(places.debian / (images_name + ".gz"), IMAGES_MAGIC, [1, 28, 28], bytes(784))
    with pytest.raises(FileNotFoundError) as caught:
        datasets.fashion_mnist("test")
    message = str(caught.value)
    for place in [data / "fashion-mnist", data, places.debian, places.keras_fashion]:
        assert str(place) in message
    # In the order searched.
    positions = [message.index(str(p) + ":") for p in [data / "fashion-mnist", places.debian]]
    assert positions == sorted(positions)
    assert "t10k-images-idx3-ubyte.gz but no t10k-labels-idx1-ubyte" in message
    assert "apt-get install -y dataset-fashion-mnist" in message
    assert "keras.datasets.fashion_mnist.load_data()" in message
    assert "path=" in message and "$ADINFER_DATA" in message
    for name in ["train-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]:
        assert name in message
    monkeypatch.delenv("ADINFER_DATA")
    with pytest.raises(FileNotFoundError, match=r"\$ADINFER_DATA: not set"):
        datasets.fashion_mnist("test")
    with pytest.raises(FileNotFoundError, match=r"keras\.datasets\.mnist\.load_data\(\)"):
        datasets.mnist()


def test_wrong_magic_number(tmp_path):
    write_split(tmp_path)
    images_name, labels_name = FILE_NAMES["train"]
    # A labels file where the images belong.
    write_idx(tmp_path / (images_name + ".gz"), LABELS_MAGIC, [4], bytes(4))
    with pytest.raises(ValueError, match=images_name + r".*0x00000803.*got 0x00000801"):
        datasets.fashion_mnist(path=tmp_path)
    write_split(tmp_path)
    write_idx(tmp_path / (labels_name + ".gz"), 0x12345678, [4], bytes(4))
    with pytest.raises(ValueError, match=labels_name + r".*0x00000801.*got 0x12345678"):
        datasets.fashion_mnist(path=tmp_path)


@pytest.mark.parametrize("gz", [True, False], ids=["gzip", "raw"])
def test_truncated_file(tmp_path, gz):
    images, labels = write_split(tmp_path, gz=gz)
    images_name, labels_name = FILE_NAMES["train"]
    suffix = ".gz" if gz else ""
    # The header announces 4 images, the data holds 3 and a half.
    write_idx(tmp_path / (images_name + suffix), IMAGES_MAGIC, [4, 28, 28], bytes(3 * 784 + 392))
    with pytest.raises(ValueError, match=images_name + r".*truncated"):
        datasets.fashion_mnist(path=tmp_path)
    # A header cut short.
    write_split(tmp_path, gz=gz)
    with (gzip.open if gz else open)(tmp_path / (labels_name + suffix), "wb") as f:
        f.write(struct.pack(">I", LABELS_MAGIC) + b"\x00\x00")
    with pytest.raises(ValueError, match=labels_name + r".*truncated header"):
        datasets.fashion_mnist(path=tmp_path)


def test_broken_gzip_stream(tmp_path):
    write_split(tmp_path)
    images_name, _ = FILE_NAMES["train"]
    filename = tmp_path / (images_name + ".gz")
    filename.write_bytes(filename.read_bytes()[:-20])  # Cut inside the compressed stream.
    with pytest.raises(ValueError, match=images_name + r"\.gz.*gzip"):
        datasets.fashion_mnist(path=tmp_path)
    filename.write_bytes(b"plain text, not gzip")
    with pytest.raises(ValueError, match=images_name + r"\.gz.*gzip"):
        datasets.fashion_mnist(path=tmp_path)


def test_image_and_label_counts_disagree(tmp_path):
    write_split(tmp_path, images=make_images(4), labels=[1, 2, 3])
    images_name, labels_name = FILE_NAMES["train"]
    with pytest.raises(ValueError, match=f"{images_name}.*{labels_name}.*4 images and 3 labels"):
        datasets.fashion_mnist(path=tmp_path)


def test_other_malformed_files(tmp_path):
    images_name, labels_name = FILE_NAMES["train"]
    write_split(tmp_path)
    write_idx(tmp_path / (images_name + ".gz"), IMAGES_MAGIC, [1, 32, 32], bytes(1024))
    with pytest.raises(ValueError, match=images_name + r".*\[28, 28\].*\[32, 32\]"):
        datasets.fashion_mnist(path=tmp_path)
    write_split(tmp_path)
    write_idx(tmp_path / (images_name + ".gz"), IMAGES_MAGIC, [4, 28, 28], bytes(4 * 784 + 1))
    with pytest.raises(ValueError, match=images_name + r".*exactly 4 images.*more bytes"):
        datasets.fashion_mnist(path=tmp_path)
    write_split(tmp_path, labels=[0, 1, 2, 10])
    with pytest.raises(ValueError, match=labels_name + r".*0\.\.9.*0\.\.10"):
        datasets.fashion_mnist(path=tmp_path)


def test_argument_errors(tmp_path):
    with pytest.raises(ValueError, match="split must be one of .*'train'.*'test'.*got 'valid'"):
        datasets.fashion_mnist("valid", path=tmp_path)
    with pytest.raises(TypeError, match="split must be one of"):
        datasets.mnist(0, path=tmp_path)
    with pytest.raises(TypeError, match="path must be .*path.*got int 3"):
        datasets.fashion_mnist(path=3)
    with pytest.raises(ValueError, match="path must be .*non-empty"):
        datasets.mnist(path="")
    with pytest.raises(FileNotFoundError, match="no such directory"):
        datasets.fashion_mnist(path=tmp_path / "absent")


# ---------------------------------------------------------------- real data --


def test_real_fashion_mnist_when_installed():
    """Zalando's files, where this machine has them (Debian package or Keras cache)."""
    found = [
        d
        for d in (os.path.expanduser(d) for d in SHIPPED_FASHION_MNIST_DIRECTORIES)
        if os.path.isdir(d) and any(n.startswith("t10k-labels") for n in os.listdir(d))
    ]
    if not found:
        pytest.skip("Fashion-MNIST is not installed (apt-get install -y dataset-fashion-mnist).")
    images, labels = datasets.fashion_mnist("test", path=found[0])
    assert images.shape == (10000, 28, 28) and images.dtype == np.uint8
    np.testing.assert_array_equal(np.bincount(labels), [1000] * 10)
    images, labels = datasets.fashion_mnist("train", path=found[0])
    assert images.shape == (60000, 28, 28)
    np.testing.assert_array_equal(np.bincount(labels), [6000] * 10)
    assert labels[0] == 9  # An ankle boot.
