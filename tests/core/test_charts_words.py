"""Charts a newcomer misread: the loss axis, a one-step forecast's band, the n-gram bars."""

from __future__ import annotations

from core.charts import future_chart, loss_chart, text_baseline_chart


def test_loss_axis_starts_from_the_first_epoch_not_the_first_batch():
    batches = [
        {"epoch": 1, "batch": 1, "batches": 10, "loss": 40.0},
        {"epoch": 2, "batch": 5, "batches": 10, "loss": 0.9},
    ]
    epochs = [{"epoch": e, "loss": 1.0 / e, "val_loss": 1.2 / e} for e in range(1, 21)]
    fig, _ = loss_chart(epochs, batches)
    lo, hi = (10**v for v in fig.layout.yaxis.range)  # 1.2 down to 0.05: a log axis
    assert 1.2 < hi < 2 and 0 < lo < 0.05  # the first batch's 40 no longer squashes 20 epochs near zero
    assert loss_chart([], batches)[0].layout.yaxis.range is None  # before an epoch: autoscale
    gentle = [{"epoch": e, "loss": 1.0 - 0.02 * e, "val_loss": 1.1 - 0.02 * e} for e in range(1, 21)]
    fig, _ = loss_chart(gentle, batches)
    assert fig.layout.yaxis.type != "log" and fig.layout.yaxis.range[1] < 1.2  # linear, from the epochs
    # Epoch 1 at ten times the rest (the Seattle default): a log axis, so epochs 2-20 do not lie flat.
    steep = [{"epoch": 1, "loss": 0.1, "val_loss": 0.02}] + [
        {"epoch": e, "loss": 0.012, "val_loss": 0.009} for e in range(2, 21)
    ]
    fig, _ = loss_chart(steep, batches)
    assert fig.layout.yaxis.type == "log" and "log scale" in fig.layout.yaxis.title.text
    lo, hi = fig.layout.yaxis.range
    assert 10**lo < 0.009 and 10**hi > 0.1


def test_a_one_step_forecast_draws_its_band_as_an_error_bar():
    fig, summary = future_chart(["d1", "d2"], [7.0, 7.1], ["d3"], [7.21], [6.5], [8.0], "temp_max", "deg C")
    bars = [t for t in fig.data if t.error_y and t.error_y.array is not None]
    assert (
        len(bars) == 1
        and abs(bars[0].error_y.array[0] - 0.79) < 1e-9
        and abs(bars[0].error_y.arrayminus[0] - 0.71) < 1e-9
    )
    assert "from 7.21 to 7.21" not in summary and "between 6.5 and 8 deg C" in summary
    fig, summary = future_chart(["d1"], [7.0], ["d2", "d3"], [7.2, 7.4], [6.5, 6.6], [8.0, 8.1], "t", "deg C")
    assert (
        any(t.fill == "tonexty" for t in fig.data)
        and "7.2 deg C on the first, 7.4 deg C on the last" in summary
    )


def test_the_n_gram_bar_chosen_on_training_text_is_not_called_best():
    fig, _ = text_baseline_chart(1.6, {"1": 3.3, "2": 2.5, "3": 2.1, "4": 2.3}, best_order=4)
    labels = list(fig.data[0].x)
    assert "4-gram (chosen on training text)" in labels and "trigram (lowest here)" in labels
    assert not any("best" in label for label in labels)


def test_small_held_out_splits_are_flagged_in_one_sentence():
    from core.words import metric_columns, small_split

    one = small_split(1, "pieces")
    assert one.startswith("Only 1 piece held out: too few to judge") and one.count(". ") == 0
    assert small_split(5, "pieces") == "" and small_split(99, "reviews") and not small_split(100, "reviews")
    assert metric_columns("deg C")["mae"] == "Mean absolute error (deg C)"


def test_huge_gradient_ratios_read_in_words():
    from core.charts import _times

    assert _times(1 / 2.7e9) == "about 2.7 billion times smaller"
    assert (
        _times(4_494) == "4,494 times larger" and _times(1 / 3.2e16) == "about 32,000 trillion times smaller"
    )
