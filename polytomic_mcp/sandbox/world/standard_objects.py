"""Definitions of the standard Salesforce objects the sandbox knows without being told."""

from __future__ import annotations

from typing import Any

EQUALITY = ["Equality"]


def _f(ident: str, label: str, kind: str = "string", **extra: Any) -> dict[str, Any]:
    return {"id": ident, "label": label, "type": kind, **extra}


STANDARD_OBJECTS: dict[str, dict[str, Any]] = {
    "Contact": {
        "name": "Contact",
        "label": "Contact",
        "id_prefix": "003",
        "fields": [
            _f("Email", "Email", "email", identity_functions=EQUALITY),
            _f("FirstName", "First Name"),
            _f("LastName", "Last Name", required=True),
            _f("Phone", "Business Phone", "phone"),
            _f("Title", "Title"),
            _f("Department", "Department"),
            _f("AccountId", "Account ID", "reference", reference_to="Account"),
            _f("LeadSource", "Lead Source", "picklist"),
            _f("Plan__c", "Plan", "picklist"),
            _f("Monthly_Spend__c", "Monthly Spend", "currency"),
            _f("Signup_Date__c", "Signup Date", "date"),
            _f("External_Id__c", "External ID", identity_functions=EQUALITY),
        ],
    },
    "Lead": {
        "name": "Lead",
        "label": "Lead",
        "id_prefix": "00Q",
        "fields": [
            _f("Email", "Email", "email", identity_functions=EQUALITY),
            _f("FirstName", "First Name"),
            _f("LastName", "Last Name", required=True),
            _f("Company", "Company", required=True),
            _f("Status", "Lead Status", "picklist"),
            _f("Phone", "Phone", "phone"),
            _f("AnnualRevenue", "Annual Revenue", "currency"),
            _f("External_Id__c", "External ID", identity_functions=EQUALITY),
        ],
    },
    "Account": {
        "name": "Account",
        "label": "Account",
        "id_prefix": "001",
        "fields": [
            _f("Name", "Account Name", required=True, identity_functions=EQUALITY),
            _f("Website", "Website", "url", identity_functions=EQUALITY),
            _f("Industry", "Industry", "picklist"),
            _f("AnnualRevenue", "Annual Revenue", "currency"),
            _f("NumberOfEmployees", "Employees", "int"),
            _f("External_Id__c", "External ID", identity_functions=EQUALITY),
        ],
    },
}
