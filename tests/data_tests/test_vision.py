"""MNIST/Fashion-MNIST/CIFAR-10/CIFAR-100 readers and the download path, on files written here."""

import gzip
import io
import tarfile

import numpy as np
import pytest

from pruneshift.config import load_config
from pruneshift.data import _cifar, _vision, load_splits
from pruneshift.data._download import fetch, md5sum
from pruneshift.errors import DataError


def idx_bytes(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(
        int(n).to_bytes(4, "big") for n in array.shape)
    return header + array.astype(np.uint8).tobytes()


def fake_images(rng, n, shape):
    labels = np.arange(n) % 10
    images = rng.integers(0, 256, size=(n, *shape), dtype=np.uint8)
    return images, labels


def write_idx_set(folder, rng, n_train=200, n_test=50, gz=True):
    folder.mkdir(parents=True, exist_ok=True)
    train, train_y = fake_images(rng, n_train, (28, 28))
    test, test_y = fake_images(rng, n_test, (28, 28))
    for stem, array in zip(_vision.IDX_FILES, (train, train_y, test, test_y), strict=True):
        payload = idx_bytes(array)
        if gz:
            (folder / f"{stem}.gz").write_bytes(gzip.compress(payload))
        else:
            (folder / stem).write_bytes(payload)
    return train, train_y


def cifar_bytes(rng, n, classes=10):
    images, _ = fake_images(rng, n, (3, 32, 32))
    labels = rng.permutation(np.arange(n) % classes)
    label_bytes = [labels] if classes == 10 else [labels // 5, labels]  # CIFAR-100: coarse, fine
    records = np.concatenate([np.stack(label_bytes, axis=1).astype(np.uint8),
                              images.reshape(n, -1)], axis=1)
    return records.tobytes(), images, labels


@pytest.mark.parametrize("name", ["mnist", "fashion-mnist"])
@pytest.mark.parametrize("gz", [True, False])
def test_idx_datasets_load_from_root(tmp_path, name, gz):
    train, labels = write_idx_set(tmp_path, np.random.default_rng(0), gz=gz)
    raw = load_config(None, [f"data.name={name}", f"data.root={tmp_path}"]).data
    splits = load_splits(raw)
    assert splits.input_shape == (1, 28, 28)
    assert splits.sizes() == {"train": 160, "val": 40, "test": 50}
    data = _vision.load_mnist(tmp_path)
    assert np.allclose(data.x[:, 0] * 255, train) and np.array_equal(data.y, labels)


def test_idx_in_torchvision_layout_is_found(tmp_path):
    write_idx_set(tmp_path / "MNIST" / "raw", np.random.default_rng(1))
    assert len(_vision.load_mnist(tmp_path).y) == 200


@pytest.mark.parametrize("layout", [_cifar.CIFAR10, _cifar.CIFAR100], ids=lambda s: s.name)
def test_cifar_from_folder_and_from_the_archive(tmp_path, layout):
    rng = np.random.default_rng(2)
    folder = tmp_path / "folder" / layout.folder
    folder.mkdir(parents=True)
    archive_dir = tmp_path / "archive"
    archive_dir.mkdir()
    expected = []
    total = 2 * layout.classes  # two of each class, so that a stratified split works
    per_file = total // len(layout.train)
    with tarfile.open(archive_dir / layout.archive, "w:gz") as tar:
        for name in layout.train + layout.test:
            n = 20 if name in layout.test else per_file
            payload, images, labels = cifar_bytes(rng, n, layout.classes)
            expected.append((images, labels))
            (folder / name).write_bytes(payload)
            info = tarfile.TarInfo(f"{layout.folder}/{name}")
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
    for root in (tmp_path / "folder", archive_dir):
        data = _cifar._load(layout, root, download=False)
        assert data.x.shape == (total, 3, 32, 32) and data.x_test.shape == (20, 3, 32, 32)
        assert data.num_classes == layout.classes
        assert np.allclose(data.x[:per_file] * 255, expected[0][0])
        assert np.array_equal(data.y[:per_file], expected[0][1])  # the fine label for CIFAR-100
        assert np.array_equal(data.y_test, expected[-1][1])
    config = load_config(None, [f"data.name={layout.name}", f"data.root={archive_dir}",
                                "data.val_fraction=0.5"])
    splits = load_splits(config.data)
    assert splits.input_shape == (3, 32, 32) and splits.num_classes == layout.classes
    assert splits.augment is not None  # crop-flip is CIFAR's default augmentation


def test_corrupt_files_are_clear_errors(tmp_path):
    write_idx_set(tmp_path, np.random.default_rng(3), gz=False)
    stem = _vision.IDX_FILES[0]
    (tmp_path / stem).write_bytes((tmp_path / stem).read_bytes()[:-10])
    with pytest.raises(DataError, match="truncated or corrupt"):
        _vision.load_mnist(tmp_path)
    (tmp_path / stem).write_bytes(b"\x01\x02garbage")
    with pytest.raises(DataError, match="not an IDX file"):
        _vision.load_mnist(tmp_path)
    with pytest.raises(DataError, match="not cifar10 binary"):
        _cifar.parse_cifar_records(b"\x00" * 100, "x.bin")
    with pytest.raises(DataError, match="holds label 200; cifar100 labels are 0..99"):
        _cifar.parse_cifar_records(bytes([1, 200]) + b"\x00" * 3072, "y.bin", _cifar.CIFAR100)


def test_missing_root_or_files_say_what_to_do(tmp_path):
    with pytest.raises(DataError, match="needs data.root"):
        _vision.load_mnist(None)
    with pytest.raises(DataError, match="set data.download: true"):
        _vision.load_mnist(tmp_path)
    with pytest.raises(DataError, match="set data.download: true"):
        _cifar.load_cifar10(tmp_path)
    with pytest.raises(DataError, match="no cifar100 binary files"):
        _cifar.load_cifar100(tmp_path)


def test_fetch_verifies_the_checksum_and_keeps_no_bad_file(tmp_path):
    source = tmp_path / "source.bin"
    source.write_bytes(b"pruneshift" * 100)
    good = fetch(source.as_uri(), tmp_path / "out" / "a.bin", md5sum(source))
    assert good.read_bytes() == source.read_bytes()
    with pytest.raises(DataError, match="checksum mismatch"):
        fetch(source.as_uri(), tmp_path / "out" / "b.bin", "0" * 32)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.bin"]
    with pytest.raises(DataError, match="cannot download"):
        fetch((tmp_path / "missing.bin").as_uri(), tmp_path / "out" / "c.bin", "0" * 32)


def test_download_true_fetches_idx_files_into_root(tmp_path, monkeypatch):
    mirror = tmp_path / "mirror"
    write_idx_set(mirror, np.random.default_rng(4))
    source = {"url": mirror.as_uri() + "/", "folder": "MNIST",
              "md5": tuple(md5sum(mirror / f"{s}.gz") for s in _vision.IDX_FILES)}
    monkeypatch.setattr(_vision, "MNIST_SOURCE", source)
    root = tmp_path / "root"
    data = _vision.load_mnist(root, download=True)
    assert len(data.y) == 200
    assert (root / "MNIST" / "raw" / f"{_vision.IDX_FILES[0]}.gz").exists()
