"""The tabs a run reads from a spreadsheet, and the settings that name them."""

from __future__ import annotations

from config.models import Pipeline


def tab_settings(pipeline: Pipeline) -> dict[str, str]:
    """Return the setting naming each tab a run reads, by folded tab name.

    ``{"deals": "source.tab", "lists": "allowed.owner.from_tab.tab"}``
    """
    settings: dict[str, str] = {}
    for field, spec in pipeline.allowed.items():
        if spec.from_tab is not None:
            settings[spec.from_tab.tab.casefold()] = f"allowed.{field}.from_tab.tab"
    if pipeline.source.rules_tab is not None:
        settings[pipeline.source.rules_tab.casefold()] = "source.rules_tab"
    settings[pipeline.source.tab.casefold()] = "source.tab"
    return settings


def tabs_read_by(pipeline: Pipeline) -> list[str]:
    """Return the tabs a run of ``pipeline`` reads: pipeline, lists, generated tabs.

    A tab a run reads but this list misses costs one more request.
    """
    tabs = [pipeline.source.tab]
    for spec in pipeline.allowed.values():
        if spec.from_tab is not None:
            tabs.append(spec.from_tab.tab)
    tabs += pipeline.outputs.tabs.every_run()
    return list(dict.fromkeys(tabs))
