"""Writes ``high_paying_users.csv``, the default seed's CSV, deterministically.

Run ``python -m polytomic_mcp.sandbox.seeds.generate_default`` after changing it; a test
checks the shipped file matches this generator.

Edge cases it plants (the seed sync must handle each):
* two rows whose emails differ only in letter case (one contact, updated twice);
* a row with no email (a record error under any identity mode);
* a row whose email is malformed (Salesforce rejects it);
* a row with ``n/a`` in the numeric ``monthly_spend`` column (a type error when mapped);
* an email padded with spaces (matched after trimming);
* names outside ASCII.
"""

from __future__ import annotations

import csv
import io
import random
from pathlib import Path
from typing import Any

import yaml

HEADER = ["email", "first_name", "last_name", "company", "plan", "monthly_spend", "signup_date"]
ROWS = 300
FIRST = [
    "Ada",
    "Grace",
    "Alan",
    "Maria",
    "José",
    "Zoë",
    "Łukasz",
    "Søren",
    "Amélie",
    "Chidi",
    "Priya",
    "Hiroshi",
    "Fatima",
    "Noah",
    "Olivia",
    "Mateo",
    "Ingrid",
    "Kwame",
    "Mei",
    "Björn",
    "Aoife",
    "Rafael",
]
LAST = [
    "Lovelace",
    "Hopper",
    "Turing",
    "Garcia",
    "Müller",
    "Ødegaard",
    "Nakamura",
    "O'Brien",
    "Kowalski",
    "Okafor",
    "Sharma",
    "Dubois",
    "Rossi",
    "Smith",
    "Novák",
    "Fernández",
    "Larsen",
    "Mensah",
    "Chen",
]
COMPANIES = [
    "Acme Corp",
    "Globex",
    "Initech",
    "Umbrella",
    "Stark Industries",
    "Wayne Enterprises",
    "Hooli",
    "Vandelay Industries",
    "Soylent",
    "Tyrell",
]
PLANS = ["starter", "pro", "business", "enterprise"]

# Contacts that already exist in the seeded Salesforce org, by CSV row number (0-based).
EXISTING_CONTACT_ROWS = (0, 3, 7, 12, 20, 33, 41, 58, 77, 99, 150, 201)
CASE_TWIN_ROWS = (10, 11)  # row 11 repeats row 10's email in different case
NO_EMAIL_ROW = 25
BAD_EMAIL_ROW = 26
BAD_NUMBER_ROW = 27
PADDED_EMAIL_ROW = 40


def _ascii(text: str) -> str:
    table = str.maketrans("éëŁłøØüáäöåñ'", "eeLloOuaaoan-")
    return text.translate(table).lower().replace(" ", "")


def rows() -> list[list[str]]:
    rng = random.Random(20260101)
    out: list[list[str]] = []
    for index in range(ROWS):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        email = f"{_ascii(first)}.{_ascii(last)}{index}@example.com"
        spend = f"{rng.randint(500, 25000)}.{rng.randint(0, 99):02d}"
        signup = f"202{rng.randint(2, 5)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        out.append([email, first, last, rng.choice(COMPANIES), rng.choice(PLANS), spend, signup])
    twin_a, twin_b = CASE_TWIN_ROWS
    out[twin_b][0] = out[twin_a][0].upper().replace("@EXAMPLE.COM", "@Example.com")
    out[NO_EMAIL_ROW][0] = ""
    out[BAD_EMAIL_ROW][0] = "not-an-email"
    out[BAD_NUMBER_ROW][5] = "n/a"
    out[PADDED_EMAIL_ROW][0] = f"  {out[PADDED_EMAIL_ROW][0]} "
    return out


def render() -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(rows())
    return buffer.getvalue()


def existing_contacts() -> list[dict[str, str]]:
    """Seeded contacts matching CSV rows, with older names the sync will overwrite."""
    data = rows()
    contacts = []
    for number in EXISTING_CONTACT_ROWS:
        email = data[number][0].strip()
        # Salesforce holds some of them in different letter case.
        stored = email.title() if number % 2 else email
        contacts.append({"Email": stored, "FirstName": "Old", "LastName": f"Name{number}", "Title": "Customer"})
    return contacts


def seed_document() -> dict[str, Any]:
    """The default seed: one bucket with the CSV, one Salesforce org with Contact, Lead, Account."""
    return {
        "buckets": [
            {"name": "sandbox-exports", "files": [{"key": "high_paying_users.csv", "path": "high_paying_users.csv"}]},
            {"name": "empty-bucket", "files": []},
        ],
        "salesforce": [
            {
                "domain": "acme.my.salesforce.com",
                "user": "integration@acme.example.com",
                "objects": [
                    {
                        "name": "Contact",
                        "records": [
                            *existing_contacts(),
                            {"Email": "dana.scully@fbi.example.gov", "FirstName": "Dana", "LastName": "Scully"},
                            {"Email": "fox.mulder@fbi.example.gov", "FirstName": "Fox", "LastName": "Mulder"},
                        ],
                    },
                    {
                        "name": "Lead",
                        "records": [
                            {
                                "Email": "lead.one@prospect.example.com",
                                "LastName": "One",
                                "Company": "Prospect",
                                "Status": "Open",
                            },
                            {
                                "Email": "lead.two@prospect.example.com",
                                "LastName": "Two",
                                "Company": "Prospect",
                                "Status": "Working",
                            },
                        ],
                    },
                    {
                        "name": "Account",
                        "records": [
                            {
                                "Name": name,
                                "Website": f"https://www.{name.lower().replace(' ', '')}.example.com",
                                "Industry": "Technology",
                            }
                            for name in COMPANIES
                        ],
                    },
                ],
            }
        ],
    }


if __name__ == "__main__":
    here = Path(__file__).parent
    (here / "high_paying_users.csv").write_text(render(), encoding="utf-8")
    header = "# The sandbox's default seed. Generated by generate_default.py; edit that, not this.\n"
    (here / "default.yaml").write_text(
        header + yaml.safe_dump(seed_document(), sort_keys=False, allow_unicode=True), encoding="utf-8"
    )
