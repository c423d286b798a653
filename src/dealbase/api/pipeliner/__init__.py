"""The Pipeliner CRM REST v1 dialect."""
