"""The files a settlement is exported as: a CSV for the bookkeeper, and an ISO 20022
``pain.001.001.03`` SEPA credit-transfer initiation for the bank.

Texts in the bank file keep to the SEPA character set (letters, digits and ``/ - ? : ( ) . , ' +``
and space; anything else is transliterated or dropped) and to each field's length. Transfers of
zero euros (a rate of zero) are left out of the bank file but stay in the CSV.
"""

from __future__ import annotations

import re
import unicodedata
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import date, datetime

from torekes.kit.csv_text import csv_text, whole_units

PAIN_NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"
_NOT_SEPA = re.compile(r"[^A-Za-z0-9/\-?:().,'+ ]")


@dataclass(frozen=True, slots=True)
class Transfer:
    end_to_end_id: str
    redemption_id: int
    account_id: int
    creditor_name: str
    creditor_iban: str
    tokens: int
    currency: str
    rate: str
    euro_cents: int
    requested_at: datetime
    approved_at: datetime
    remittance: str


@dataclass(frozen=True, slots=True)
class Debtor:
    name: str
    iban: str
    bic: str


CSV_COLUMNS = (
    "end_to_end_id",
    "redemption_id",
    "account_id",
    "payout_name",
    "iban",
    "tokens",
    "currency",
    "rate",
    "euro",
    "requested_at",
    "approved_at",
)


def settlement_csv(transfers: list[Transfer]) -> str:
    return csv_text(
        CSV_COLUMNS,
        (
            (
                t.end_to_end_id,
                t.redemption_id,
                t.account_id,
                t.creditor_name,
                t.creditor_iban,
                t.tokens,
                t.currency,
                t.rate,
                whole_units(t.euro_cents, 2),
                t.requested_at,
                t.approved_at,
            )
            for t in transfers
        ),
    )


def pain_001(
    message_id: str,
    created_at: datetime,
    execution_date: date,
    debtor: Debtor,
    transfers: list[Transfer],
) -> bytes:
    payable = [t for t in transfers if t.euro_cents > 0]
    total = euros(sum(t.euro_cents for t in payable))
    ET.register_namespace("", PAIN_NAMESPACE)
    document = ET.Element(_tag("Document"))
    initiation = _child(document, "CstmrCdtTrfInitn")
    header = _child(initiation, "GrpHdr")
    _child(header, "MsgId", message_id)
    _child(header, "CreDtTm", created_at.replace(microsecond=0).isoformat())
    _child(header, "NbOfTxs", str(len(payable)))
    _child(header, "CtrlSum", total)
    _child(_child(header, "InitgPty"), "Nm", sepa_text(debtor.name, 70))
    payment = _child(initiation, "PmtInf")
    _child(payment, "PmtInfId", message_id)
    _child(payment, "PmtMtd", "TRF")
    _child(payment, "BtchBookg", "true")
    _child(payment, "NbOfTxs", str(len(payable)))
    _child(payment, "CtrlSum", total)
    _child(_child(_child(payment, "PmtTpInf"), "SvcLvl"), "Cd", "SEPA")
    _child(payment, "ReqdExctnDt", execution_date.isoformat())
    _child(_child(payment, "Dbtr"), "Nm", sepa_text(debtor.name, 70))
    _child(_child(_child(payment, "DbtrAcct"), "Id"), "IBAN", debtor.iban)
    institution = _child(_child(payment, "DbtrAgt"), "FinInstnId")
    if debtor.bic:
        _child(institution, "BIC", debtor.bic)
    else:
        _child(_child(institution, "Othr"), "Id", "NOTPROVIDED")
    _child(payment, "ChrgBr", "SLEV")
    for t in payable:
        transfer = _child(payment, "CdtTrfTxInf")
        _child(_child(transfer, "PmtId"), "EndToEndId", t.end_to_end_id)
        amount = _child(_child(transfer, "Amt"), "InstdAmt", euros(t.euro_cents))
        amount.set("Ccy", "EUR")
        _child(_child(transfer, "Cdtr"), "Nm", sepa_text(t.creditor_name, 70))
        _child(_child(_child(transfer, "CdtrAcct"), "Id"), "IBAN", t.creditor_iban)
        _child(_child(transfer, "RmtInf"), "Ustrd", sepa_text(t.remittance, 140))
    encoded: bytes = ET.tostring(document, encoding="utf-8", xml_declaration=True)
    return encoded


def euros(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def sepa_text(text: str, max_length: int) -> str:
    """``text`` in the SEPA character set: accents dropped, other characters removed."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return _NOT_SEPA.sub("", plain).strip()[:max_length] or "-"


def _tag(name: str) -> str:
    return f"{{{PAIN_NAMESPACE}}}{name}"


def _child(parent: ET.Element, name: str, text: str | None = None) -> ET.Element:
    element = ET.SubElement(parent, _tag(name))
    if text is not None:
        element.text = text
    return element
