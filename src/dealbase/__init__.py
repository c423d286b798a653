"""dealbase: a self-hostable sales CRM server speaking the Pipedrive and Pipeliner APIs."""

__version__ = "0.1.0"
