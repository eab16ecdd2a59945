"""The simulated outside world: cloud buckets holding CSV files and Salesforce orgs holding records."""
