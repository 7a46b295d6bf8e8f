"""The apps function's routes as OpenAPI operations; ``POST /apps/{key}`` is one operation per app."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from ..http.openapi import (
    ANY_LIST,
    BOOL,
    CLOCK,
    STR,
    OpDoc,
    Operation,
    Reply,
    client_operations,
    function_document,
    obj,
    openapi_doc,
)


class Usage(BaseModel):
    input_tokens: int
    output_tokens: int


def app_answer(key: str, output: type[BaseModel]) -> type[BaseModel]:
    """The answer model of one app: its own output model as ``result``."""
    from typing import Literal, Optional

    from pydantic import create_model

    fields: dict[str, Any] = {
        "app": (Literal[key], ...),
        "result": (output, ...),
        "cached": (bool, ...),
        "stale": (bool, ...),
        "generated_at": (str, ...),
        "prompt_version": (str, ...),
        "usage": (Usage, ...),
        "meta": (Optional[dict[str, Any]], None),  # noqa: UP045 - create_model wants a runtime type
    }
    if key == "app2_finance":
        from ..venue.figures import FinanceFigures

        fields["figures"] = (FinanceFigures, ...)  # computed from the data, never by the model
    name = "".join(part.capitalize() for part in key.split("_")) + "Answer"
    return create_model(name, **fields)


def apps_docs() -> dict[tuple[str, str], OpDoc]:
    from . import lists

    return {
        ("GET", "/apps"): OpDoc(
            "the app catalogue",
            "apps",
            replies={
                200: Reply(
                    "catalogue",
                    obj(
                        {
                            "apps": {
                                "type": "array",
                                "items": obj(
                                    {
                                        "key": STR,
                                        "title": STR,
                                        "mode": STR,
                                        "prompt_version": STR,
                                        "roles": ANY_LIST,
                                        "configured": BOOL,
                                    }
                                ),
                            }
                        }
                    ),
                )
            },
        ),
        ("GET", "/clock"): OpDoc(
            "effective now, business date and sandbox state for the caller's site",
            "apps",
            replies={200: Reply("the clock", CLOCK)},
        ),
        ("GET", "/apps/openapi.json"): openapi_doc("apps"),
        ("GET", "/apps/areas"): OpDoc(
            "areas of the caller's site (its latest day with data by the clock's business date)",
            "apps",
            replies={200: Reply("the areas", lists.AreaList)},
        ),
        ("GET", "/apps/clues"): OpDoc(
            "the caller's site's clues by the business date, in id order, one page at a time",
            "apps",
            query=lists.ClueQuery,
            replies={200: Reply("one page of clues", lists.CluePage)},
        ),
        ("GET", "/apps/customers"): OpDoc(
            "the caller's site's customers by the business date, in id order, one page at a time",
            "apps",
            query=lists.CustomerQuery,
            replies={200: Reply("one page of customers", lists.CustomerPage)},
        ),
    }


def app_ops() -> list[Operation]:
    """``POST /apps/{key}`` as one operation per single-turn app, with its own models."""
    from pydantic import Field

    from ..catalogue.registry import CATALOGUE

    class RefreshQuery(BaseModel):
        refresh: bool = Field(default=False, description="bypass the cache (manager and admin only)")

    ops = []
    for spec in CATALOGUE.values():
        if spec.mode != "single" or spec.output_model is None:
            continue
        ops.append(
            (
                "POST",
                f"/apps/{spec.key}",
                OpDoc(
                    f"{spec.title} ({spec.key}); cached per site and prompt version",
                    "apps",
                    roles=spec.roles,
                    body=spec.input_model,
                    query=RefreshQuery,
                    errors=(422, 502),
                    replies={200: Reply("the answer", app_answer(spec.key, spec.output_model))},
                    operation_id=f"post_{spec.key}",
                ),
            )
        )
    return ops


def operations(routes: list[tuple[str, str]]) -> list[Operation]:
    """The documented operations of this function's live route table."""
    return client_operations(
        routes,
        apps_docs(),
        prefixes=("/apps", "/clock"),
        expand={("POST", "/apps/{key}"): app_ops},
    )


def document(routes: list[tuple[str, str]]) -> dict[str, Any]:
    return function_document("bailian-fc apps", operations(routes))
