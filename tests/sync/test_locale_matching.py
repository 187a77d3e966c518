"""Headers, stages, owners, lists and IDs match across Turkish case and NFC/NFD."""

from __future__ import annotations

import datetime as dt
import unicodedata
from pathlib import Path

from config.loader import load_pipeline
from config.models import Pipeline
from rules.findings import Code
from rules.text_forms import owner_key
from sync.run import RunResult, run_sync
from sync.sources.registry import open_source

AS_OF = dt.date(2026, 12, 6)

TURKISH_DEFINITION = """\
name: Satış hattı
source:
  path: deals.csv
  tab: Fırsatlar
columns:
  id: {aliases: [Fırsat No], required: true}
  account: {aliases: [Müşteri]}
  owner: {aliases: [Sorumlu]}
  stage: {aliases: [Aşama], required: true}
  contact: {aliases: [İlgili Kişi]}
  region: {aliases: [Bölge]}
stages:
  - {name: İlk Görüşme, probability: 0.1}
  - {name: Kazanıldı, outcome: won}
  - {name: Kaybedildi, outcome: lost}
allowed:
  region: {values: [İZMİR, Iğdır], ignore_case: true}
outputs:
  group_by: [contact]
"""

TURKISH_TABLE = """\
FIRSAT NO,MÜŞTERİ,SORUMLU,AŞAMA,İLGİLİ KİŞİ,BÖLGE
TR-1,Akın Ltd,Işık Yılmaz,İlk Görüşme,Ayşe,izmir
TR-2,Öz AŞ,IŞIK YILMAZ,İLK GÖRÜŞME,Ayşe,IĞDIR
TR-3,Çınar AŞ,İlker Şahin,KAZANILDI,Can,İzmir
TR-4,Ilgaz AŞ,ilker şahin,kazanıldı,Can,ığdır
"""


def run_table(folder: Path, definition: str, table: str) -> RunResult:
    (folder / "deals.csv").write_text(table, encoding="utf-8")
    (folder / "pipeline.yaml").write_text(definition, encoding="utf-8")
    pipeline: Pipeline = load_pipeline(folder / "pipeline.yaml")
    source = open_source(pipeline, str(folder / "deals.csv"))
    return run_sync(pipeline, source, AS_OF, dry_run=True)


def test_turkish_capitals_match_headers(tmp_path: Path) -> None:
    result = run_table(tmp_path, TURKISH_DEFINITION, TURKISH_TABLE)

    fields = result.columns.fields
    assert fields["id"] == 0
    assert fields["account"] == 1
    assert fields["contact"] == 4
    assert fields["region"] == 5


def test_turkish_capitals_match_stages_and_lists(tmp_path: Path) -> None:
    result = run_table(tmp_path, TURKISH_DEFINITION, TURKISH_TABLE)

    stages = [deal.stage.name if deal.stage else None for deal in result.deals]
    assert stages == ["İlk Görüşme", "İlk Görüşme", "Kazanıldı", "Kazanıldı"]
    assert result.findings == []


def test_turkish_capitals_group_owners(tmp_path: Path) -> None:
    result = run_table(tmp_path, TURKISH_DEFINITION, TURKISH_TABLE)

    owners = [group.group for group in result.metrics.by_owner.groups]
    assert len(owners) == 2
    contacts = [group.group for group in result.metrics.breakdowns[0].groups]
    assert contacts == ["Ayşe", "Can"]


def test_owner_key_joins_turkish_case() -> None:
    assert owner_key("IŞIK YILMAZ") == owner_key("Işık Yılmaz")
    assert owner_key("İLKER ŞAHİN") == owner_key("ilker şahin")


ID_DEFINITION = """\
name: IDs
source:
  path: deals.csv
  tab: Deals
columns:
  id: {aliases: [Deal ID], required: true}
  stage: {aliases: [Stage], required: true}
stages:
  - {name: Lead}
  - {name: Won, outcome: won}
  - {name: Lost, outcome: lost}
"""


def test_id_in_nfd_is_one_deal_with_nfc(tmp_path: Path) -> None:
    decomposed = unicodedata.normalize("NFD", "MÜN-001")
    table = f"Deal ID,Stage\nMÜN-001,Lead\n{decomposed},Lead\n"

    result = run_table(tmp_path, ID_DEFINITION, table)

    assert [deal.deal_id for deal in result.deals] == ["MÜN-001", "MÜN-001"]
    codes = {finding.code for finding in result.findings}
    assert codes == {Code.DUPLICATE_ID}
