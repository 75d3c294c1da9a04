"""Forecasting page with its defaults: time to the first live loss point and to the end.

Measured the way a user meets it: in Chromium against `streamlit run`, from the
Train click to the first epoch in the live chart and to the results table. The
reference, in the same run, is a bare `model.fit` of the same model on the same
windows, with no callbacks, in an already-warm process.
Targets (issue 2): first point within 10 s, training done within 60 s.
Run: `python -m benchmarks forecast_page`.
"""

from __future__ import annotations

import re
import tempfile
import time
from pathlib import Path

from core import forecasting as fc
from core.config import ForecastConfig


def bare_fit_seconds(cfg: ForecastConfig) -> float:
    from core.models import build_regressor
    from core.tf import keras_module

    keras = keras_module()
    keras.utils.set_random_seed(cfg.train.seed)
    p = fc.prepare(cfg)
    tr, va, _ = p.masks
    linear = fc.fit_linear(p.x[tr], p.y[tr], p.x[va], p.y[va]) if cfg.highway else None
    model = build_regressor(
        cfg.arch, cfg.lookback, p.x.shape[2], cfg.horizon, change=cfg.predict == "change", highway=linear
    )
    model.compile(optimizer=keras.optimizers.Adam(cfg.train.learning_rate, clipnorm=1.0), loss="mse")
    t = time.perf_counter()
    model.fit(
        p.x[tr],
        p.y[tr],
        validation_data=(p.x[va], p.y[va]),
        epochs=cfg.train.epochs,
        batch_size=cfg.train.batch_size,
        verbose=0,
    )
    return time.perf_counter() - t


def page_seconds(wait_before_click: float) -> dict:
    from playwright.sync_api import expect

    from tests.helpers.browser import chromium_page, streamlit_server, wait_idle

    with tempfile.TemporaryDirectory() as tmp, streamlit_server(Path(tmp)) as url, chromium_page() as page:
        page.goto(url + "/Forecasting")
        wait_idle(page)
        time.sleep(wait_before_click)
        t0 = time.perf_counter()
        page.get_by_role("button", name="Train", exact=True).click()
        live = re.compile(r"After \d+ epochs? the training loss|Epoch 1 in progress; current training loss")
        expect(page.get_by_text(live)).to_be_visible(timeout=120_000)
        first = time.perf_counter() - t0
        expect(page.get_by_text("Results on the test split")).to_be_visible(timeout=300_000)
        done = time.perf_counter() - t0
    return {"first_point_s": round(first, 2), "done_s": round(done, 2)}


def run() -> list[dict]:
    cfg = ForecastConfig()  # the page's defaults
    reference = bare_fit_seconds(cfg)
    from tests.helpers.browser import CHROMIUM

    if not Path(CHROMIUM).exists():
        return [{"benchmark": "forecast_page", "skipped": "Chromium is not installed at /usr/bin/chromium"}]
    records = []
    # Cold: Train the instant the page appears, while TensorFlow (about 9 s to import
    # here) is still loading in the training process. Warm: after 15 s on the page.
    for label, wait in (("cold", 0.0), ("warm", 15.0)):
        page = page_seconds(wait)
        records += [
            {
                "benchmark": f"forecast_page_first_loss_point_{label}",
                "clicked_after_page_open_s": wait,
                "seconds": page["first_point_s"],
                "target_s": 10,
                "met": page["first_point_s"] < 10,
            },
            {
                "benchmark": f"forecast_page_training_done_{label}",
                "seconds": page["done_s"],
                "reference": "bare model.fit, same model and data, warm process",
                "reference_seconds": round(reference, 2),
                "ratio_to_reference": round(page["done_s"] / reference, 2),
                "target_s": 60,
                "met": page["done_s"] < 60,
            },
        ]
    return records
