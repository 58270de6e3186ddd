"""Search as Vietnamese readers type: without diacritics, đ as d, NFD from some keyboards, any case,
stray spaces. Every sample corpus at once (seeds and tests/data/*), through the Flask test client.

The spellings are made here, independently of the service's folding: NFD, combining marks dropped,
đ/Đ replaced (Unicode gives đ no decomposition).
"""

from __future__ import annotations

import json
import re
import shutil
import unicodedata
from urllib.parse import quote

import pytest
from conftest import DATA, SEEDS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

MAX_QUERY = 200


def without_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return bare.replace("đ", "d").replace("Đ", "D")


SPELLINGS = {
    "as written": lambda word: word,
    "no accents": without_accents,
    "đ as d only": lambda word: word.replace("đ", "d").replace("Đ", "D"),
    "NFD": lambda word: unicodedata.normalize("NFD", word),
    "NFD, no đ": lambda word: unicodedata.normalize("NFD", word.replace("đ", "d").replace("Đ", "D")),
    "upper": str.upper,
    "lower": str.lower,
    "upper, no accents": lambda word: without_accents(word).upper(),
}


@pytest.fixture(scope="module")
def everything(tmp_path_factory):
    """An app over every sample article, and (id, title) of each one it published."""
    from feedsvc.web.app import create_app

    corpus = tmp_path_factory.mktemp("all-samples")
    for path in [*SEEDS.glob("*.txt"), *DATA.glob("*/*.txt")]:
        assert not (corpus / path.name).exists(), path.name
        shutil.copy(path, corpus / path.name)
    app = create_app({"CORPUS_DIR": str(corpus), "INDEX_PATH": str(corpus.parent / "index.sqlite3"),
                      "BACKGROUND_LOAD": False})
    titles = [(a.id, a.title) for a in app.extensions["feedsvc"].catalog.all_articles()]
    assert len(titles) >= 120
    return app.test_client(), titles


def found_ids(client, query: str) -> list[str]:
    """Every result of a search, from its JSON feed (the limit is above the corpus's size)."""
    response = client.get(f"/search.json?q={quote(query)}&limit=200")
    assert response.status_code == 200, (query, response.data[:200])
    items = json.loads(response.data)["items"]
    return [item["id"].rsplit(":", 1)[1] for item in items]


@st.composite
def typed_title(draw, titles):
    """(article id, a run of its title's words as someone might type them)."""
    article_id, title = draw(st.sampled_from(titles))
    words = title.split()
    start = draw(st.integers(0, len(words) - 1))
    run = words[start:start + draw(st.integers(1, 6))]
    if not any(char.isalnum() for word in run for char in word):
        run = words  # a dash or a quote alone: the whole title instead
    typed = [SPELLINGS[draw(st.sampled_from(sorted(SPELLINGS)))](word) for word in run]
    if draw(st.booleans()):  # shift pressed at random
        typed = ["".join(c.upper() if draw(st.booleans()) else c.lower() for c in word) for word in typed]
    gaps = [draw(st.sampled_from([" ", "  ", "   ", "\t", " \t "])) for _ in typed]
    query = draw(st.sampled_from(["", " ", "  "])) + "".join(word + gap for word, gap in zip(typed, gaps))
    return article_id, query[:MAX_QUERY] if len(query.strip()) <= MAX_QUERY else " ".join(typed)[:MAX_QUERY]


def test_the_sample_titles_have_what_readers_leave_out(everything):
    # The property below is only worth something if the titles carry accents, đ and capitals.
    _, titles = everything
    text = " ".join(title for _, title in titles)
    assert "đ" in text and "Đ" in text and text != without_accents(text)
    assert sum(title != without_accents(title) for _, title in titles) >= len(titles) * 0.9


@pytest.mark.e2e  # Hypothesis over every sample title
def test_a_real_title_is_found_however_it_is_typed(everything):
    client, titles = everything

    @settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(typed_title(titles))
    def check(case):
        article_id, query = case
        assert article_id in found_ids(client, query), query

    check()


@pytest.mark.parametrize("query, expected", [
    ("kinh te", "kinh tế"), ("dak ha", "Đăk Hà"), ("DAK HA", "Đăk Hà"), ("Đắk Hà", "Đăk Hà"),
    ("tu mo rong", "Tu Mơ Rông"), ("mang den", "Măng Đen"),
], ids=["kinh-te", "dak-ha", "DAK-HA", "other-tone", "tu-mo-rong", "mang-den"])
def test_folded_queries_find_the_accented_words(everything, query, expected):
    # Every word of the query is in each article found (an AND of words, as WordPress searches),
    # whatever its accents; and an article whose title has the accented words is among them.
    client, _ = everything
    catalog = client.application.extensions["feedsvc"].catalog
    found = [catalog.get(article_id) for article_id in found_ids(client, query)]
    assert found, query
    for article in found:
        text = " ".join((article.title, *article.authors, *article.body))
        words = set(re.findall(r"\w+", without_accents(text).lower()))
        assert set(without_accents(query).lower().split()) <= words, (query, article.id)
    assert any(expected.lower() in article.title.lower() for article in found), query


@pytest.mark.e2e  # 40 sample titles, each searched twice: exhaustive
def test_nfc_and_nfd_queries_give_the_same_results(everything):
    client, titles = everything
    for _, title in titles[:40]:
        query = " ".join(title.split()[:4])
        if not any(char.isalnum() for char in query):
            continue
        assert found_ids(client, unicodedata.normalize("NFD", query)) == found_ids(client, query), query
