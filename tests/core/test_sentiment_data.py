"""Sentiment data: review tables and their labels, encodings, the split, the MR and IMDB downloads."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import numpy as np
import pytest

from core import datasets, reviews
from core.config import SentimentConfig
from core.datasets import DataError
from tests.helpers.reviews import NEG, POS, SHARED_MR, needs_mr, rows


def corpus(tmp_path: Path, content: bytes, **kw) -> reviews.Corpus:
    path = tmp_path / "reviews.csv"
    path.write_bytes(content)
    return reviews.load_corpus(SentimentConfig(data=str(path), **kw))


@pytest.mark.parametrize(
    "neg,pos,names",
    [
        ("0", "1", ["0", "1"]),
        ("neg", "pos", ["neg", "pos"]),
        ("Negative", "POSITIVE", ["Negative", "POSITIVE"]),
    ],
)
def test_known_label_pairs_map_to_0_and_1(tmp_path, neg, pos, names):
    c = corpus(tmp_path, rows([(t, pos) for t in POS] + [(t, neg) for t in NEG]).encode())
    assert c.label_names == names and c.notes == []
    assert c.labels.tolist() == [1] * 12 + [0] * 12


def test_any_two_values_are_mapped_and_the_mapping_is_said(tmp_path):
    c = corpus(tmp_path, rows([(t, "thumbs-up") for t in POS] + [(t, "meh") for t in NEG]).encode())
    assert c.label_names == ["meh", "thumbs-up"]
    assert c.labels.tolist() == [1] * 12 + [0] * 12
    assert any("'meh' is read as negative (0)" in n and "'thumbs-up' as positive (1)" in n for n in c.notes)


def test_columns_are_guessed_or_chosen(tmp_path):
    text = "id,stars,comment\n" + "".join(f'{i},{i % 2},"{POS[i % 12]}"\n' for i in range(30))
    c = corpus(tmp_path, text.encode())
    assert c.texts[0] == POS[0] and c.labels.sum() == 15
    with pytest.raises(DataError, match="no column 'review'"):
        corpus(tmp_path, text.encode(), text_column="review")


def test_one_class_only_is_refused(tmp_path):
    with pytest.raises(DataError, match=r"only one value \('1'\).*both a positive and a negative"):
        corpus(tmp_path, rows([(t, 1) for t in POS + NEG]).encode())


def test_more_than_two_label_values_are_refused(tmp_path):
    stars = rows([(t, i % 5 + 1) for i, t in enumerate(POS + NEG)])
    with pytest.raises(DataError, match="has 5 different values.*exactly two"):
        corpus(tmp_path, stars.encode())


def test_all_empty_texts_are_refused(tmp_path):
    with pytest.raises(DataError, match="Every text in the column 'text' is empty"):
        corpus(tmp_path, ("text,label\n" + '"",1\n  ,0\n' * 15).encode())


def test_empty_texts_are_skipped_and_counted_and_the_rest_trains(tmp_path):
    c = corpus(tmp_path, (rows([(t, 1) for t in POS] + [(t, 0) for t in NEG]) + '"",1\n" ",0\n,1\n').encode())
    assert len(c.texts) == 24 and "Skipped 3 rows with an empty text." in c.notes


@pytest.mark.parametrize(
    "encoding,text,name",
    [
        ("latin-1", "un film très réussi, à voir", "Windows-1252"),  # Latin-1 bytes decode as cp1252
        ("cp1252", "it\u2019s \u201cgreat\u201d \u2013 really", "Windows-1252"),
        ("latin-1", "odd \x81 byte, caf\xe9", "Latin-1"),
    ],
)
def test_latin1_and_windows_1252_files_are_read_and_the_encoding_said(tmp_path, encoding, text, name):
    c = corpus(tmp_path, rows([(text, 1)] * 10 + [(t, 0) for t in NEG]).encode(encoding))
    assert c.texts[0] == text
    assert any(f"not UTF-8: it was read as {name}" in n for n in c.notes)


def test_utf8_file_says_nothing_about_encoding(tmp_path):
    c = corpus(tmp_path, rows([("très bien", 1)] * 10 + [(t, 0) for t in NEG]).encode("utf-8"))
    assert c.texts[0] == "très bien" and c.notes == []


@needs_mr
def test_split_is_stratified_disjoint_and_fixed():
    cfg = SentimentConfig()
    p = reviews.prepare(cfg)
    tr, va, te = p.splits
    assert p.sizes == {"train": 7462, "validation": 1600, "test": 1600}
    assert len(set(tr) | set(va) | set(te)) == len(p.corpus.texts) == 10662
    for part in p.splits:  # MR is balanced, and so is every split
        assert abs(p.corpus.labels[part].mean() - 0.5) < 0.001
    again = reviews.prepare(cfg).splits
    assert all(np.array_equal(a, b) for a, b in zip(p.splits, again, strict=True))
    other = reviews.prepare(SentimentConfig(split_seed=1)).splits
    assert not np.array_equal(p.splits[2], other[2])


def mr_archive() -> bytes:
    """The original archive's layout and encoding: the shared UTF-8 files written back as Windows-1252."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name in ("rt-polarity.pos", "rt-polarity.neg"):
            data = (SHARED_MR / name).read_text(encoding="utf-8").encode("cp1252")
            info = tarfile.TarInfo(f"rt-polaritydata/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


@pytest.fixture
def empty_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("RNN_STUDIO_DATA", str(tmp_path / "empty"))
    return tmp_path / "empty"


@needs_mr
def test_mr_download_is_unpacked_converted_and_checked(empty_data_dir, monkeypatch):
    monkeypatch.setattr(datasets, "_download", lambda ds, progress: mr_archive())
    folder = datasets.fetch("mr")
    for name in ("rt-polarity.pos", "rt-polarity.neg"):
        assert (folder / name).read_bytes() == (SHARED_MR / name).read_bytes()
    assert len(reviews.load_corpus(SentimentConfig()).texts) == 10662


def test_mr_download_with_wrong_content_is_refused(empty_data_dir, monkeypatch):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name in ("rt-polarity.pos", "rt-polarity.neg"):
            info = tarfile.TarInfo(f"rt-polaritydata/{name}")
            info.size = 5
            tar.addfile(info, io.BytesIO(b"fake\n"))
    monkeypatch.setattr(datasets, "_download", lambda ds, progress: buf.getvalue())
    with pytest.raises(DataError, match="corrupted"):
        datasets.fetch("mr")
    assert not (empty_data_dir / "rt-polaritydata" / "rt-polarity.pos").exists()


def test_mr_missing_and_offline_says_so_in_one_sentence(empty_data_dir, monkeypatch):
    # A proxy on a closed local port makes the download fail at once, online or not.
    monkeypatch.setenv("https_proxy", "http://127.0.0.1:9")
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    with pytest.raises(DataError) as err:
        reviews.load_corpus(SentimentConfig())
    msg = str(err.value)
    assert "URLError" not in msg and msg.count(". ") == 0 and msg.endswith("upload your own file instead.")
    assert str(empty_data_dir / "rt-polaritydata" / "rt-polarity.pos") in msg  # the exact place to put it
    assert "could not be downloaded" in msg


def test_imdb_offline_says_so_in_one_sentence(monkeypatch):
    monkeypatch.setenv("https_proxy", "http://127.0.0.1:9")
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    if (Path.home() / ".keras" / "datasets" / "imdb.npz").exists():
        pytest.skip("IMDB is already in Keras's cache on this machine")
    with pytest.raises(
        DataError, match="IMDB is not on this computer and could not be downloaded .* use MR or upload a CSV"
    ):
        reviews.load_corpus(SentimentConfig(data="imdb"))
