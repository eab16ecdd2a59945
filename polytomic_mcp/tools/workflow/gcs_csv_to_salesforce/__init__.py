"""sync_gcs_csv_to_salesforce: the tool (`tool.py`), its inputs (`inputs.py`), the plan check
against real schemas (`plan.py`), OAuth through elicitation (`oauth.py`) and the steps (`setup.py`)."""
