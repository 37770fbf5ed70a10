"""The HTML page: written, self-contained, one row per client, the failing operation marked."""

from __future__ import annotations

import io
import json
import re

from porcupine import CheckResult, check_operations_verbose, visualize, visualize_path
from porcupine.models import KvModel
from tests.porcupine.histories import append, get, put
from tests.porcupine.test_checker import pathological_history


def stale_read_history():
    # Client 3 reads "a" after client 2 already saw "ab": a stale read on key x; key y is fine.
    return [
        put(0, "x", "a", 0, 10),
        append(1, "x", "b", 5, 25),
        get(2, "x", "ab", 12, 18),
        get(3, "x", "a", 30, 40),
        put(1, "y", "1", 30, 35),
        get(2, "y", "1", 36, 45),
    ]


def page_for(history, timeout_s=1.0):
    result, info = check_operations_verbose(KvModel, history, timeout_s)
    out = io.StringIO()
    visualize(KvModel, info, out)
    return result, out.getvalue()


def embedded_data(page: str) -> dict:
    match = re.search(r'<script type="application/json" id="porcupine-data">(.*?)</script>', page, re.DOTALL)
    return json.loads(match.group(1))


def test_visualize_path_writes_a_self_contained_page(tmp_path):
    result, info = check_operations_verbose(KvModel, stale_read_history(), 1)
    assert result is CheckResult.ILLEGAL
    path = tmp_path / "history.html"
    visualize_path(KvModel, info, str(path))
    page = path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    # Nothing is fetched: no external scripts, styles, images or fonts.
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "@import" not in page and not re.search(r"url\(\s*['\"]?(https?:)?//", page)
    assert "http://" not in page and "https://" not in page


def test_each_client_has_a_row_and_the_failing_op_is_marked():
    _, page = page_for(stale_read_history())
    for client in range(4):
        assert f'id="client-{client}"' in page
    failed = re.findall(r'<g class="op failed" id="op-(\d+)-(\d+)"', page)
    assert failed == [("0", "3")]  # partition 0 (key x), op 3: the stale get
    assert "get(&#x27;x&#x27;) -&gt; &#x27;a&#x27;" in page  # its label, escaped
    assert 'id="jump" href="#op-0-3"' in page
    data = embedded_data(page)
    assert data["firstError"] == [0, 3]
    x, y = data["partitions"]
    assert x["result"] == "Illegal" and y["result"] == "Ok"
    assert x["lins"][0]["ops"] == [0, 1, 2]  # put a, append b, get ab: the longest prefix
    assert x["lins"][0]["rejected"] == [3]
    assert x["lins"][0]["states"][-1] == "ab"


def test_ok_history_has_no_error_marked():
    result, page = page_for([put(0, "x", "a", 0, 10), get(1, "x", "a", 20, 30)])
    assert result is CheckResult.OK
    assert "op failed" not in page and embedded_data(page)["firstError"] is None


def test_timed_out_history_still_renders():
    result, page = page_for(pathological_history(12), timeout_s=0.05)
    assert result is CheckResult.UNKNOWN
    assert embedded_data(page)["partitions"][0]["result"] == "Unknown"


def test_text_cannot_break_out_of_the_page():
    # Values are user data: they must not close the script element or inject markup.
    nasty = "</script><b>x</b>&"
    _, page = page_for([put(0, "k", nasty, 0, 10), get(1, "k", nasty, 20, 30)])
    assert nasty not in page
    assert embedded_data(page)["partitions"][0]["ops"][0]["d"] == f"put('k', '{nasty}')"
