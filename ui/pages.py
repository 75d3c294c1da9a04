"""The one list of pages: the sidebar (app.py's `st.navigation`) and the Home page's cards read it.

Adding a page means its script in app_pages/ and one entry here. The URL of a page is its file name
without the number and the extension (/Forecasting), as before `st.navigation`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageInfo:
    path: str  # the script, relative to app.py
    title: str  # the sidebar's and the card's name
    icon: str
    blurb: str  # one line on the Home page


PAGES = [
    PageInfo(
        "app_pages/1_Forecasting.py",
        "Forecasting",
        "📈",
        "Predict next month's US jobs count, tomorrow's temperature or a stock price from the recent past,"
        " and see whether the RNN beats simple rules like 'same as last time'.",
    ),
    PageInfo(
        "app_pages/2_Shakespeare.py",
        "Shakespeare",
        "🎭",
        "Watch a network learn to spell, then write new plays.",
    ),
    PageInfo(
        "app_pages/3_Music.py", "Music", "🎵", "Learn melodies from Bach chorales and listen to new ones."
    ),
    PageInfo("app_pages/4_Sentiment.py", "Sentiment", "💬", "Read the mood of a movie review, word by word."),
    PageInfo(
        "app_pages/5_Inside_the_RNN.py", "Inside the RNN", "🔬", "See the hidden state change step by step."
    ),
    PageInfo("app_pages/6_Runs.py", "Runs", "🗂️", "Every training run: compare, reload and export."),
    PageInfo(
        "app_pages/7_Class_board.py",
        "Class board",
        "🏆",
        "The class's runs of today, best first, with a projector view for the wall.",
    ),
]


def url_path(page: PageInfo) -> str:
    """The page's address after the server's: "1_Inside_the_RNN.py" -> "Inside_the_RNN"."""
    stem = page.path.rsplit("/", 1)[-1].removesuffix(".py")
    return stem.split("_", 1)[1] if stem.split("_", 1)[0].isdigit() else stem
