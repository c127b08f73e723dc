"""The pure core: snapshots, filters, scope, plan, commit records, backup names, errors."""
