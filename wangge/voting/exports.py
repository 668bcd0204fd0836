"""Excel exports of results for the notice board (openpyxl). Individual ballots appear only in the committee's
export, with masked names."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from .models import Ballot, Survey, Vote

CHOICE = {k: str(v) for k, v in Ballot.Choice.choices}  # lazy labels cannot go into a cell


def _book() -> Workbook:
    return Workbook()


def _save(wb: Workbook) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def vote_xlsx(vote: Vote, result: dict[str, Any] | None, ballots: list[Ballot] | None) -> bytes:
    wb = _book()
    ws = wb.active
    ws.title = "表决结果"
    ws.append([vote.title])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append(["事项", str(vote.get_matter_display())])
    ws.append(["范围", vote.electorate_label])
    ws.append(["规则", vote.rule_set.name])
    ws.append(["期间", f"{vote.opens_at:%Y-%m-%d %H:%M} 至 {vote.closes_at:%Y-%m-%d %H:%M}"])
    if result:
        ws.append([])
        ws.append(["", "人数", "专有面积（㎡）"])
        for key, label in (("electorate", "全体业主"), ("participants", "参与表决"), ("approve", "同意"),
                           ("reject", "反对"), ("abstain", "弃权"), ("none", "未表决")):  # fmt: skip
            ws.append([label, result[key]["heads"], Decimal(result[key]["area"])])
        ws.append([])
        ws.append(["门槛", "实际", "基数", "比例", "要求", "结论"])
        for c in result["checks"]:
            ws.append([c["label"], c["value"], c["base"], f"{c['percent']}%", c["required"],
                       "达到" if c["passed"] else "未达到"])  # fmt: skip
        ws.append([])
        ws.append(["表决结果", "通过" if result["passed"] else "未通过"])
    if ballots is not None:
        bs = wb.create_sheet("表决票明细")
        bs.append(["序号", "业主", "套数", "专有面积（㎡）", "意见", "方式", "时间"])
        for i, b in enumerate(ballots, 1):
            bs.append([i, b.voter.label, b.voter.units, Decimal(b.voter.area_centi) / 100, CHOICE[b.choice],
                       str(b.get_channel_display()), f"{b.cast_at:%Y-%m-%d %H:%M}"])  # fmt: skip
    return _save(wb)


def survey_xlsx(survey: Survey, results: dict[str, Any]) -> bytes:
    wb = _book()
    ws = wb.active
    ws.title = "征集结果"
    ws.append([survey.title])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append(["答卷", results["responses"], "其中纸质", results["paper"], "应答", results["eligible"],
               "回收率", f"{results['rate']}%" if results["rate"] else "-"])  # fmt: skip
    for q in results["questions"]:
        ws.append([])
        ws.append([q["text"]])
        for o in q.get("options", []):
            ws.append(["", o["label"], o["count"]])
        if q["kind"] == "rating":
            ws.append(["", "平均分", q["average"], "人数", q["count"]])
        for t in q.get("texts", []):
            if t["moderation"] == "approved":
                ws.append(["", t["text"]])
    gs = wb.create_sheet("各网格回收率")
    gs.append(["网格编码", "网格", "应答", "已答", "回收率%"])
    for g in results["by_grid"]:
        gs.append([g["grid"], g["name"], g["eligible"], g["responses"], g["rate"]])
    return _save(wb)
