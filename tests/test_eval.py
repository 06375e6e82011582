"""Metric plumbing pinned on a hand-computed fixture, and the eval runner on a tiny dataset."""

import json
import math

import pytest
from fake_encoder import KeywordEncoder
from helpers import FOUNDING

from eval import datasets
from eval.metrics import abstention, evaluate, first_relevant_rank
from rag import build_index, load_index

QRELS = {"q1": {"a": 1}, "q2": {"b": 1, "c": 1}, "q3": {}}
RANKINGS = {"q1": ["x", "a"], "q2": ["b", "y", "c"], "q3": ["z"]}


def test_metrics_match_hand_computation():
    scores = evaluate(QRELS, RANKINGS)
    ndcg_q1 = 1 / math.log2(3)
    ndcg_q2 = (1 + 1 / math.log2(4)) / (1 + 1 / math.log2(3))
    assert scores["recall@1"] == pytest.approx(0.25, abs=1e-4)  # q1: 0, q2: 1 of 2
    assert scores["recall@5"] == pytest.approx(1.0)
    assert scores["mrr@10"] == pytest.approx(0.75, abs=1e-4)  # q1: 1/2, q2: 1
    assert scores["ndcg@10"] == pytest.approx((ndcg_q1 + ndcg_q2) / 2, abs=1e-4)


def test_a_judged_query_with_no_hits_scores_zero():
    scores = evaluate({"q1": {"a": 1}, "q2": {"b": 1}}, {"q1": ["a"], "q2": []})
    assert scores["recall@10"] == pytest.approx(0.5) and scores["mrr@10"] == pytest.approx(0.5)


def test_first_relevant_rank_and_abstention():
    assert first_relevant_rank(["x", "y", "a"], {"a": 2}) == 3
    assert first_relevant_rank(["x"], {"a": 2}) is None
    result = abstention({"q1": True, "q2": False, "q3": False, "q4": True},
                        {"q1": True, "q2": True, "q3": False, "q4": False})
    assert result == {"abstain_precision": 0.5, "abstain_recall": 0.5, "false_abstain_rate": 0.5}


@pytest.mark.parametrize(("raw", "clean"), [
    ("Người nghiện ma túy bị xử lý hành chính, đúng hay sai?", "Người nghiện ma túy bị xử lý hành chính"),
    ("Các loại dịch vụ du lịch khác bao gồm điều nào dưới đây? Chọn câu trả lời đúng nhất.",
     "Các loại dịch vụ du lịch khác bao gồm điều nào dưới đây?"),
])
def test_quiz_wrappers_are_removed(raw, clean):
    assert datasets.clean_question(raw) == clean


def test_choices_are_appended_without_generic_ones():
    text = datasets.clean_question("Cây có chứa chất ma túy là cây gì?",
                                   {"A": "Cây thuốc phiện", "B": "Cây dừa", "D": "Cả A, B, C đều đúng"})
    assert text == "Cây có chứa chất ma túy là cây gì? Cây thuốc phiện Cây dừa"
    assert datasets.clean_question("Cây gì?", {"A": "Cây dừa"}, with_choices=False) == "Cây gì?"


def test_runner_scores_a_tiny_dataset(tmp_path):
    from eval.run import format_table, score_split, write_reports

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / FOUNDING.name).write_bytes(FOUNDING.read_bytes())
    build_index(corpus, tmp_path / "index", embedder=KeywordEncoder())
    index = load_index(tmp_path / "index", embedder=KeywordEncoder())
    queries = {"t1": "nhiệm vụ chống khai thác IUU", "t2": "chương trình OCOP",
               "t3": "giá vé máy bay đi Paris tháng sau"}
    info = {"t1": {"split": "dev", "category": "acronym", "answerable": True},
            "t2": {"split": "dev", "category": "acronym", "answerable": True},
            "t3": {"split": "dev", "category": "absent", "answerable": False}}
    qrels = {"dev": {"t1": {f"{FOUNDING.name}#II.2.6": 2}, "t2": {f"{FOUNDING.name}#II.2.3": 2}}}
    data = datasets.Dataset("tiny", corpus, queries, info, qrels, doc_key=lambda h: h.clause_id,
                            work_dir=tmp_path)
    results = score_split(index, data, "dev", ["bm25", "hybrid"], k=10)
    assert results["bm25"]["metrics"]["recall@10"] == 1.0
    assert results["hybrid"]["metrics"]["mrr@10"] > 0.5
    assert "abstention" in results["hybrid"] and "abstention" not in results["bm25"]
    ranks = {row["qid"]: row["first_relevant_rank"] for row in results["hybrid"]["per_query"]}
    assert ranks["t1"] == 1 and ranks["t3"] is None
    write_reports(tmp_path / "out", "tiny", "dev", "fake", results, {})
    report = json.loads((tmp_path / "out" / "report.json").read_text("utf-8"))
    assert report["modes"]["bm25"]["metrics"]["recall@10"] == 1.0
    first = (tmp_path / "out" / "run-hybrid.trec").read_text("utf-8").splitlines()[0].split()
    assert first[:4] == ["t1", "Q0", f"{FOUNDING.name}#II.2.6", "1"]
    assert "| hybrid |" in format_table("tiny", "dev", results)


