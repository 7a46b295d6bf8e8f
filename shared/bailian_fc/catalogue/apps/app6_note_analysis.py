"""App6, leads extracted from a staff member's free-text note: it reads nothing server-side."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from ..inputs import Input
from ..outputs import Clue, Output
from ..prompts import JSON_ONLY, Prompt
from ..spec import AppSpec


class NoteInput(Input):
    """app6_note_analysis: a staff member's free-text note."""

    note: str = Field(min_length=1, max_length=2000, title="员工笔记")


class NoteAnalysis(Output):
    """app6_note_analysis: leads extracted from a staff note."""

    clues: list[Clue]
    sentiment: Literal["positive", "neutral", "negative"]
    tags: list[str] = []


def prompt(data: NoteInput, _: Any = None) -> Prompt:
    """app6_note_analysis v1."""
    text = f"""从员工的工作笔记中提取客户线索。
笔记：
\"\"\"{data.note}\"\"\"

每条线索给出类别、内容和 0–1 的置信度；再判断整体情绪（positive / neutral / negative）并给出标签。
{JSON_ONLY}格式：{{"clues": [{{"category": "…", "content": "…", "confidence": 0.8}}], "sentiment": "neutral", "tags": ["…"]}}"""
    return Prompt(text)


SPEC = AppSpec("app6_note_analysis", "笔记线索提取", "single", NoteInput, NoteAnalysis, prompt, "v1")
