"""The texts' bag with the characters of its words (`char_ngrams`): the grams each vocabulary
token gives, the tf by sorting, the bag matrix, a run that rebuilds the table on load."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from rnnkit.models.classifier import SequenceClassifier


def test_the_bag_reads_the_characters_of_in_vocabulary_words():
    from rnnkit.classify.encoding import char_gram_table
    from rnnkit.models.classifier import occurrences

    vocab = ["<pad>", "<unk>", "free", "fee", "!"]
    table = char_gram_table(vocab, 10_000)
    assert (table[:2] == -1).all()  # padding and unknown tokens have no characters
    assert (table[2] >= 0).sum() == 5 + 4 + 3 + 2  # " free ": 5 bigrams, 4 trigrams, 3 four-grams, 2 five-grams
    assert len(set(table[2][table[2] >= 0]) & set(table[3][table[3] >= 0])) >= 2  # " f", "ee " shared
    torch.manual_seed(0)
    grams, real = torch.randint(0, 9, (4, 50)), torch.rand(4, 50) > 0.3
    pairwise = ((grams.unsqueeze(2) == grams.unsqueeze(1)) & real.unsqueeze(1)).sum(2).float()
    torch.testing.assert_close(occurrences(grams, real)[real], pairwise[real])
    model = SequenceClassifier("gru", 3, vocab_size=5, hidden=4, ngrams=50, bag_weighting="tfidf",
                               char_ngrams=10_000, char_table=torch.from_numpy(table))
    ids = torch.tensor([[2, 3, 4, 1], [3, 3, 0, 0], [1, 0, 0, 0]])
    model.fit_features(ids, None)
    nn.init.normal_(model.bag.weight)
    torch.testing.assert_close(torch.sparse.mm(model.bag_matrix(ids), model.bag.weight), model.bag_logits(ids),
                               rtol=1e-5, atol=1e-6)
    without = SequenceClassifier("gru", 3, vocab_size=5, hidden=4, ngrams=50, bag_weighting="tfidf")
    assert model.bag_grams(ids)[1].sum() > without.bag_grams(ids)[1].sum()  # the characters are read
    assert model.bag_grams(ids[2:])[1].sum() == without.bag_grams(ids[2:])[1].sum()  # <unk> gives none


def test_a_run_with_characters_rebuilds_their_table_on_load(tmp_path):
    from rnnkit.classify.config import ClassifyRunConfig
    from rnnkit.classify.estimator import prepare, train
    from rnnkit.classify.inference import load_run
    from rnnkit.classify.task import predict_proba
    from tests.classify.conftest import write_texts

    cfg = ClassifyRunConfig()
    cfg.model.cell, cfg.model.hidden = "gru", 8
    cfg.train.max_epochs, cfg.train.threads, cfg.train.patience = 2, 1, None
    cfg.data.batch_size, cfg.data.ngrams, cfg.data.char_ngrams, cfg.data.refit = 8, 32, 512, False
    cfg.data.ngram_weighting = "tfidf"
    data = write_texts(tmp_path / "t.tsv", sep="\t")
    report = train(cfg, data, None, tmp_path / "run", log=lambda _: None)
    model, enc, run_cfg = load_run(tmp_path / "run")
    assert model.chars == 512 and model.char_table.shape[0] == len(enc.vocab)
    prep = prepare(run_cfg, data, None, lambda _: None)
    probs, _ = predict_proba(model, prep.test)
    assert float((probs.argmax(1) == prep.test.y.numpy()).mean()) == pytest.approx(report["test"]["accuracy"])


def test_characters_need_the_bag():
    from rnnkit.classify.config import ClassifyRunConfig
    from rnnkit.classify.estimator import check_config
    from rnnkit.errors import RnnkitError

    cfg = ClassifyRunConfig()
    cfg.data.char_ngrams = 1024
    with pytest.raises(RnnkitError, match="needs ngrams > 0"):
        check_config(cfg)