def test_check_flags_changes_beyond_tolerance_both_ways():
    from eval.check import compare

    pins = {"mrr@10": 0.80, "recall@10": 0.90}
    assert compare(pins, {"mrr@10": 0.79, "recall@10": 0.91}, 0.02) == []
    problems = compare(pins, {"mrr@10": 0.70, "recall@10": 0.95}, 0.02)
    assert len(problems) == 2 and "regression" in problems[0] and "unpinned gain" in problems[1]
    assert compare(pins, {}, 0.02)  # a metric that disappeared is a regression


def test_every_pin_carries_the_command_that_reproduces_it():
    import json

    from eval.check import EXPECTED

    pins = json.loads(EXPECTED.read_text("utf-8"))
    assert pins["tolerance"] <= 0.02
    for run in pins["runs"]:
        module = "eval.answers --split " if run.get("kind") == "answers" else "eval.run --dataset "
        assert run["command"].startswith(f"python -m {module}"), run


def test_settings_overrides_parse_booleans_and_numbers():
    from eval.run import parse_settings

    settings = parse_settings(["translate_dense=False", "restore_lexical=", "lexical_weight=1.5", "rrf_k=30"])
    assert settings.translate_dense is False and settings.restore_lexical is False
    assert settings.lexical_weight == 1.5 and settings.rrf_k == 30
    assert parse_settings(["translate=true"]).translate is True
    with pytest.raises(ValueError, match="true or false"):
        parse_settings(["translate=maybe"])
    with pytest.raises(ValueError, match="settings:"):
        parse_settings(["no_such_setting=1"])


def test_answer_metrics_on_a_tiny_dataset(tmp_path):
    from eval.answers import NOISE, bootstrap, evaluate_answers, holds_fact
    from rag import SearchSettings

    assert holds_fact("… đã kết nạp 165 đảng viên mới, đạt 91,7% chỉ tiêu …", "165 đảng viên mới, đạt 91,7%")
    assert not holds_fact("Kinh tế tiếp tục phát triển.", "165 đảng viên mới, đạt 91,7%")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / FOUNDING.name).write_bytes(FOUNDING.read_bytes())
    build_index(corpus, tmp_path / "index", embedder=KeywordEncoder())
    index = load_index(tmp_path / "index", embedder=KeywordEncoder(),
                       settings=SearchSettings(abstain_below=0))
    queries = {"t1": "nhiệm vụ chống khai thác IUU", "t2": "chương trình OCOP"}
    info = {"t1": {"split": "dev", "category": "acronym", "answerable": True,
                   "answer": "chống khai thác hải sản bất hợp pháp"},
            "t2": {"split": "dev", "category": "acronym", "answerable": True, "answer": "không có câu này"}}
    qrels = {"dev": {"t1": {f"{FOUNDING.name}#II.2.6": 2}, "t2": {f"{FOUNDING.name}#II.2.3": 2}}}
    data = datasets.Dataset("tiny", corpus, queries, info, qrels, doc_key=lambda h: h.clause_id,
                            work_dir=tmp_path)
    metrics, records = evaluate_answers(index, data, "dev")
    by_id = {r["qid"]: r for r in records}
    assert by_id["t1"]["success_at_1"] and by_id["t1"]["answer_correct"]
    assert by_id["t2"]["answer_correct"] is False
    assert metrics["answer_accuracy"] == 0.5 and metrics["questions"] == 2
    assert metrics["unanswerable_and_noise"] == len(NOISE)
    assert all(by_id[f"noise-{n}"]["refused"] for n in range(len(NOISE)))
    assert metrics["abstain_recall"] == 1.0  # every noise input was turned away
    low, high = bootstrap(records, 50)["answer_accuracy"]
    assert 0.0 <= low <= metrics["answer_accuracy"] <= high <= 1.0


def test_per_query_scores_average_to_the_mean_and_intervals_hold_it():
    from eval.metrics import bootstrap_interval, evaluate, per_query

    qrels = {"q1": {"a": 1}, "q2": {"b": 1}, "q3": {"c": 1}, "q4": {"d": 1}, "q5": {"e": 0}}
    rankings = {"q1": ["a"], "q2": ["x", "b"], "q3": ["x", "y", "z"], "q4": ["x", "y", "d"]}
    scores = per_query(qrels, rankings, "mrr@10")
    assert len(scores) == 4  # q5 has no relevant clause and is not scored
    assert abs(sum(scores) / len(scores) - evaluate(qrels, rankings)["mrr@10"]) < 1e-4
    low, high = bootstrap_interval(scores, 500)
    assert 0.0 <= low < sum(scores) / len(scores) < high <= 1.0
    assert bootstrap_interval([0.5] * 10, 200) == [0.5, 0.5]
