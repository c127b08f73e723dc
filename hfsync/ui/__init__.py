"""What people see: text and JSON rendering, GitHub Actions output."""
